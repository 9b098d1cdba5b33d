import { chooseBackend } from './backend.js'
import { runContainer } from './docker.js'
import { findPostgresBinaries } from './find-binaries.js'
import { startPostgresFromBinaries, startPostgresInDir } from './postgres-binaries.js'
import { probePostgres } from './postgres-probe.js'
import { generatePassword } from './secrets.js'
import type { PostgresServer, StartOptions } from './servers.js'
import { waitUntil } from './wait-until.js'

export const POSTGRES_URL_VAR = 'TEST_POSTGRES_URL'
const POSTGRES_IMAGE = 'postgres:17'

/**
 * A PostgreSQL server for tests: the one TEST_POSTGRES_URL names, else a throwaway one from the
 * machine's binaries, else from Docker's official image.
 */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const fromEnv = (options.env ?? process.env)[POSTGRES_URL_VAR]
  if (fromEnv && options.backend === undefined) return postgresFromUrl(fromEnv)

  const binaries = findPostgresBinaries()
  const backend = await chooseBackend(
    'PostgreSQL',
    binaries !== undefined,
    POSTGRES_URL_VAR,
    options.backend,
  )
  if (backend === 'binaries' && binaries) return startPostgresFromBinaries(binaries)
  return startPostgresInDocker()
}

/**
 * A PostgreSQL from the machine's binaries whose data stays in `dir` across stops (local
 * development): initialised with `password` on the first start, reused afterwards.
 */
export function startPersistentPostgres(dir: string, password: string): Promise<PostgresServer> {
  const binaries = findPostgresBinaries()
  if (!binaries) {
    throw new Error(
      'a persistent PostgreSQL needs its binaries on this machine: `apt-get install postgresql`',
    )
  }
  return startPostgresInDir(binaries, dir, password)
}

export function postgresFromUrl(url: string): PostgresServer {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`${POSTGRES_URL_VAR} is not a URL: "${url}"`)
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`${POSTGRES_URL_VAR} must start with postgres://, got "${parsed.protocol}//"`)
  }
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    source: 'env',
    stop: async () => {},
  }
}

async function startPostgresInDocker(): Promise<PostgresServer> {
  const password = generatePassword()
  const container = await runContainer({
    image: POSTGRES_IMAGE,
    role: 'postgres',
    containerPort: 5432,
    env: { POSTGRES_PASSWORD: password },
    command: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  })
  const url = `postgres://postgres:${password}@${container.host}:${container.port}/postgres`
  try {
    // The image's first start runs its init scripts on a socket-only server, then restarts.
    await waitUntil(() => probePostgres(url), {
      what: `PostgreSQL in container ${container.name}`,
      timeoutMs: 60_000,
      intervalMs: 200,
    })
  } catch (error) {
    await container.remove()
    throw error
  }
  return {
    url,
    host: container.host,
    port: container.port,
    user: 'postgres',
    password,
    source: 'docker',
    stop: container.remove,
  }
}
