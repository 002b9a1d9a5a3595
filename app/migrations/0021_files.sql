-- Files members attach to channel messages (issue 35). The bytes live
-- under the data folder, one copy per content (named by SHA-256); a row
-- here is one attachment of that content: its name, type and who sent it.
-- Mail attachments (mail_attachments) share the same store.

CREATE TABLE files (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Where it is sent: a channel, or (while it waits to go with a reply)
    -- an inbox; once the mail is sent its file is the mail's attachment
    -- (mail_attachments) and this row goes.
    channel_id    BIGINT  REFERENCES channels (id) ON DELETE CASCADE,
    inbox_id      BIGINT  REFERENCES inboxes (id) ON DELETE CASCADE,
    -- NULL from the upload until the message that carries it is sent;
    -- an upload never sent is forgotten after a day.
    message_id    BIGINT  REFERENCES channel_messages (id) ON DELETE CASCADE,
    uploader_id   BIGINT  REFERENCES members (id) ON DELETE SET NULL,
    uploader_name TEXT    NOT NULL,
    -- The name the file had on the sender's computer, cleaned.
    name          TEXT    NOT NULL,
    -- The type the sender's browser said it has (served as is, never sniffed).
    content_type  TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    sha256        TEXT    NOT NULL,
    -- The type of its thumbnail (an image's), when one could be made.
    thumbnail     TEXT,
    -- Unix milliseconds.
    uploaded_at   BIGINT  NOT NULL
);
CREATE INDEX files_by_message ON files (channel_id, message_id);
CREATE INDEX files_by_workspace ON files (workspace_id, uploaded_at);
CREATE INDEX files_by_content ON files (sha256);
-- Uploads waiting for their message, swept after a day.
CREATE INDEX files_unsent ON files (uploaded_at) WHERE message_id IS NULL;

-- What inbound mail carried besides its text: attachments and inline
-- images (those with a Content-ID, shown where the HTML names them).
CREATE TABLE mail_attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    BIGINT  NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    sha256        TEXT    NOT NULL,
    content_id    TEXT
);
CREATE INDEX mail_attachments_by_email ON mail_attachments (message_id);
CREATE INDEX mail_attachments_by_content ON mail_attachments (sha256);

-- The Cc of mail received and sent, shown with To and answered by Reply all.
ALTER TABLE email_messages ADD COLUMN cc_addresses TEXT NOT NULL DEFAULT '';
