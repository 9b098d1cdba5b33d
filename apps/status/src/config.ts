import { fileURLToPath } from 'node:url'
import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

// `src/` in development and `dist/` when built both sit beside dist/fleet.json's folder.
const builtFleetFile = fileURLToPath(new URL('../dist/fleet.json', import.meta.url))
const bundledAlertsFile = fileURLToPath(new URL('../alerts.json', import.meta.url))

export const statusConfigSchema = serviceConfig({
  /** Written by the build from the app registry; see scripts/write-fleet.ts. */
  FLEET_FILE: Type.String({ minLength: 1, default: builtFleetFile }),
  POLL_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Per probe; keep it below the poll interval. */
  PROBE_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 2_000 }),
  /** Request rate and p95 latency cover about this much recent time. */
  METRICS_WINDOW_MS: Type.Integer({ minimum: 1_000, default: 60_000 }),
  /** This app's own database (the provisioner's credentials file sets it): the history. */
  DATABASE_URL: Type.String({ minLength: 1 }),
  /** History older than this is deleted; the 24 h chart needs at least 24. */
  HISTORY_RETENTION_HOURS: Type.Integer({ minimum: 24, maximum: 24 * 90, default: 48 }),
  /** Time between attempts to reach the history database while it is away. */
  HISTORY_RECONNECT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Alert rules and webhooks (see alerts.json); mount another file and point here. */
  ALERTS_FILE: Type.String({ minLength: 1, default: bundledAlertsFile }),
  /**
   * The public records `scripts/backup` writes of each verified backup (one `<app>.json`),
   * mounted read-only; unset: backup age is not watched.
   */
  BACKUP_RECORDS_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** Replaces the alerts file's default `backupAge.maxAgeHours` (per-app overrides still apply). */
  BACKUP_MAX_AGE_HOURS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
})

export type StatusConfig = Static<typeof statusConfigSchema>
