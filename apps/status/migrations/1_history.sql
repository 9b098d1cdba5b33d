-- Up Migration

-- One row per target per poll round; kept for a couple of hours, then rolled up.
CREATE TABLE samples (
  target text NOT NULL,
  at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('up', 'degraded', 'down')),
  requests_per_second real,
  p50_ms real,
  p95_ms real,
  server_error_ratio real,
  memory_bytes bigint,
  memory_limit_bytes bigint,
  restarts smallint NOT NULL DEFAULT 0,
  latency_ms real,
  PRIMARY KEY (target, at)
);

-- Five-minute summaries of older samples, kept for the retention period.
CREATE TABLE rollups (
  target text NOT NULL,
  bucket timestamptz NOT NULL,
  samples integer NOT NULL,
  down_samples integer NOT NULL,
  requests_per_second real,
  p50_ms real,
  p95_ms real,
  server_error_ratio real,
  memory_bytes bigint,
  memory_limit_bytes bigint,
  restarts integer NOT NULL,
  latency_ms real,
  PRIMARY KEY (target, bucket)
);

-- Down periods, exact to the poll round; at most one open per target.
CREATE TABLE incidents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  target text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  detail text
);
CREATE UNIQUE INDEX incidents_one_open ON incidents (target) WHERE ended_at IS NULL;
CREATE INDEX incidents_by_time ON incidents (target, started_at);

-- Down Migration
DROP TABLE incidents;
DROP TABLE rollups;
DROP TABLE samples;
