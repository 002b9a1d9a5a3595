-- Members who leave (issue 32, item 10): a workspace admin deactivates
-- them instead of deleting them, so their name stays on what they did
-- (messages sent, calls, teams' history) while they can no longer sign in.
-- NULL while the member is active; when they were deactivated otherwise.
ALTER TABLE members ADD COLUMN deactivated_at BIGINT;

-- Password reset links a workspace admin sent a member by email. Only the
-- SHA-256 of the link's token is kept (like sessions), so a copied database
-- opens no link. A link works once (`used_at`) and until `expires_at`;
-- sending a new one ends the member's earlier ones. Rows are kept a day so
-- that the number sent to one member in the last hour can be counted.
CREATE TABLE password_resets (
    token_hash  TEXT   PRIMARY KEY,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX password_resets_by_member ON password_resets (member_id, created_at);
