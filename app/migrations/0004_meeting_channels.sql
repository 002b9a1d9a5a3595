-- Meeting channels: who administers each one, its external link, and a
-- record of the guests who came in through that link.

-- Channel admins manage the channel (replace or turn off its external link,
-- remove guests from its call, see guest activity). Workspace admins may do
-- all of that in every channel without being listed here.
CREATE TABLE channel_admins (
    channel_id  BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, member_id)
);

-- One live external link per meeting channel, persistent until replaced or
-- turned off (the row is deleted). Kept as issued so members can copy it.
CREATE TABLE channel_links (
    channel_id  BIGINT PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    token       TEXT   NOT NULL UNIQUE,
    created_by  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);

-- Every guest who joined a channel's call through its link: when they came
-- and went, and whether a channel admin removed them.
CREATE TABLE guest_visits (
    id          INTEGER PRIMARY KEY,
    channel_id  BIGINT  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    email       TEXT,
    joined_at   BIGINT  NOT NULL,
    left_at     BIGINT,
    removed     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX guest_visits_by_channel ON guest_visits (channel_id, joined_at);
