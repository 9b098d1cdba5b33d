import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDatabase, dropDatabase, startPostgres } from '@flotilla/data/postgres/test-server'
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
 * and an optional dependency can be switched off to make /readyz say degraded. `listenPort`
 * brings a stopped member back where the status app looks for it.
 */
export async function startMember(
  name: string,
  version = '1.2.3',
  listenPort = 0,
): Promise<FleetMember> {
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
  await app.listen({ host: '127.0.0.1', port: listenPort })
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

export function fleetApp(
  member: Pick<FleetMember, 'name' | 'url' | 'port'>,
  backedUp = false,
): FleetApp {
  return {
    name: member.name,
    tier: 'base',
    route: `/${member.name}/`,
    port: member.port,
    profile: null,
    memoryLimitBytes: 128 * 1024 ** 2,
    url: member.url,
    backedUp,
  }
}

export interface TestDatabase {
  url: string
  /** The server's host and port, for an outage proxy in front of it. */
  host: string
  port: number
  close(): Promise<void>
}

/** A fresh database on the test PostgreSQL (TEST_POSTGRES_URL, or one started for this). */
export async function testDatabase(): Promise<TestDatabase> {
  const server = await startPostgres()
  const url = await createDatabase(server.url, 'status')
  return {
    url,
    host: server.host,
    port: server.port,
    async close() {
      await dropDatabase(server.url, url)
      await server.stop()
    },
  }
}

export interface StatusHarness {
  app: Service
  url: string
  fleetFile: string
  close(): Promise<void>
}

/**
 * The status app, listening on 127.0.0.1, reading a fleet file written to a temp folder. Its
 * history goes to `env.DATABASE_URL`, or to a fresh database dropped on close.
 */
export async function startStatus(
  fleet: Fleet,
  env: Record<string, string> = {},
): Promise<StatusHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-status-'))
  const fleetFile = join(dir, 'fleet.json')
  await writeFile(fleetFile, JSON.stringify(fleet))
  const database = env.DATABASE_URL === undefined ? await testDatabase() : undefined
  const config = loadConfig(statusConfigSchema, {
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    FLEET_FILE: fleetFile,
    POLL_INTERVAL_MS: '200',
    // generous: a loaded machine must not turn a slow answer into a false outage
    PROBE_TIMEOUT_MS: '2000',
    METRICS_WINDOW_MS: '5000',
    HISTORY_RECONNECT_MS: '200',
    DATABASE_URL: database?.url ?? '',
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
      await database?.close()
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

export interface ReceivedHook {
  path: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface WebhookReceiver {
  url: string
  received: ReceivedHook[]
  close(): Promise<void>
}

/** A real HTTP server that records every POST it is sent, like a chat webhook. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** The bundled rules, but an app or service down for one second alerts. */
export const QUICK_ALERT_RULES = {
  appDown: { enabled: true, forSeconds: 1 },
  serviceDown: { enabled: true, forSeconds: 1 },
  p95: { enabled: true, thresholdMs: 1000, forSeconds: 60 },
  memory: { enabled: true, ratio: 0.9, forSeconds: 60 },
  backupAge: { enabled: true, maxAgeHours: 26 },
}

/** Writes an alerts file (the bundled one with `changes` on top) and returns its path. */
export async function writeAlertsFile(changes: Record<string, unknown>): Promise<string> {
  const bundled = JSON.parse(await readFile(new URL('../alerts.json', import.meta.url), 'utf8'))
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-alerts-'))
  const file = join(dir, 'alerts.json')
  await writeFile(file, JSON.stringify({ ...bundled, ...changes }))
  return file
}
