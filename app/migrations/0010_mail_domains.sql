-- The mail domains a workspace's inboxes may use (issue 11): a workspace
-- admin lists them, and inbox addresses must be at one of them, so an
-- inbox cannot be set up to send as someone else's domain. A workspace
-- upgraded from before keeps the domains its inboxes already use.
CREATE TABLE mail_domains (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    domain        TEXT   NOT NULL,
    PRIMARY KEY (workspace_id, domain)
);

INSERT INTO mail_domains (workspace_id, domain)
SELECT DISTINCT i.workspace_id, substr(a.address, instr(a.address, '@') + 1)
FROM inbox_addresses a JOIN inboxes i ON i.id = a.inbox_id;
