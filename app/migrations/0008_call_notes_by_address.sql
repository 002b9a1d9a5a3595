-- The notes emails an address received lately are counted before each new
-- one (a daily allowance per address).
CREATE INDEX call_notes_sent_by_email ON call_notes_sent (email, sent_at);
