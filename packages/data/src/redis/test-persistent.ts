import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  findBinaries,
  findFreePort,
  generatePassword,
  LOOPBACK,
  startWatchdog,
  waitUntil,
} from '@flotilla/testkit'
import { pingRedis } from './test-ping.js'

const READY_TIMEOUT_MS = 30_000
const ADMIN_USER = 'admin'

/** The repository's infra/ (this file is src/redis/ or dist/redis/ of packages/data). */
const INFRA = fileURLToPath(new URL('../../../../infra/', import.meta.url))

export function findRedisServer(): string | undefined {
  return findBinaries(['redis-server'], ['/usr/bin', '/usr/local/bin', '/usr/sbin'])?.[
    'redis-server'
  ]
}

/**
 * What the stack gives its Redis: infra/redis/redis.conf, and the `default` user's line that
 * infra/secrets/init.sh writes into the aclfile before every start.
 */
export function stackRedisFiles(): { config: string; defaultUserLine: string } {
  const config = readFileSync(join(INFRA, 'redis', 'redis.conf'), 'utf8')
  const init = readFileSync(join(INFRA, 'secrets', 'init.sh'), 'utf8')
  const line = /^\s*echo '(user default [^']*)'$/m.exec(init)?.[1]
  if (!line) throw new Error('infra/secrets/init.sh writes no `user default` line')
  return { config, defaultUserLine: line }
}

export interface PersistentRedisOptions {
  /** redis.conf text; its bind, port, dir, aclfile and pidfile lines are replaced. */
  config: string
  /** aclfile lines besides the `admin` user (all permissions) this adds. */
  acl: string[]
  /**
   * Keep the data here across stops (local development; created if missing, never deleted)
   * instead of a temp dir stop() deletes. The aclfile is written afresh on every start.
   */
  dir?: string
}

export interface PersistentRedis {
  host: string
  port: number
  /** Data dir (append-only file), aclfile and log; deleted by stop() unless given. */
  dir: string
  aclFile: string
  adminUser: string
  adminPassword: string
  /** redis://admin:…@host:port */
  adminUrl: string
  /** SIGKILL: no shutdown, no final write, as a crash or `kill -9` in a container. */
  kill(): Promise<void>
  /** Starts it again on the same port and data; resolves once `admin` gets PONG (data loaded). */
  start(): Promise<void>
  /** The server's log, across restarts. */
  log(): string
  stop(): Promise<void>
}

function withOwnPaths(config: string, port: number, dir: string): string {
  const replaced = /^\s*(bind|port|dir|aclfile|pidfile|daemonize|logfile)\s/
  return [
    ...config.split('\n').filter((line) => !replaced.test(line)),
    `bind ${LOOPBACK}`,
    `port ${port}`,
    `dir ${dir}`,
    `aclfile ${join(dir, 'users.acl')}`,
    `pidfile ${join(dir, 'redis.pid')}`,
    'daemonize no',
    '',
  ].join('\n')
}

/**
 * A redis-server from the machine's binaries with a given configuration (e.g. the stack's,
 * append-only file and aclfile included) that a test can kill -9 and start again on the same
 * data, as a container's restart policy does.
 */
export async function startPersistentRedis(
  options: PersistentRedisOptions,
): Promise<PersistentRedis> {
  const binary = findRedisServer()
  if (!binary) throw new Error('a persistent Redis needs redis-server on this machine')
  const kept = options.dir !== undefined
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flotilla-testkit-redis-persistent-'))
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const removeDir = () => {
    if (!kept) rmSync(dir, { recursive: true, force: true })
  }
  // Whatever runs when we die: the server of the moment (its pid file) and a temp directory.
  const watchdog = startWatchdog(
    `kill -KILL "$(cat "$1/redis.pid" 2>/dev/null)" 2>/dev/null${kept ? '' : '; rm -rf "$1"'}`,
    [dir],
  )
  const port = await findFreePort()
  const adminPassword = generatePassword()
  const aclFile = join(dir, 'users.acl')
  const configFile = join(dir, 'redis.conf')
  const logFile = join(dir, 'redis.log')
  writeFileSync(configFile, withOwnPaths(options.config, port, dir), { mode: 0o600 })
  writeFileSync(
    aclFile,
    [...options.acl, `user ${ADMIN_USER} on >${adminPassword} ~* &* +@all`, ''].join('\n'),
    { mode: 0o600 },
  )

  let child: ChildProcess | undefined
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8').trim()
    } catch {
      return '(no log)'
    }
  }
  const end = async (signal: NodeJS.Signals) => {
    if (!child || !running()) return
    child.ref()
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
  }
  const start = async () => {
    if (running()) throw new Error('Redis is already running')
    const out = openSync(logFile, 'a')
    try {
      child = spawn(binary, [configFile], { cwd: dir, stdio: ['ignore', out, out] })
    } finally {
      closeSync(out)
    }
    child.on('error', () => {})
    await waitUntil(() => pingRedis(LOOPBACK, port, adminPassword, ADMIN_USER), {
      what: `Redis (${binary}) on port ${port}`,
      timeoutMs: READY_TIMEOUT_MS,
      giveUpIf: () => (running() ? undefined : `redis-server exited:\n${log()}`),
    })
    // A test process may end without stop(): the watchdog then ends the server.
    child.unref()
  }

  try {
    await start()
  } catch (error) {
    await end('SIGKILL')
    watchdog.disarm()
    removeDir()
    throw error
  }
  return {
    host: LOOPBACK,
    port,
    dir,
    aclFile,
    adminUser: ADMIN_USER,
    adminPassword,
    adminUrl: `redis://${ADMIN_USER}:${adminPassword}@${LOOPBACK}:${port}`,
    kill: () => end('SIGKILL'),
    start,
    log,
    async stop() {
      await end('SIGTERM')
      watchdog.disarm()
      removeDir()
    },
  }
}
