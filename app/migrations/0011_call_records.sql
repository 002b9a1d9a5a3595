-- The record of each meeting channel's call, written as the call goes on
-- (who came and left, the chat), so a restart loses neither a call in
-- progress nor a finished transcript; and its transcript, made from each
-- participant's own audio, with a summary.

-- The "Transcribe calls" switch under Channel Details > Transcription.
ALTER TABLE channel_settings ADD COLUMN transcribe_calls BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE calls (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id        BIGINT  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    started_at        BIGINT  NOT NULL,
    -- NULL while the call goes on.
    ended_at          BIGINT,
    -- 'off' (never transcribed), 'pending', 'done' or 'failed'.
    transcript        TEXT    NOT NULL DEFAULT 'off',
    -- Why the last attempt failed, in words a member can act on.
    transcript_error  TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- When a pending transcript is tried next (unix seconds).
    retry_at          BIGINT,
    summary           TEXT,
    -- The guests' notes email went out (or was not due).
    notes_done        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX calls_by_channel ON calls (channel_id, started_at);

-- One stay in a call: a member's or a guest's tab, from joining to leaving.
CREATE TABLE call_attendance (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id      BIGINT  NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    participant  BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    guest        BOOLEAN NOT NULL,
    guest_email  TEXT,
    removed      BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at    BIGINT  NOT NULL,
    -- NULL while they are in the call.
    left_at      BIGINT
);
CREATE INDEX call_attendance_by_call ON call_attendance (call_id, participant);

CREATE TABLE call_chat (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id      BIGINT  NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    participant  BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    -- Unix milliseconds, as the call's chat keeps them.
    sent_at      BIGINT  NOT NULL
);
CREATE INDEX call_chat_by_call ON call_chat (call_id, sent_at);

-- One participant's audio, as the SFU received it, in an Ogg Opus file
-- under the data folder; deleted once the transcript is stored.
CREATE TABLE call_recordings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id      BIGINT  NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    participant  BIGINT  NOT NULL,
    file         TEXT    NOT NULL,
    -- The wall-clock time of the file's first sound (unix milliseconds).
    started_at   BIGINT  NOT NULL
);
CREATE INDEX call_recordings_by_call ON call_recordings (call_id);

-- What was said: one line per speech segment, attributed to whoever's
-- audio it came from.
CREATE TABLE transcript_lines (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id      BIGINT  NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    participant  BIGINT  NOT NULL,
    speaker      TEXT    NOT NULL,
    guest        BOOLEAN NOT NULL,
    -- Unix milliseconds.
    said_at      BIGINT  NOT NULL,
    ended_at     BIGINT  NOT NULL,
    text         TEXT    NOT NULL
);
CREATE INDEX transcript_lines_by_call ON transcript_lines (call_id, said_at);

-- Full-text search over transcripts (SQLite FTS5; on Postgres, a tsvector
-- index over transcript_lines.text does the same).
CREATE VIRTUAL TABLE transcript_search USING fts5 (text, content = 'transcript_lines', content_rowid = 'id');
CREATE TRIGGER transcript_lines_searchable AFTER INSERT ON transcript_lines BEGIN
    INSERT INTO transcript_search (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER transcript_lines_forgotten AFTER DELETE ON transcript_lines BEGIN
    INSERT INTO transcript_search (transcript_search, rowid, text) VALUES ('delete', old.id, old.text);
END;
