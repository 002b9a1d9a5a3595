-- Build mode: every member may change the office map unless a workspace
-- admin keeps it to admins.
ALTER TABLE workspaces ADD COLUMN build_admins_only BOOLEAN NOT NULL DEFAULT FALSE;
