import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  chooseBackend,
  generatePassword,
  LOOPBACK,
  runContainer,
  type ServerSource,
  type StartOptions,
  startOnFreePort,
  waitUntil,
} from '@flotilla/testkit'
import { findRedisServer } from './test-persistent.js'
import { pingRedis } from './test-ping.js'

export {
  type PersistentRedis,
  type PersistentRedisOptions,
  stackRedisFiles,
  startPersistentRedis,
} from './test-persistent.js'

export const REDIS_URL_VAR = 'TEST_REDIS_URL'
const REDIS_IMAGE = 'redis:7'
const READY_TIMEOUT_MS = 15_000

export interface RedisServer {
  /** e.g. redis://:secret@127.0.0.1:63790 (the default user needs the password) */
  url: string
  host: string
  port: number
  password: string
  source: ServerSource
  /** Config and log of a server started from binaries; deleted by stop(). */
  tempDir?: string
  stop(): Promise<void>
}

/**
 * A Redis server for tests: the one TEST_REDIS_URL names, else a throwaway one from the
 * machine's redis-server, else from Docker's official image.
 */
export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const fromEnv = (options.env ?? process.env)[REDIS_URL_VAR]
  if (fromEnv && options.backend === undefined) return redisFromUrl(fromEnv)

  const redisServer = findRedisServer()
  const backend = await chooseBackend(
    {
      service: 'Redis',
      binariesFound: redisServer !== undefined,
      aptPackage: 'redis-server',
      envVar: REDIS_URL_VAR,
    },
    options.backend,
  )
  if (backend === 'binaries' && redisServer) return startRedisFromBinary(redisServer)
  return startRedisInDocker()
}

export function redisFromUrl(url: string): RedisServer {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`${REDIS_URL_VAR} is not a URL: "${url}"`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`${REDIS_URL_VAR} must start with redis://, got "${parsed.protocol}//"`)
  }
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: decodeURIComponent(parsed.password),
    source: 'env',
    stop: async () => {},
  }
}

async function startRedisInDocker(): Promise<RedisServer> {
  const password = generatePassword()
  const container = await runContainer({
    image: REDIS_IMAGE,
    role: 'redis',
    containerPort: 6379,
    env: { REDIS_PASSWORD: password },
    // Through the environment, so the password is not on the docker command line.
    command: [
      'sh',
      '-c',
      'exec redis-server --save "" --appendonly no --requirepass "$REDIS_PASSWORD"',
    ],
  })
  try {
    await waitUntil(() => pingRedis(container.host, container.port, password), {
      what: `Redis in container ${container.name}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    })
  } catch (error) {
    await container.remove()
    throw error
  }
  return {
    url: `redis://:${password}@${container.host}:${container.port}`,
    host: container.host,
    port: container.port,
    password,
    source: 'docker',
    stop: container.remove,
  }
}

function config(port: number, password: string, dir: string): string {
  return [
    `bind ${LOOPBACK}`,
    `port ${port}`,
    'protected-mode yes',
    'daemonize no',
    // Throwaway data: no snapshots, no append-only file.
    'save ""',
    'appendonly no',
    `dir ${dir}`,
    // The password lives in the config file, never on a command line visible in `ps`.
    `requirepass ${password}`,
    '',
  ].join('\n')
}

async function startRedisFromBinary(redisServer: string): Promise<RedisServer> {
  const password = generatePassword()
  const {
    port,
    dir,
    process: server,
  } = await startOnFreePort({
    what: `Redis (${redisServer})`,
    dir: { tempPrefix: 'flotilla-testkit-redis-' },
    command(dir, port) {
      const configFile = join(dir, 'redis.conf')
      writeFileSync(configFile, config(port, password, dir), { mode: 0o600 })
      return {
        command: redisServer,
        args: [configFile],
        logFile: join(dir, 'redis.log'),
        stopSignal: 'SIGTERM',
      }
    },
    probe: (port) => pingRedis(LOOPBACK, port, password),
    readyTimeoutMs: READY_TIMEOUT_MS,
  })
  return {
    url: `redis://:${password}@${LOOPBACK}:${port}`,
    host: LOOPBACK,
    port,
    password,
    source: 'binaries',
    tempDir: dir,
    stop: () => server.stop(),
  }
}
