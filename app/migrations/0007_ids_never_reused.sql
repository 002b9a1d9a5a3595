-- no-transaction
-- Ids are never reused (issue 11): without AUTOINCREMENT, SQLite gives a
-- new row the highest id + 1, so deleting the newest channel (or room,
-- member, inbox, ...) and creating another would hand out the same id
-- again, and a pass, link or open page for the old one would reach the new.
-- AUTOINCREMENT remembers the highest id ever used. (Postgres identity
-- columns never reuse ids in the first place.)
--
-- SQLite cannot add AUTOINCREMENT to a table, so each is rebuilt: the
-- documented procedure with foreign keys off, so dropping the old table
-- does not cascade, and the new table takes the old name, which the other
-- tables' references already use. Hence no transaction from sqlx: the
-- foreign key switch only works outside one, so this file opens its own.
PRAGMA foreign_keys = OFF;
BEGIN;

-- workspaces
CREATE TABLE workspaces_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
INSERT INTO workspaces_new SELECT * FROM workspaces;
DROP TABLE workspaces;
ALTER TABLE workspaces_new RENAME TO workspaces;


-- members
CREATE TABLE members_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id   BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    email          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL
);
INSERT INTO members_new SELECT * FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
CREATE INDEX members_by_workspace ON members (workspace_id);

-- teams
CREATE TABLE teams_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
INSERT INTO teams_new SELECT * FROM teams;
DROP TABLE teams;
ALTER TABLE teams_new RENAME TO teams;


-- channels
CREATE TABLE channels_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    kind          TEXT   NOT NULL CHECK (kind IN ('meeting', 'text')),
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
INSERT INTO channels_new SELECT * FROM channels;
DROP TABLE channels;
ALTER TABLE channels_new RENAME TO channels;


-- rooms
CREATE TABLE rooms_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    x             BIGINT NOT NULL,
    y             BIGINT NOT NULL,
    width         BIGINT NOT NULL CHECK (width > 0),
    height        BIGINT NOT NULL CHECK (height > 0),
    created_at    BIGINT NOT NULL
);
INSERT INTO rooms_new SELECT * FROM rooms;
DROP TABLE rooms;
ALTER TABLE rooms_new RENAME TO rooms;
CREATE INDEX rooms_by_workspace ON rooms (workspace_id);

-- inboxes
CREATE TABLE inboxes_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
INSERT INTO inboxes_new SELECT * FROM inboxes;
DROP TABLE inboxes;
ALTER TABLE inboxes_new RENAME TO inboxes;


-- inbox_participants
CREATE TABLE inbox_participants_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    inbox_id   BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    member_id  BIGINT REFERENCES members (id) ON DELETE CASCADE,
    team_id    BIGINT REFERENCES teams (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    CHECK ((member_id IS NULL) <> (team_id IS NULL)),
    UNIQUE (inbox_id, member_id),
    UNIQUE (inbox_id, team_id)
);
INSERT INTO inbox_participants_new SELECT * FROM inbox_participants;
DROP TABLE inbox_participants;
ALTER TABLE inbox_participants_new RENAME TO inbox_participants;
CREATE INDEX inbox_participants_by_member ON inbox_participants (member_id);
CREATE INDEX inbox_participants_by_team ON inbox_participants (team_id);

-- email_threads
CREATE TABLE email_threads_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    inbox_id         BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    subject          TEXT   NOT NULL,
    last_message_at  BIGINT NOT NULL
);
INSERT INTO email_threads_new SELECT * FROM email_threads;
DROP TABLE email_threads;
ALTER TABLE email_threads_new RENAME TO email_threads;
CREATE INDEX email_threads_by_inbox ON email_threads (inbox_id, last_message_at);

-- email_messages
CREATE TABLE email_messages_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    inbox_id       BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    thread_id      BIGINT NOT NULL REFERENCES email_threads (id) ON DELETE CASCADE,
    message_id     TEXT   NOT NULL,
    in_reply_to    TEXT,
    reference_ids  TEXT   NOT NULL DEFAULT '',
    from_address   TEXT   NOT NULL,
    from_name      TEXT   NOT NULL DEFAULT '',
    to_addresses   TEXT   NOT NULL,
    subject        TEXT   NOT NULL,
    text_body      TEXT   NOT NULL,
    html_body      TEXT,
    outgoing       BOOLEAN NOT NULL,
    sent_by        BIGINT REFERENCES members (id) ON DELETE SET NULL,
    -- For outgoing mail: 'relayed', 'outbox' (kept locally), or 'failed'.
    delivery       TEXT,
    delivery_note  TEXT,
    created_at     BIGINT NOT NULL,
    UNIQUE (inbox_id, message_id)
);
INSERT INTO email_messages_new SELECT * FROM email_messages;
DROP TABLE email_messages;
ALTER TABLE email_messages_new RENAME TO email_messages;
CREATE INDEX email_messages_by_thread ON email_messages (thread_id, created_at);

-- guest_visits
CREATE TABLE guest_visits_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  BIGINT  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    email       TEXT,
    joined_at   BIGINT  NOT NULL,
    left_at     BIGINT,
    removed     BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO guest_visits_new SELECT * FROM guest_visits;
DROP TABLE guest_visits;
ALTER TABLE guest_visits_new RENAME TO guest_visits;
CREATE INDEX guest_visits_by_channel ON guest_visits (channel_id, joined_at);

-- call_schedules
CREATE TABLE call_schedules_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id   BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    title        TEXT   NOT NULL,
    -- The first call as local wall time, "2026-11-24T10:00", and its zone.
    starts_local TEXT   NOT NULL,
    time_zone    TEXT   NOT NULL,
    recurrence   TEXT   NOT NULL CHECK (recurrence IN ('once', 'daily', 'weekdays', 'weekly', 'monthly')),
    -- Unix seconds of the next call whose invitations have not gone out;
    -- NULL once a one-off call has been announced.
    next_at      BIGINT,
    created_by   BIGINT REFERENCES members (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL
);
INSERT INTO call_schedules_new SELECT * FROM call_schedules;
DROP TABLE call_schedules;
ALTER TABLE call_schedules_new RENAME TO call_schedules;
CREATE INDEX call_schedules_due ON call_schedules (next_at);

-- call_notes_sent
CREATE TABLE call_notes_sent_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    call_started_at BIGINT NOT NULL,
    email       TEXT   NOT NULL,
    delivery    TEXT   NOT NULL,
    sent_at     BIGINT NOT NULL
);
INSERT INTO call_notes_sent_new SELECT * FROM call_notes_sent;
DROP TABLE call_notes_sent;
ALTER TABLE call_notes_sent_new RENAME TO call_notes_sent;

COMMIT;
PRAGMA foreign_keys = ON;
