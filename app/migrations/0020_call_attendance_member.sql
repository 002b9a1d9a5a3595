-- Which member a stay in a call was (NULL for a guest): a call's chat kept
-- in the channel's history (0019) is then the member's own message, read
-- by its writer, not unread to them.
ALTER TABLE call_attendance ADD COLUMN member_id BIGINT REFERENCES members (id) ON DELETE SET NULL;
