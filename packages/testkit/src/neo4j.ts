import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import neo4j from 'neo4j-driver'
import { isPortTakenLog, PortTakenError, retryIfPortTaken } from './errors.js'
import { findFreePort, LOOPBACK } from './free-port.js'
import { prepareNeo4jRuntime } from './neo4j-runtime.js'
import { generatePassword } from './secrets.js'
import { ServiceProcess } from './service-process.js'
import { waitUntil } from './wait-until.js'

export const NEO4J_URL_VAR = 'TEST_NEO4J_URL'
export const NEO4J_USER_VAR = 'TEST_NEO4J_USER'
export const NEO4J_PASSWORD_VAR = 'TEST_NEO4J_PASSWORD'
/** The names the Neo4j tests read before the testkit started servers; still honoured. */
const LEGACY_VARS = { url: 'NEO4J_URL', user: 'NEO4J_USER', password: 'NEO4J_PASSWORD' }

const USER = 'neo4j'
/** A JVM's first start loads thousands of classes; on 2 busy cores that takes a while. */
const READY_TIMEOUT_MS = 180_000

/** Small, for a machine whose 2 cores and memory every engineer's tests share. */
const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:+ExitOnOutOfMemoryError',
  // What Neo4j's own scripts open, so its page cache does not fall back to slower paths.
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '-Dfile.encoding=UTF-8',
]

export interface Neo4jServer {
  /** e.g. bolt://127.0.0.1:7687 (no credentials: Bolt takes them apart from the URL) */
  url: string
  host: string
  port: number
  user: string
  password: string
  /** `env`: a running server named by the environment; `maven`: started from Maven's jars. */
  source: 'env' | 'maven'
  /** Home of a started server (data, config, logs); deleted by stop(). */
  tempDir?: string
  /** Stops what was started (a no-op for a server from the environment). Idempotent. */
  stop(): Promise<void>
}

export interface Neo4jStartOptions {
  /** Where TEST_NEO4J_* (or NEO4J_*) are read; `{}` always starts a fresh server. */
  env?: NodeJS.ProcessEnv
}

/**
 * A Neo4j server for tests: the one TEST_NEO4J_URL (or NEO4J_URL) names, else a throwaway
 * Neo4j Community 5.26 started from Maven Central's jars with auth on and a generated password.
 */
export async function startNeo4j(options: Neo4jStartOptions = {}): Promise<Neo4jServer> {
  const env = options.env ?? process.env
  const named = env[NEO4J_URL_VAR] ? 'TEST_NEO4J' : env[LEGACY_VARS.url] ? 'NEO4J' : undefined
  if (named) {
    return neo4jFromUrl(env[`${named}_URL`] ?? '', {
      user: env[`${named}_USER`] || USER,
      password: env[`${named}_PASSWORD`] ?? '',
      urlVar: `${named}_URL`,
      passwordVar: `${named}_PASSWORD`,
    })
  }
  const runtime = await prepareNeo4jRuntime()
  return retryIfPortTaken(() => startOnce(runtime.argFile))
}

export function neo4jFromUrl(
  url: string,
  credentials: { user: string; password: string; urlVar?: string; passwordVar?: string },
): Neo4jServer {
  const urlVar = credentials.urlVar ?? NEO4J_URL_VAR
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`${urlVar} is not a URL: "${url}"`)
  }
  if (!/^(bolt|neo4j)(\+s|\+ssc)?:$/.test(parsed.protocol)) {
    throw new Error(`${urlVar} must start with bolt:// or neo4j://, got "${parsed.protocol}//"`)
  }
  if (!credentials.password) {
    throw new Error(`${urlVar} is set but ${credentials.passwordVar ?? NEO4J_PASSWORD_VAR} is not`)
  }
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 7687),
    user: credentials.user,
    password: credentials.password,
    source: 'env',
    stop: async () => {},
  }
}

/** Resolves once `RETURN 1` answers over Bolt with these credentials; rejects with Neo4j's error. */
export async function probeNeo4j(url: string, user: string, password: string): Promise<void> {
  const driver = neo4j.driver(url, neo4j.auth.basic(user, password), {
    connectionTimeout: 2000,
    maxConnectionPoolSize: 1,
  })
  try {
    await driver.executeQuery('RETURN 1')
  } finally {
    await driver.close()
  }
}

function config(port: number): string {
  const address = `${LOOPBACK}:${port}`
  return [
    'server.bolt.enabled=true',
    `server.bolt.listen_address=${address}`,
    `server.bolt.advertised_address=${address}`,
    'server.bolt.tls_level=DISABLED',
    'server.http.enabled=false',
    'server.https.enabled=false',
    'dbms.security.auth_enabled=true',
    'server.memory.pagecache.size=64m',
    'db.memory.transaction.total.max=256m',
    // Throwaway data: no preallocated 256 MiB transaction log files.
    'db.tx_log.preallocate=false',
    'db.tx_log.rotation.retention_policy=false',
    'dbms.usage_report.enabled=false',
    '',
  ].join('\n')
}

async function startOnce(argFile: string): Promise<Neo4jServer> {
  const tempDir = mkdtempSync(join(tmpdir(), 'flotilla-testkit-neo4j-'))
  let server: ServiceProcess | undefined
  try {
    const password = generatePassword()
    const port = await findFreePort()
    mkdirSync(join(tempDir, 'conf'))
    writeFileSync(join(tempDir, 'conf', 'neo4j.conf'), config(port), { mode: 0o600 })
    // Through a file the launcher deletes on reading: a command line is visible in `ps`.
    writeFileSync(join(tempDir, 'initial-password'), password, { mode: 0o600 })
    server = new ServiceProcess({
      command: 'java',
      args: [...JVM_OPTIONS, `@${argFile}`, 'Launcher', tempDir],
      tempDir,
      logFile: join(tempDir, 'neo4j.log'),
      // Throwaway data: a clean shutdown (checkpoints, index flushes) takes seconds and keeps nothing.
      stopSignal: 'SIGKILL',
      env: { PATH: process.env.PATH, LC_ALL: 'C', JAVA_HOME: process.env.JAVA_HOME },
    })
    const url = `bolt://${LOOPBACK}:${port}`
    const running = server
    await waitUntil(() => probeNeo4j(url, USER, password), {
      what: `Neo4j on port ${port}`,
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 250,
      giveUpIf: () => running.exitReason(),
    })
    running.detach()
    return {
      url,
      host: LOOPBACK,
      port,
      user: USER,
      password,
      source: 'maven',
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
