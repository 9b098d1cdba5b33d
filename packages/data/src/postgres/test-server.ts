import { execFile } from 'node:child_process'
import { chownSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  chooseBackend,
  findBinaries,
  generatePassword,
  LOOPBACK,
  postgresRunAs,
  runContainer,
  type ServerSource,
  type StartOptions,
  type SystemUser,
  startOnFreePort,
  waitUntil,
} from '@flotilla/testkit'
import { probePostgres } from './test-probe.js'

export { createDatabase, dropDatabase } from './test-databases.js'

export const POSTGRES_URL_VAR = 'TEST_POSTGRES_URL'
const POSTGRES_IMAGE = 'postgres:17'
const SUPERUSER = 'postgres'
const READY_TIMEOUT_MS = 30_000
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql'

const SETTINGS = [
  'max_connections=200',
  // A client that never finishes authenticating stalls CREATE DATABASE until this runs out.
  'authentication_timeout=5s',
]
/** Throwaway data: durability only costs time. */
const THROWAWAY_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']

export interface PostgresServer {
  /** Superuser URL, e.g. postgres://postgres:secret@127.0.0.1:54321/postgres */
  url: string
  host: string
  port: number
  user: string
  password: string
  source: ServerSource
  /** Data dir, log and socket of a server started from binaries; deleted by stop() unless persistent. */
  tempDir?: string
  /** Stops what was started (a no-op for a server from the environment). Idempotent. */
  stop(): Promise<void>
}

/**
 * A PostgreSQL server for tests: the one TEST_POSTGRES_URL names, else a throwaway one from the
 * machine's binaries, else from Docker's official image.
 */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const fromEnv = (options.env ?? process.env)[POSTGRES_URL_VAR]
  if (fromEnv && options.backend === undefined) return postgresFromUrl(fromEnv)

  const binaries = findPostgresBinaries()
  const backend = await chooseBackend(
    {
      service: 'PostgreSQL',
      binariesFound: binaries !== undefined,
      aptPackage: 'postgresql',
      envVar: POSTGRES_URL_VAR,
    },
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
  return startPostgresFromBinaries(binaries, { dir, password })
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

interface PostgresBinaries {
  initdb: string
  postgres: string
}

/** Debian installs PostgreSQL off PATH, one directory per major version. */
function debianPostgresDirectories(): string[] {
  let versions: string[]
  try {
    versions = readdirSync(DEBIAN_POSTGRES_ROOT)
  } catch {
    return []
  }
  return versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(DEBIAN_POSTGRES_ROOT, version, 'bin'))
}

/** initdb and postgres from one directory (they must be the same version): PATH, then newest Debian. */
function findPostgresBinaries(): PostgresBinaries | undefined {
  return findBinaries(['initdb', 'postgres'], debianPostgresDirectories())
}

/**
 * A throwaway server, or with `persistent` one whose data stays in its dir across stops (local
 * development): initialised with its password on the first start, reused afterwards, durable.
 */
async function startPostgresFromBinaries(
  binaries: PostgresBinaries,
  persistent?: { dir: string; password: string },
): Promise<PostgresServer> {
  const runAs = postgresRunAs()
  const password = persistent?.password ?? generatePassword()
  const urlOf = (port: number) => `postgres://${SUPERUSER}:${password}@${LOOPBACK}:${port}/postgres`
  const {
    port,
    dir,
    process: server,
  } = await startOnFreePort({
    what: `PostgreSQL (${binaries.postgres})`,
    dir: persistent ? { keep: persistent.dir } : { tempPrefix: 'flotilla-testkit-pg-' },
    async prepare(dir) {
      if (runAs) chownSync(dir, runAs.uid, runAs.gid)
      const dataDir = join(dir, 'data')
      if (!existsSync(join(dataDir, 'PG_VERSION'))) {
        await initdb(binaries.initdb, dataDir, dir, password, runAs)
      }
    },
    command: (dir, port) => ({
      command: binaries.postgres,
      args: [
        ...['-D', join(dir, 'data'), '-p', String(port)],
        ...['-c', `listen_addresses=${LOOPBACK}`, '-c', `unix_socket_directories=${dir}`],
        ...(persistent ? SETTINGS : [...SETTINGS, ...THROWAWAY_SETTINGS]).flatMap((setting) => [
          '-c',
          setting,
        ]),
      ],
      logFile: join(dir, 'postgres.log'),
      // Fast shutdown: aborts open sessions instead of waiting for clients to leave.
      stopSignal: 'SIGINT',
      runAs,
    }),
    probe: (port) => probePostgres(urlOf(port)),
    readyTimeoutMs: READY_TIMEOUT_MS,
  })
  return {
    url: urlOf(port),
    host: LOOPBACK,
    port,
    user: SUPERUSER,
    password,
    source: 'binaries',
    tempDir: dir,
    stop: () => server.stop(),
  }
}

async function initdb(
  initdbPath: string,
  dataDir: string,
  tempDir: string,
  password: string,
  runAs: SystemUser | undefined,
): Promise<void> {
  // The password goes through a file: a command line is visible to every user in `ps`.
  const passwordFile = join(tempDir, 'superuser-password')
  writeFileSync(passwordFile, password, { mode: 0o600 })
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid)
  try {
    await promisify(execFile)(
      initdbPath,
      [
        ...['-D', dataDir, '-U', SUPERUSER, `--pwfile=${passwordFile}`],
        ...['--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
      ],
      {
        cwd: tempDir,
        uid: runAs?.uid,
        gid: runAs?.gid,
        env: { PATH: process.env.PATH, LC_ALL: 'C' },
      },
    )
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    throw new Error(`initdb failed${runAs ? ` (as user ${runAs.name})` : ''}: ${stderr || error}`)
  } finally {
    rmSync(passwordFile, { force: true })
  }
}
