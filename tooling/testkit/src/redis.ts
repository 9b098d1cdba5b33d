import { chooseBackend } from './backend.js'
import { runContainer } from './docker.js'
import { findRedisServer } from './find-binaries.js'
import { startRedisFromBinary } from './redis-binaries.js'
import { pingRedis } from './redis-ping.js'
import { generatePassword } from './secrets.js'
import type { RedisServer, StartOptions } from './servers.js'
import { waitUntil } from './wait-until.js'

export const REDIS_URL_VAR = 'TEST_REDIS_URL'
const REDIS_IMAGE = 'redis:7'

/**
 * A Redis server for tests: the one TEST_REDIS_URL names, else a throwaway one from the
 * machine's redis-server, else from Docker's official image.
 */
export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const fromEnv = (options.env ?? process.env)[REDIS_URL_VAR]
  if (fromEnv && options.backend === undefined) return redisFromUrl(fromEnv)

  const redisServer = findRedisServer()
  const backend = await chooseBackend(
    'Redis',
    redisServer !== undefined,
    REDIS_URL_VAR,
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
