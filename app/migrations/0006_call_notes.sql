-- Meeting notes after a channel's call: whether the channel emails them to
-- its guests (the "External users receive email summary" setting), and
-- every notes email sent.
CREATE TABLE channel_settings (
    channel_id         BIGINT  PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    email_guest_notes  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE call_notes_sent (
    id          INTEGER PRIMARY KEY,
    channel_id  BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    call_started_at BIGINT NOT NULL,
    email       TEXT   NOT NULL,
    delivery    TEXT   NOT NULL,
    sent_at     BIGINT NOT NULL
);
