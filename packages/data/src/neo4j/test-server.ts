import { generatePassword, LOOPBACK, startOnFreePort } from '@flotilla/testkit'
import neo4j from 'neo4j-driver'
import {
  NEO4J_HOME_PREFIX,
  type Neo4jRuntime,
  neo4jCommand,
  prepareNeo4jRuntime,
  writeNeo4jHome,
} from './test-runtime.js'

export const NEO4J_URL_VAR = 'TEST_NEO4J_URL'
export const NEO4J_USER_VAR = 'TEST_NEO4J_USER'
export const NEO4J_PASSWORD_VAR = 'TEST_NEO4J_PASSWORD'
/** TEST_NEO4J_*, else NEO4J_*: the names Neo4j tests read before the testkit started servers. */
const VAR_PREFIXES = ['TEST_NEO4J', 'NEO4J'] as const

const USER = 'neo4j'
/** A JVM's first start loads thousands of classes; on 2 busy cores that takes a while. */
const READY_TIMEOUT_MS = 180_000

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
  const named = VAR_PREFIXES.find((prefix) => env[`${prefix}_URL`])
  if (named) {
    return neo4jFromUrl(env[`${named}_URL`] ?? '', {
      user: env[`${named}_USER`] || USER,
      password: env[`${named}_PASSWORD`] ?? '',
      urlVar: `${named}_URL`,
      passwordVar: `${named}_PASSWORD`,
    })
  }
  return startFromMaven(await prepareNeo4jRuntime())
}

/**
 * Neo4j Community from Maven's jars whose data stays in `dir` across stops (local
 * development): `password` is set on the first start and must stay the same afterwards.
 */
export async function startPersistentNeo4j(dir: string, password: string): Promise<Neo4jServer> {
  return startFromMaven(await prepareNeo4jRuntime(), { dir, password })
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

async function startFromMaven(
  runtime: Neo4jRuntime,
  persistent?: { dir: string; password: string },
): Promise<Neo4jServer> {
  const password = persistent?.password ?? generatePassword()
  const urlOf = (port: number) => `bolt://${LOOPBACK}:${port}`
  const {
    port,
    dir,
    process: server,
  } = await startOnFreePort({
    what: 'Neo4j',
    dir: persistent ? { keep: persistent.dir } : { tempPrefix: NEO4J_HOME_PREFIX },
    command(home, port) {
      writeNeo4jHome(home, port, password)
      return neo4jCommand(runtime, home, { persistent: persistent !== undefined })
    },
    probe: (port) => probeNeo4j(urlOf(port), USER, password),
    readyTimeoutMs: READY_TIMEOUT_MS,
    intervalMs: 250,
  })
  return {
    url: urlOf(port),
    host: LOOPBACK,
    port,
    user: USER,
    password,
    source: 'maven',
    tempDir: dir,
    stop: () => server.stop(),
  }
}
