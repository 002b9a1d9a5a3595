-- Call schedules of meeting channels: a title, when (a wall-clock time in
-- the time zone of whoever scheduled it, so a weekly 10:00 stays 10:00
-- across daylight-saving changes), how it repeats, and the external
-- participants who get the channel's link by email when each call starts.
CREATE TABLE call_schedules (
    id           INTEGER PRIMARY KEY,
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
CREATE INDEX call_schedules_due ON call_schedules (next_at);

CREATE TABLE schedule_participants (
    schedule_id  BIGINT NOT NULL REFERENCES call_schedules (id) ON DELETE CASCADE,
    email        TEXT   NOT NULL,
    PRIMARY KEY (schedule_id, email)
);

-- Every invitation email sent for a call, so none goes out twice and the
-- channel's admins can see what was sent.
CREATE TABLE schedule_invitations (
    schedule_id  BIGINT NOT NULL REFERENCES call_schedules (id) ON DELETE CASCADE,
    occurrence   BIGINT NOT NULL,
    email        TEXT   NOT NULL,
    delivery     TEXT   NOT NULL,
    sent_at      BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, occurrence, email)
);
