-- Workspace, members, teams, channels, office rooms and sign-in sessions.
-- Kept to SQL that SQLite and PostgreSQL both accept, except for the
-- INTEGER PRIMARY KEY row ids (BIGINT GENERATED ... AS IDENTITY in Postgres).
-- Times are unix seconds.

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE members (
    id             INTEGER PRIMARY KEY,
    workspace_id   BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    email          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX members_by_workspace ON members (workspace_id);

CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    team_id    BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, member_id)
);
CREATE INDEX team_members_by_member ON team_members (member_id);

CREATE TABLE channels (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    kind          TEXT   NOT NULL CHECK (kind IN ('meeting', 'text')),
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE rooms (
    id            INTEGER PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    x             BIGINT NOT NULL,
    y             BIGINT NOT NULL,
    width         BIGINT NOT NULL CHECK (width > 0),
    height        BIGINT NOT NULL CHECK (height > 0),
    created_at    BIGINT NOT NULL
);
CREATE INDEX rooms_by_workspace ON rooms (workspace_id);

-- Only a hash of the session token is stored, so a leaked database does not
-- hand out live sessions.
CREATE TABLE sessions (
    token_hash  TEXT   PRIMARY KEY,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_member ON sessions (member_id);
