import { fileURLToPath } from 'node:url'
import { type AppData, openAppData, runMigrations } from '@flotilla/data'
import type { DependencyCheck } from '@flotilla/service'
import type pg from 'pg'
import type { FiringAlert } from '../alerts/engine.js'
import type { HistoryPoint, Incident, Series, Window } from './types.js'

/** One target's reading in one poll round: what the history keeps of it. */
export interface TargetSample {
  target: string
  status: 'up' | 'degraded' | 'down'
  /** Why it is down; kept on the incident. */
  detail: string | null
  requestsPerSecond: number | null
  p50Ms: number | null
  p95Ms: number | null
  serverErrorRatio: number | null
  memoryBytes: number | null
  memoryLimitBytes: number | null
  /** 1 when the process restarted since the previous round. */
  restarts: number
  /** A shared service's probe time. */
  latencyMs: number | null
}

export interface Round {
  at: Date
  samples: TargetSample[]
  /** The alerts firing after this round, kept for the next run; absent: left as they are. */
  firing?: FiringAlert[]
}

export interface HistoryOptions {
  databaseUrl: string
  /** Rollups and incidents older than this are deleted. */
  retentionHours: number
  /** Time between connection attempts while the database cannot be reached. */
  reconnectMs: number
  log: { info(message: string): void; warn(object: object, message: string): void }
  /**
   * Receives what the last run left, once connected, before any round is written: the alerts
   * firing, and since when each app's backups have been watched.
   */
  onConnected?: (state: { firing: FiringAlert[]; backupWatch: Map<string, Date> }) => void
}

/** Raw rounds are kept this long (the 1 h chart reads them), then summarised per bucket. */
export const RAW_RETENTION_MS = 2 * 3600_000
export const ROLLUP_SECONDS = 300
/** Rounds held in memory while the database is away; the oldest are dropped beyond this. */
const MAX_PENDING_ROUNDS = 720
const COMPACT_EVERY_MS = 60_000

export const WINDOWS: Record<Window, { ms: number; bucketSeconds: number }> = {
  '1h': { ms: 3600_000, bucketSeconds: 15 },
  '24h': { ms: 24 * 3600_000, bucketSeconds: ROLLUP_SECONDS },
}

const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url))

// One statement per round, so a round is stored whole or not at all. Every round states each
// target's incident (open when down, closed when not), which is idempotent: rounds replayed
// after an outage, or a restart of this app in the middle of an incident, keep one incident
// with its first start.
const RECORD_ROUND = `
WITH inserted AS (
  INSERT INTO samples SELECT * FROM jsonb_populate_recordset(NULL::samples, $1::jsonb)
  ON CONFLICT DO NOTHING
), opened AS (
  INSERT INTO incidents (target, started_at, detail)
  SELECT target, started_at, detail
  FROM jsonb_to_recordset($2::jsonb) AS d(target text, started_at timestamptz, detail text)
  ON CONFLICT (target) WHERE ended_at IS NULL DO NOTHING
)
UPDATE incidents SET ended_at = $3 WHERE ended_at IS NULL AND target = ANY($4::text[])`

// The firing alerts after a round replace the stored ones (two statements over distinct rows).
const SAVE_FIRING = `
WITH firing AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS f(rule text, target text, since timestamptz,
    fired_at timestamptz, last_notified_at timestamptz, message text)
), cleared AS (
  DELETE FROM alert_state s
  WHERE NOT EXISTS (SELECT 1 FROM firing f WHERE f.rule = s.rule AND f.target = s.target)
)
INSERT INTO alert_state SELECT rule, target, since, fired_at, last_notified_at, message FROM firing
ON CONFLICT (rule, target) DO UPDATE SET since = excluded.since, fired_at = excluded.fired_at,
  last_notified_at = excluded.last_notified_at, message = excluded.message`

const BACKUP_WATCH = `
INSERT INTO backup_watch (app, since) SELECT unnest($1::text[]), $2
ON CONFLICT (app) DO UPDATE SET since = least(backup_watch.since, excluded.since)
RETURNING app, since`

// Moves samples older than the cutoff into per-bucket summaries (merged into a bucket a late
// replay already filled, weighting averages by sample count).
const COMPACT = `
WITH moved AS (DELETE FROM samples WHERE at < $1 RETURNING *)
INSERT INTO rollups AS r
SELECT target, date_bin(make_interval(secs => ${ROLLUP_SECONDS}), at, 'epoch'), count(*),
  count(*) FILTER (WHERE status = 'down'), avg(requests_per_second), avg(p50_ms), max(p95_ms),
  avg(server_error_ratio), max(memory_bytes), max(memory_limit_bytes), sum(restarts),
  avg(latency_ms)
FROM moved GROUP BY 1, 2
ON CONFLICT (target, bucket) DO UPDATE SET
  samples = r.samples + excluded.samples,
  down_samples = r.down_samples + excluded.down_samples,
  requests_per_second = (coalesce(r.requests_per_second * r.samples, 0)
    + coalesce(excluded.requests_per_second * excluded.samples, 0))
    / (r.samples + excluded.samples),
  p50_ms = greatest(r.p50_ms, excluded.p50_ms),
  p95_ms = greatest(r.p95_ms, excluded.p95_ms),
  server_error_ratio = greatest(r.server_error_ratio, excluded.server_error_ratio),
  memory_bytes = greatest(r.memory_bytes, excluded.memory_bytes),
  memory_limit_bytes = greatest(r.memory_limit_bytes, excluded.memory_limit_bytes),
  restarts = r.restarts + excluded.restarts,
  latency_ms = greatest(r.latency_ms, excluded.latency_ms)`

// Both tiers binned to the window's bucket: raw rounds of the last hours and older rollups.
const READ_POINTS = `
WITH binned AS (
  SELECT target, date_bin(make_interval(secs => $3), at, 'epoch') AS bucket, 1 AS samples,
    (status = 'down')::int AS down_samples, requests_per_second, p50_ms, p95_ms,
    server_error_ratio, memory_bytes, memory_limit_bytes, restarts, latency_ms
  FROM samples WHERE at >= $2 AND ($1::text IS NULL OR target = $1)
  UNION ALL
  SELECT target, date_bin(make_interval(secs => $3), bucket, 'epoch'), samples, down_samples,
    requests_per_second, p50_ms, p95_ms, server_error_ratio, memory_bytes, memory_limit_bytes,
    restarts, latency_ms
  FROM rollups WHERE bucket >= $2 AND ($1::text IS NULL OR target = $1)
)
SELECT target, bucket, sum(samples)::int AS samples, sum(down_samples)::int AS down_samples,
  avg(requests_per_second) AS rps, avg(p50_ms) AS p50, max(p95_ms) AS p95,
  max(server_error_ratio) AS errors, max(memory_bytes) AS memory, max(memory_limit_bytes) AS limit,
  sum(restarts)::int AS restarts, avg(latency_ms) AS latency
FROM binned GROUP BY target, bucket ORDER BY target, bucket`

const READ_INCIDENTS = `
SELECT target, started_at, ended_at, detail FROM incidents
WHERE (ended_at IS NULL OR ended_at >= $2) AND ($1::text IS NULL OR target = $1)
ORDER BY target, started_at`

interface PointRow {
  target: string
  bucket: Date
  samples: number
  down_samples: number
  rps: number | null
  p50: number | null
  p95: number | null
  errors: number | null
  memory: string | null
  limit: string | null
  restarts: number
  latency: number | null
}

interface IncidentRow {
  target: string
  started_at: Date
  ended_at: Date | null
  detail: string | null
}

/** Thrown by reads while the database cannot be reached; the API answers 503. */
export class HistoryUnavailableError extends Error {}

/**
 * The fleet's history in this app's own PostgreSQL database. The live page never waits on
 * it: it connects in the background, holds rounds in memory (bounded) while the database is
 * away, and writes them when it is back.
 */
export class HistoryStore {
  readonly #options: HistoryOptions
  #data: AppData | undefined
  #pending: Round[] = []
  #flushing: Promise<void> | undefined
  #connecting: Promise<void> | undefined
  #lastError: string | null = 'not connected yet'
  #lastCompaction = 0
  #closed = false
  #retryTimer: NodeJS.Timeout | undefined

  constructor(options: HistoryOptions) {
    this.#options = options
  }

  /** For /readyz: optional, so a lost history database makes this app degraded, not down. */
  readonly readiness: DependencyCheck = {
    name: 'history',
    required: false,
    check: async () => {
      const pool = this.#pool()
      if (!pool) throw new Error(this.#lastError ?? 'not connected')
      await pool.query('SELECT 1')
    },
  }

  /** Whether the last write or read reached the database. */
  get available(): boolean {
    return this.#data !== undefined && this.#lastError === null
  }

  /** Starts connecting in the background; returns at once. */
  start(): void {
    this.#connect()
  }

  /** Resolves once connected and migrated (tests wait on this). */
  async connected(): Promise<void> {
    while (!this.#data && !this.#closed) {
      await (this.#connecting ?? new Promise((resolve) => setTimeout(resolve, 50)))
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    await this.#connecting
    await this.flush()
    await this.#data?.close()
    this.#data = undefined
  }

  /** Queues a round and writes what is queued; never throws. */
  record(round: Round): Promise<void> {
    this.#pending.push(round)
    if (this.#pending.length > MAX_PENDING_ROUNDS) this.#pending.shift()
    return this.flush()
  }

  flush(): Promise<void> {
    this.#flushing ??= this.#writePending().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  /** Rolls raw rounds older than RAW_RETENTION_MS into buckets and deletes expired history. */
  async compact(now = new Date()): Promise<void> {
    const pool = this.#requirePool()
    const cutoffMs = Math.floor((now.getTime() - RAW_RETENTION_MS) / 1000 / ROLLUP_SECONDS)
    const rawCutoff = new Date(cutoffMs * ROLLUP_SECONDS * 1000)
    const expired = new Date(now.getTime() - this.#options.retentionHours * 3600_000)
    await pool.query(COMPACT, [rawCutoff])
    await pool.query('DELETE FROM rollups WHERE bucket < $1', [expired])
    await pool.query('DELETE FROM incidents WHERE ended_at < $1', [expired])
    this.#lastCompaction = now.getTime()
  }

  /** Every target's series over the window (or one target's), binned for charts. */
  async read(window: Window, target: string | null, now = new Date()): Promise<Series[]> {
    const pool = this.#requirePool()
    const { ms, bucketSeconds } = WINDOWS[window]
    const from = new Date(now.getTime() - ms)
    try {
      const [points, incidents] = await Promise.all([
        pool.query<PointRow>(READ_POINTS, [target, from, bucketSeconds]),
        pool.query<IncidentRow>(READ_INCIDENTS, [target, from]),
      ])
      this.#lastError = null
      const series = new Map<string, Series>()
      const of = (name: string) => {
        let entry = series.get(name)
        if (!entry) {
          entry = { target: name, points: [], incidents: [] }
          series.set(name, entry)
        }
        return entry
      }
      for (const row of points.rows) of(row.target).points.push(toPoint(row))
      for (const row of incidents.rows) of(row.target).incidents.push(toIncident(row))
      return [...series.values()]
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  /**
   * When each app's backups began to be watched: the earliest time stored for it, or `since`
   * (stored now) for an app not seen before.
   */
  async backupWatch(apps: readonly string[], since: Date): Promise<Map<string, Date>> {
    const pool = this.#requirePool()
    try {
      const { rows } = await pool.query<WatchRow>(BACKUP_WATCH, [apps, since])
      return new Map(rows.map((row) => [row.app, row.since]))
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  #pool(): pg.Pool | undefined {
    return this.#data?.pg
  }

  #requirePool(): pg.Pool {
    const pool = this.#pool()
    if (!pool) throw new HistoryUnavailableError(`history is unavailable: ${this.#lastError}`)
    return pool
  }

  #unavailable(error: unknown): HistoryUnavailableError {
    const reason = error instanceof Error ? error.message : String(error)
    this.#lastError = reason
    return new HistoryUnavailableError(`history is unavailable: ${reason}`, { cause: error })
  }

  async #writePending(): Promise<void> {
    const pool = this.#pool()
    if (!pool) return
    try {
      while (this.#pending.length > 0) {
        const round = this.#pending[0] as Round
        await pool.query(RECORD_ROUND, roundValues(round))
        if (round.firing) await pool.query(SAVE_FIRING, [firingValue(round.firing)])
        this.#pending.shift()
      }
      if (this.#lastError !== null) this.#options.log.info('history database reachable again')
      this.#lastError = null
      if (Date.now() - this.#lastCompaction >= COMPACT_EVERY_MS) await this.compact()
    } catch (error) {
      if (this.#lastError === null) {
        this.#options.log.warn({ err: error }, 'history database unreachable; holding rounds')
      }
      this.#lastError = error instanceof Error ? error.message : String(error)
    }
  }

  #connect(): void {
    if (this.#closed) return
    this.#connecting = this.#open().finally(() => {
      this.#connecting = undefined
    })
  }

  async #open(): Promise<void> {
    const { databaseUrl, log, reconnectMs } = this.#options
    let data: AppData | undefined
    try {
      data = await openAppData(
        {
          // A server that stops answering must not hold rounds forever.
          postgres: { url: databaseUrl, pool: { max: 4, query_timeout: 10_000 } },
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        },
        // An idle client losing its server; the next write notices and holds rounds.
        {
          onError: (_store, error) => log.warn({ err: error }, 'history database connection lost'),
        },
      )
      await runMigrations({ databaseUrl, dir: migrationsDir })
      if (this.#options.onConnected) {
        const pool = data.pg as pg.Pool
        const [firing, watch] = await Promise.all([
          pool.query<FiringRow>(
            'SELECT rule, target, since, fired_at, last_notified_at, message FROM alert_state',
          ),
          pool.query<WatchRow>('SELECT app, since FROM backup_watch'),
        ])
        this.#options.onConnected({
          firing: firing.rows.map(toFiring),
          backupWatch: new Map(watch.rows.map((row) => [row.app, row.since])),
        })
      }
    } catch (error) {
      await data?.close()
      this.#lastError = error instanceof Error ? error.message : String(error)
      log.warn({ err: error }, `history database unavailable; retrying in ${reconnectMs} ms`)
      if (!this.#closed) this.#retryTimer = setTimeout(() => this.#connect(), reconnectMs)
      return
    }
    if (this.#closed) {
      await data.close()
      return
    }
    this.#data = data
    log.info('history database connected')
    await this.flush()
  }
}

function roundValues(round: Round): unknown[] {
  const at = round.at.toISOString()
  const rows = round.samples.map((sample) => ({
    target: sample.target,
    at,
    status: sample.status,
    requests_per_second: sample.requestsPerSecond,
    p50_ms: sample.p50Ms,
    p95_ms: sample.p95Ms,
    server_error_ratio: sample.serverErrorRatio,
    memory_bytes: sample.memoryBytes === null ? null : Math.round(sample.memoryBytes),
    memory_limit_bytes: sample.memoryLimitBytes,
    restarts: sample.restarts,
    latency_ms: sample.latencyMs,
  }))
  const down = round.samples.filter((sample) => sample.status === 'down')
  const notDown = round.samples.filter((sample) => sample.status !== 'down')
  return [
    JSON.stringify(rows),
    JSON.stringify(
      down.map((sample) => ({ target: sample.target, started_at: at, detail: sample.detail })),
    ),
    at,
    notDown.map((sample) => sample.target),
  ]
}

interface WatchRow {
  app: string
  since: Date
}

interface FiringRow {
  rule: FiringAlert['rule']
  target: string
  since: Date
  fired_at: Date
  last_notified_at: Date
  message: string
}

function firingValue(firing: FiringAlert[]): string {
  return JSON.stringify(
    firing.map((alert) => ({
      rule: alert.rule,
      target: alert.target,
      since: alert.since,
      fired_at: alert.firedAt,
      last_notified_at: alert.lastNotifiedAt,
      message: alert.message,
    })),
  )
}

function toFiring(row: FiringRow): FiringAlert {
  return {
    rule: row.rule,
    target: row.target,
    since: row.since.toISOString(),
    firedAt: row.fired_at.toISOString(),
    lastNotifiedAt: row.last_notified_at.toISOString(),
    message: row.message,
  }
}

function toPoint(row: PointRow): HistoryPoint {
  return {
    at: row.bucket.toISOString(),
    samples: row.samples,
    downRatio: row.samples > 0 ? row.down_samples / row.samples : 0,
    requestsPerSecond: row.rps,
    p50Ms: row.p50,
    p95Ms: row.p95,
    serverErrorRatio: row.errors,
    memoryBytes: row.memory === null ? null : Number(row.memory),
    memoryLimitBytes: row.limit === null ? null : Number(row.limit),
    restarts: row.restarts,
    latencyMs: row.latency,
  }
}

function toIncident(row: IncidentRow): Incident {
  return {
    start: row.started_at.toISOString(),
    end: row.ended_at?.toISOString() ?? null,
    detail: row.detail,
  }
}
