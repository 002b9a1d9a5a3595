-- Browsers that signed in to an account before, by the SHA-256 of the
-- cookie that sign-in handed them: their later attempts are counted on
-- their own, so guesses from elsewhere cannot lock the member out
-- (issue 32). Only the newest few per member are kept.
CREATE TABLE sign_in_devices (
    token_hash  TEXT   PRIMARY KEY,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sign_in_devices_by_member ON sign_in_devices (member_id, created_at);
