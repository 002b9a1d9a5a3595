-- A channel's conversation (issue 35): what members write in a text
-- channel, and, in a meeting channel, the chat of its calls, kept in the
-- channel's history as it is written.

CREATE TABLE channel_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id    BIGINT  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    -- The member who wrote it; NULL for a guest's line in a call's chat
    -- (and for a member since removed from the workspace).
    author_id     BIGINT  REFERENCES members (id) ON DELETE SET NULL,
    -- The name shown, as it was when written.
    author_name   TEXT    NOT NULL,
    guest         BOOLEAN NOT NULL DEFAULT FALSE,
    -- What was written (Markdown), and its HTML, rendered and cleaned
    -- once on the server. Both are emptied when the message is deleted.
    body          TEXT    NOT NULL,
    html          TEXT    NOT NULL,
    -- The call whose chat it was written in, for a meeting channel.
    call_id       BIGINT  REFERENCES calls (id) ON DELETE SET NULL,
    -- Unix milliseconds.
    sent_at       BIGINT  NOT NULL,
    edited_at     BIGINT,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    -- Chosen by the sender's browser, unique per channel: a message sent
    -- again after a dropped connection is the same message, stored once.
    client_key    TEXT,
    UNIQUE (channel_id, client_key)
);
-- History is read newest first by id, a page at a time (by cursor).
CREATE INDEX channel_messages_by_channel ON channel_messages (channel_id, id);

-- How far each member has read each channel: the newest message id they
-- saw. The sidebar's unread count is what came after it.
CREATE TABLE channel_reads (
    member_id     BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    channel_id    BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    last_read     BIGINT NOT NULL,
    PRIMARY KEY (member_id, channel_id)
);

-- Full-text search over messages (SQLite FTS5, as transcripts use).
CREATE VIRTUAL TABLE channel_message_search USING fts5 (body, content = 'channel_messages', content_rowid = 'id');
CREATE TRIGGER channel_messages_searchable AFTER INSERT ON channel_messages BEGIN
    INSERT INTO channel_message_search (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER channel_messages_edited AFTER UPDATE OF body ON channel_messages BEGIN
    INSERT INTO channel_message_search (channel_message_search, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO channel_message_search (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER channel_messages_forgotten AFTER DELETE ON channel_messages BEGIN
    INSERT INTO channel_message_search (channel_message_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
