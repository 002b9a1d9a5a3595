-- Call schedules that can be changed, ended and cancelled, and land in
-- calendars. `sequence` is the iCalendar SEQUENCE: raised by every edit (and
-- by a new external link), so calendars take the newest invitation. A
-- cancelled schedule is kept (until its cancellations are out) but never
-- listed or announced again.
ALTER TABLE call_schedules ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
-- The last day a call may fall on ("2027-03-31", the schedule's zone).
ALTER TABLE call_schedules ADD COLUMN ends_on TEXT;
-- Or: how many calls the schedule has in all.
ALTER TABLE call_schedules ADD COLUMN max_calls BIGINT;
ALTER TABLE call_schedules ADD COLUMN cancelled_at BIGINT;

-- Every calendar email that went out: an invitation (or update) at a
-- sequence, or a cancellation. What is still to send is worked out from
-- this, so nothing goes twice, and nothing is lost across a restart.
CREATE TABLE schedule_calendar_mails (
    schedule_id  BIGINT NOT NULL REFERENCES call_schedules (id) ON DELETE CASCADE,
    email        TEXT   NOT NULL,
    sequence     BIGINT NOT NULL,
    method       TEXT   NOT NULL CHECK (method IN ('request', 'cancel')),
    delivery     TEXT   NOT NULL,
    sent_at      BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, email, sequence, method)
);
