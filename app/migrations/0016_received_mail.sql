-- no-transaction
-- Received mail is kept once per message, not once per Message-ID, and is
-- counted against daily allowances (issue 32, items 6 and 17).
--
-- A message was a duplicate when its inbox already had its Message-ID, so a
-- sender who learned an id could file a forgery first and the real message
-- was dropped. Now a received message is a duplicate only when its id, its
-- envelope sender and a hash of everything kept of it all match: a retry of
-- the same message is still filed once, a different one under the same id
-- is kept beside it.
--
-- Each row also says how many bytes it keeps, so the allowances per sender
-- and per inbox for the last 24 hours are sums over indexed columns, right
-- across restarts.
--
-- SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt
-- as in 0007 (foreign keys off, hence no transaction from sqlx), keeping
-- every row, its id and the highest id ever used.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE email_messages_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    inbox_id        BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    thread_id       BIGINT NOT NULL REFERENCES email_threads (id) ON DELETE CASCADE,
    message_id      TEXT   NOT NULL,
    -- Received mail: the SMTP envelope's sender (MAIL FROM, '' for a
    -- bounce). NULL for mail written here, and for mail received before
    -- this migration.
    envelope_from   TEXT,
    -- Received mail: SHA-256 (hex) of everything kept of the message.
    content_sha256  TEXT,
    -- Bytes kept of the message: its text and HTML bodies and the headers
    -- shown (attachments, when they come, add theirs). Before the bodies,
    -- so the sums read it without reading them.
    stored_bytes    BIGINT NOT NULL DEFAULT 0,
    in_reply_to     TEXT,
    reference_ids   TEXT   NOT NULL DEFAULT '',
    from_address    TEXT   NOT NULL,
    from_name       TEXT   NOT NULL DEFAULT '',
    to_addresses    TEXT   NOT NULL,
    subject         TEXT   NOT NULL,
    text_body       TEXT   NOT NULL,
    html_body       TEXT,
    outgoing        BOOLEAN NOT NULL,
    sent_by         BIGINT REFERENCES members (id) ON DELETE SET NULL,
    -- For outgoing mail: 'relayed', 'outbox' (kept locally), or 'failed'.
    delivery        TEXT,
    delivery_note   TEXT,
    created_at      BIGINT NOT NULL
);
INSERT INTO email_messages_new (id, inbox_id, thread_id, message_id, stored_bytes, in_reply_to, reference_ids,
    from_address, from_name, to_addresses, subject, text_body, html_body, outgoing, sent_by, delivery,
    delivery_note, created_at)
SELECT id, inbox_id, thread_id, message_id,
    length(CAST(text_body AS BLOB)) + COALESCE(length(CAST(html_body AS BLOB)), 0), in_reply_to, reference_ids,
    from_address, from_name, to_addresses, subject, text_body, html_body, outgoing, sent_by, delivery,
    delivery_note, created_at
FROM email_messages;
-- The highest id ever used, not just the highest left.
DELETE FROM sqlite_sequence WHERE name = 'email_messages_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'email_messages_new', seq FROM sqlite_sequence WHERE name = 'email_messages';
DROP TABLE email_messages;
ALTER TABLE email_messages_new RENAME TO email_messages;
CREATE INDEX email_messages_by_thread ON email_messages (thread_id, created_at);
-- NULLs differ from each other here, so mail written here is never held
-- back by this index (its ids are ours and new).
CREATE UNIQUE INDEX email_messages_once ON email_messages (inbox_id, message_id, envelope_from, content_sha256);
-- The daily allowances' sums, read from these indexes alone (the first
-- holds envelope_from only so its query's `IS NOT NULL` reads no row).
CREATE INDEX email_messages_received_by_inbox ON email_messages (inbox_id, created_at, stored_bytes, envelope_from)
    WHERE envelope_from IS NOT NULL;
CREATE INDEX email_messages_received_from ON email_messages (envelope_from, created_at, stored_bytes)
    WHERE envelope_from IS NOT NULL;

COMMIT;
PRAGMA foreign_keys = ON;
