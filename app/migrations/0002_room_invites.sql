-- Guest invite links of virtual-office rooms: one live link per room;
-- regenerating replaces the token, so the old link stops working at once.
-- The token is kept as issued (256 random bits) so any member inside the
-- room can copy the current link again; it only lets a guest knock.
CREATE TABLE room_invites (
    room_id     BIGINT PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    token       TEXT   NOT NULL UNIQUE,
    created_by  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);
