-- Up Migration

-- When this app began watching each app's backups: an app with no backup at all alerts only
-- once it has been watched longer than its schedule (a fresh stack has none yet). Kept here
-- so a restart of the status app does not start the wait again.
CREATE TABLE backup_watch (
  app text PRIMARY KEY,
  since timestamptz NOT NULL
);

-- Down Migration
DROP TABLE backup_watch;
