-- Shared email inboxes: who may see and use each one, its addresses, and its
-- conversations. Kept to SQL that SQLite and PostgreSQL both accept (apart
-- from the INTEGER PRIMARY KEY row ids, as in 0001).

CREATE TABLE inboxes (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- Addresses are unique across the server: inbound mail is filed by the
-- address it was sent to. The lowest position is the one replies come from.
CREATE TABLE inbox_addresses (
    address   TEXT   PRIMARY KEY,
    inbox_id  BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL
);
CREATE INDEX inbox_addresses_by_inbox ON inbox_addresses (inbox_id);

-- A participant is a member or a whole team (then every current member of
-- the team has that role). A person's role is the highest that applies.
CREATE TABLE inbox_participants (
    id         INTEGER PRIMARY KEY,
    inbox_id   BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    member_id  BIGINT REFERENCES members (id) ON DELETE CASCADE,
    team_id    BIGINT REFERENCES teams (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    CHECK ((member_id IS NULL) <> (team_id IS NULL)),
    UNIQUE (inbox_id, member_id),
    UNIQUE (inbox_id, team_id)
);
CREATE INDEX inbox_participants_by_member ON inbox_participants (member_id);
CREATE INDEX inbox_participants_by_team ON inbox_participants (team_id);

CREATE TABLE email_threads (
    id               INTEGER PRIMARY KEY,
    inbox_id         BIGINT NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    subject          TEXT   NOT NULL,
    last_message_at  BIGINT NOT NULL
);
CREATE INDEX email_threads_by_inbox ON email_threads (inbox_id, last_message_at);

-- Message ids are stored without angle brackets; `reference_ids` is the
-- References header's ids separated by spaces. Bodies are stored as
-- received; HTML is sanitised whenever it is shown.
CREATE TABLE email_messages (
    id             INTEGER PRIMARY KEY,
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
CREATE INDEX email_messages_by_thread ON email_messages (thread_id, created_at);
