import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isPortTakenLog, PortTakenError, retryIfPortTaken } from './errors.js'
import { findFreePort, LOOPBACK } from './free-port.js'
import { pingRedis } from './redis-ping.js'
import { generatePassword } from './secrets.js'
import type { RedisServer } from './servers.js'
import { ServiceProcess } from './service-process.js'
import { waitUntil } from './wait-until.js'

const READY_TIMEOUT_MS = 15_000

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

export function startRedisFromBinary(redisServer: string): Promise<RedisServer> {
  return retryIfPortTaken(() => startOnce(redisServer))
}

async function startOnce(redisServer: string): Promise<RedisServer> {
  const tempDir = mkdtempSync(join(tmpdir(), 'flotilla-testkit-redis-'))
  let server: ServiceProcess | undefined
  try {
    const password = generatePassword()
    const port = await findFreePort()
    const configFile = join(tempDir, 'redis.conf')
    writeFileSync(configFile, config(port, password, tempDir), { mode: 0o600 })
    server = new ServiceProcess({
      command: redisServer,
      args: [configFile],
      tempDir,
      logFile: join(tempDir, 'redis.log'),
      stopSignal: 'SIGTERM',
    })
    const running = server
    await waitUntil(() => pingRedis(LOOPBACK, port, password), {
      what: `Redis (${redisServer}) on port ${port}`,
      timeoutMs: READY_TIMEOUT_MS,
      giveUpIf: () => running.exitReason(),
    })
    running.detach()
    return {
      url: `redis://:${password}@${LOOPBACK}:${port}`,
      host: LOOPBACK,
      port,
      password,
      source: 'binaries',
      tempDir,
      stop: () => running.stop(),
    }
  } catch (error) {
    const portTaken = server !== undefined && isPortTakenLog(server.log())
    if (server) await server.stop()
    else rmSync(tempDir, { recursive: true, force: true })
    throw portTaken ? new PortTakenError((error as Error).message) : error
  }
}
