-- Channel admins and workspace admins who asked for the notes of every call
-- of a meeting channel by email (Channel Details > Transcription). Whether
-- they still administer the channel is checked when each email goes out.
CREATE TABLE call_notes_readers (
    channel_id  BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, member_id)
);
