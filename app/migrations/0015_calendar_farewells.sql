-- Calendar cancellations owed for the schedules of a deleted channel. The
-- channel's schedules and their sent-mail records go with it (ON DELETE
-- CASCADE), so what a cancellation needs is copied here in the same
-- transaction as the delete: the schedule as it was, its channel's and
-- workspace's names, and to whom. A row is removed once its email is out,
-- so none is lost to a restart or a mail server that is down.
CREATE TABLE calendar_farewells (
    schedule_id     BIGINT NOT NULL,
    email           TEXT   NOT NULL,
    title           TEXT   NOT NULL,
    starts_local    TEXT   NOT NULL,
    time_zone       TEXT   NOT NULL,
    recurrence      TEXT   NOT NULL,
    ends_on         TEXT,
    max_calls       BIGINT,
    sequence        BIGINT NOT NULL,
    channel_id      BIGINT NOT NULL,
    channel_name    TEXT   NOT NULL,
    workspace_name  TEXT   NOT NULL,
    PRIMARY KEY (schedule_id, email)
);
