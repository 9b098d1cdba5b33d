import { fileURLToPath } from 'node:url'
import { serviceConfig } from '@flotilla/service'
import { type Static, Type } from 'typebox'

// `src/` in development and `dist/` when built both sit beside dist/fleet.json's folder.
const builtFleetFile = fileURLToPath(new URL('../dist/fleet.json', import.meta.url))

export const statusConfigSchema = serviceConfig({
  /** Written by the build from the app registry; see scripts/write-fleet.ts. */
  FLEET_FILE: Type.String({ minLength: 1, default: builtFleetFile }),
  POLL_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** Per probe; keep it below the poll interval. */
  PROBE_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 2_000 }),
  /** Request rate and p95 latency cover about this much recent time. */
  METRICS_WINDOW_MS: Type.Integer({ minimum: 1_000, default: 60_000 }),
})

export type StatusConfig = Static<typeof statusConfigSchema>
