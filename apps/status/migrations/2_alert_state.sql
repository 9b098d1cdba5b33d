-- Up Migration

-- Alerts firing at the last round, so a restart of the status app neither repeats their
-- notice nor forgets to send their recovery.
CREATE TABLE alert_state (
  rule text NOT NULL,
  target text NOT NULL,
  since timestamptz NOT NULL,
  fired_at timestamptz NOT NULL,
  last_notified_at timestamptz NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (rule, target)
);

-- Down Migration
DROP TABLE alert_state;
