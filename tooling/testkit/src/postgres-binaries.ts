import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { isPortTakenLog, PortTakenError, retryIfPortTaken } from './errors.js'
import type { PostgresBinaries } from './find-binaries.js'
import { findFreePort, LOOPBACK } from './free-port.js'
import { probePostgres } from './postgres-probe.js'
import { generatePassword } from './secrets.js'
import type { PostgresServer } from './servers.js'
import { ServiceProcess } from './service-process.js'
import { postgresRunAs, type SystemUser } from './system-user.js'
import { waitUntil } from './wait-until.js'

const SUPERUSER = 'postgres'
const READY_TIMEOUT_MS = 30_000

const SETTINGS = [
  'max_connections=200',
  // A client that never finishes authenticating stalls CREATE DATABASE until this runs out.
  'authentication_timeout=5s',
]
/** Throwaway data: durability only costs time. */
const THROWAWAY_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']

export function startPostgresFromBinaries(binaries: PostgresBinaries): Promise<PostgresServer> {
  return retryIfPortTaken(() => startOnce(binaries))
}

/**
 * A server whose data stays in `dir` across stops (local development): initialised with
 * `password` on the first start, started on the same data afterwards, durable settings.
 */
export function startPostgresInDir(
  binaries: PostgresBinaries,
  dir: string,
  password: string,
): Promise<PostgresServer> {
  return retryIfPortTaken(() => startOnce(binaries, { dir, password }))
}

async function startOnce(
  binaries: PostgresBinaries,
  persistent?: { dir: string; password: string },
): Promise<PostgresServer> {
  const runAs = postgresRunAs()
  const tempDir = persistent?.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-testkit-pg-'))
  let server: ServiceProcess | undefined
  try {
    mkdirSync(tempDir, { recursive: true, mode: 0o700 })
    if (runAs) chownSync(tempDir, runAs.uid, runAs.gid)
    const password = persistent?.password ?? generatePassword()
    const dataDir = join(tempDir, 'data')
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await initdb(binaries.initdb, dataDir, tempDir, password, runAs)
    }

    const port = await findFreePort()
    server = new ServiceProcess({
      command: binaries.postgres,
      args: [
        ...['-D', dataDir, '-p', String(port)],
        ...['-c', `listen_addresses=${LOOPBACK}`, '-c', `unix_socket_directories=${tempDir}`],
        ...(persistent ? SETTINGS : [...SETTINGS, ...THROWAWAY_SETTINGS]).flatMap((setting) => [
          '-c',
          setting,
        ]),
      ],
      tempDir,
      keepDir: persistent !== undefined,
      logFile: join(tempDir, 'postgres.log'),
      // Fast shutdown: aborts open sessions instead of waiting for clients to leave.
      stopSignal: 'SIGINT',
      runAs,
    })
    const url = `postgres://${SUPERUSER}:${password}@${LOOPBACK}:${port}/postgres`
    const running = server
    await waitUntil(() => probePostgres(url), {
      what: `PostgreSQL (${binaries.postgres}) on port ${port}`,
      timeoutMs: READY_TIMEOUT_MS,
      giveUpIf: () => running.exitReason(),
    })
    running.detach()
    return {
      url,
      host: LOOPBACK,
      port,
      user: SUPERUSER,
      password,
      source: 'binaries',
      tempDir,
      stop: () => running.stop(),
    }
  } catch (error) {
    const portTaken = server !== undefined && isPortTakenLog(server.log())
    if (server) await server.stop()
    else if (!persistent) rmSync(tempDir, { recursive: true, force: true })
    throw portTaken ? new PortTakenError((error as Error).message) : error
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
