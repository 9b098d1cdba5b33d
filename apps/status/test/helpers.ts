import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createService, loadConfig, type Service, serviceConfig } from '@flotilla/service'
import { statusApp } from '../src/app.js'
import { statusConfigSchema } from '../src/config.js'
import type { Fleet, FleetApp, FleetService } from '../src/fleet.js'

export interface FleetMember {
  name: string
  url: string
  port: number
  app: Service
  /** Makes the member's optional dependency fail (degraded) or answer again. */
  setOptionalDependencyDown(down: boolean): void
  close(): Promise<void>
}

/**
 * A real flotilla service standing in for a fleet app: /work answers after `?ms=` of delay,
 * and an optional dependency can be switched off to make /readyz say degraded.
 */
export async function startMember(name: string, version = '1.2.3'): Promise<FleetMember> {
  const config = loadConfig(serviceConfig({}), {
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
  })
  const app = await createService({ name, version, config })
  let optionalDown = false
  app.readiness.add({
    name: 'search-index',
    required: false,
    check: async () => {
      if (optionalDown) throw new Error('index <unreachable> & stale')
    },
  })
  app.get('/work', async (request) => {
    const { ms } = request.query as { ms?: string }
    await new Promise((resolve) => setTimeout(resolve, Number(ms ?? 0)))
    return { ok: true }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    setOptionalDependencyDown(down) {
      optionalDown = down
    },
    close: () => app.close(),
  }
}

export function fleetApp(member: Pick<FleetMember, 'name' | 'url' | 'port'>): FleetApp {
  return {
    name: member.name,
    tier: 'base',
    route: `/${member.name}/`,
    port: member.port,
    profile: null,
    url: member.url,
  }
}

export interface StatusHarness {
  app: Service
  url: string
  fleetFile: string
  close(): Promise<void>
}

/** The status app, listening on 127.0.0.1, reading a fleet file written to a temp folder. */
export async function startStatus(
  fleet: Fleet,
  env: Record<string, string> = {},
): Promise<StatusHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-status-'))
  const fleetFile = join(dir, 'fleet.json')
  await writeFile(fleetFile, JSON.stringify(fleet))
  const config = loadConfig(statusConfigSchema, {
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    FLEET_FILE: fleetFile,
    POLL_INTERVAL_MS: '200',
    PROBE_TIMEOUT_MS: '500',
    METRICS_WINDOW_MS: '5000',
    ...env,
  })
  const app = await createService({ name: 'status', version: 'test', config })
  await app.register(statusApp, config)
  await app.listen({ host: config.HOST, port: config.PORT })
  const { port } = app.server.address() as AddressInfo
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    fleetFile,
    async close() {
      await app.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export function tcpService(name: string, port: number): FleetService {
  return { name, description: `${name} over TCP`, probe: `tcp://127.0.0.1:${port}` }
}

/** Polls `read` until `accept` holds, or fails naming what was last seen. */
export async function waitFor<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  while (Date.now() < deadline) {
    last = await read()
    if (accept(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`)
}
