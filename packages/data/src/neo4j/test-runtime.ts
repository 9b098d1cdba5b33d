import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  findFreePort,
  generatePassword,
  LOOPBACK,
  type ServerCommand,
  ServiceProcess,
} from '@flotilla/testkit'

const run = promisify(execFile)

/** pom.xml and Launcher.java stay in src/ (tsc copies no such files): dist/neo4j/ finds them there too. */
const SOURCE_DIR = fileURLToPath(new URL('../../src/neo4j/test-launcher/', import.meta.url))
const POM = join(SOURCE_DIR, 'pom.xml')
const LAUNCHER = join(SOURCE_DIR, 'Launcher.java')
const INSTALL_HINT = 'install a JDK 17 and Maven (`apt-get install openjdk-17-jdk-headless maven`)'
const ARG_FILE = 'java.args'
const CLASS_ARCHIVE = 'neo4j.jsa'
const TRAINING_TIMEOUT_MS = 300_000

/** Small, for a machine whose 2 cores and memory every engineer's tests share. */
const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  // The C1 compiler alone: a test server lives for minutes, and C2 would spend a core on it.
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  // What Neo4j's own scripts open, so its page cache does not fall back to slower paths.
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '-Dfile.encoding=UTF-8',
]

export interface Neo4jRuntime {
  /** A java argument file holding `-cp <launcher.jar:jars>`, so `ps` shows no 200-jar classpath. */
  argFile: string
  /** Class data archived by a training run: starts load Neo4j's classes from it. */
  classArchive: string
}

function neo4jConfig(port: number): string {
  const address = `${LOOPBACK}:${port}`
  return [
    'server.bolt.enabled=true',
    `server.bolt.listen_address=${address}`,
    `server.bolt.advertised_address=${address}`,
    'server.bolt.tls_level=DISABLED',
    'server.http.enabled=false',
    'server.https.enabled=false',
    'dbms.security.auth_enabled=true',
    // No lockout after failed logins: a test trying wrong passwords must not lock `neo4j` out
    // for every other test sharing the server.
    'dbms.security.auth_max_failed_attempts=0',
    'server.memory.pagecache.size=64m',
    'db.memory.transaction.total.max=256m',
    // Throwaway data: no preallocated 256 MiB transaction log files.
    'db.tx_log.preallocate=false',
    'dbms.usage_report.enabled=false',
    '',
  ].join('\n')
}

export const NEO4J_HOME_PREFIX = 'flotilla-testkit-neo4j-'

/** A fresh NEO4J_HOME: config for `port`, and the password the launcher reads and deletes. */
function createNeo4jHome(port: number, password: string): string {
  return writeNeo4jHome(mkdtempSync(join(tmpdir(), NEO4J_HOME_PREFIX)), port, password)
}

/**
 * `home` (new or holding data of an earlier start) configured for `port`. The launcher sets the
 * password only on a DBMS that has no users yet, so a kept home keeps its first password.
 */
export function writeNeo4jHome(home: string, port: number, password: string): string {
  mkdirSync(join(home, 'conf'), { recursive: true, mode: 0o700 })
  writeFileSync(join(home, 'conf', 'neo4j.conf'), neo4jConfig(port), { mode: 0o600 })
  // Through a file the launcher deletes on reading: a command line is visible in `ps`.
  writeFileSync(join(home, 'initial-password'), password, { mode: 0o600 })
  return home
}

/** How to run the launcher on `home`. */
export function neo4jCommand(
  runtime: Neo4jRuntime,
  home: string,
  extra: { jvm?: string[]; args?: string[]; persistent?: boolean } = {},
): ServerCommand {
  // A missing or stale archive only costs speed: the JVM then loads classes from the jars.
  const archive = existsSync(runtime.classArchive)
    ? [`-XX:SharedArchiveFile=${runtime.classArchive}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off']
    : []
  return {
    command: 'java',
    args: [
      ...JVM_OPTIONS,
      ...archive,
      ...(extra.jvm ?? []),
      `@${runtime.argFile}`,
      'Launcher',
      home,
      ...(extra.args ?? []),
    ],
    logFile: join(home, 'neo4j.log'),
    // Throwaway data: a clean shutdown (checkpoints, index flushes) takes seconds and keeps nothing;
    // kept data gets one.
    stopSignal: extra.persistent ? 'SIGTERM' : 'SIGKILL',
    env: { PATH: process.env.PATH, LC_ALL: 'C', JAVA_HOME: process.env.JAVA_HOME },
  }
}

function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flotilla-testkit')
}

/** Named after what built it: editing the pom or the launcher builds a fresh one. */
function runtimeDir(): string {
  const hash = createHash('sha256')
  for (const file of [POM, LAUNCHER]) hash.update(readFileSync(file))
  return join(cacheRoot(), `neo4j-${hash.digest('hex').slice(0, 16)}`)
}

function runtimeIn(dir: string): Neo4jRuntime {
  return { argFile: join(dir, ARG_FILE), classArchive: join(dir, CLASS_ARCHIVE) }
}

/** Every jar still in ~/.m2: a cleaned Maven cache means resolving again. */
function isComplete(dir: string): boolean {
  const argFile = join(dir, ARG_FILE)
  if (!existsSync(argFile)) return false
  const classpath = /^-cp "(.*)"$/m.exec(readFileSync(argFile, 'utf8'))?.[1]?.split(':') ?? []
  return classpath.length > 1 && classpath.every((entry) => existsSync(entry))
}

async function tool(command: string, args: string[], what: string): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: string; stdout?: string; stderr?: string }
    if (code === 'ENOENT') {
      throw new Error(`Cannot start Neo4j: \`${command}\` not found; ${INSTALL_HINT}`)
    }
    const output = `${stderr ?? ''}${stdout ?? ''}`.trim().split('\n').slice(-15).join('\n')
    throw new Error(`Cannot start Neo4j: ${what} failed:\n${output || (error as Error).message}`)
  }
}

/** Builds of an older pom or launcher: ~100 MB each, and nothing starts from them again. */
function removeOtherBuilds(current: string): void {
  for (const name of readdirSync(cacheRoot())) {
    const dir = join(cacheRoot(), name)
    if (/^neo4j-[0-9a-f]{16}$/.test(name) && dir !== current) {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/**
 * Resolves Neo4j with Maven and jars the compiled launcher, in a staging dir renamed into
 * place (whole or not at all). False when another process put its build there first.
 */
async function build(dir: string): Promise<boolean> {
  mkdirSync(cacheRoot(), { recursive: true })
  const staging = mkdtempSync(`${dir}.building-`)
  try {
    const classpathFile = join(staging, 'classpath.txt')
    await tool(
      'mvn',
      ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
      `resolving Neo4j with Maven (${POM})`,
    )
    const jars = readFileSync(classpathFile, 'utf8').trim()
    const classes = join(staging, 'classes')
    await tool('javac', ['-d', classes, '-cp', jars, LAUNCHER], `compiling ${LAUNCHER}`)
    // A jar, not a class folder: the JVM archives classes only from jars.
    await tool('jar', ['cf', join(staging, 'launcher.jar'), '-C', classes, '.'], 'jar')
    rmSync(classes, { recursive: true })
    // The launcher at its final path: the arg file is used only after the rename below.
    writeFileSync(join(staging, ARG_FILE), `-cp "${join(dir, 'launcher.jar')}:${jars}"\n`)
    try {
      renameSync(staging, dir)
      removeOtherBuilds(dir)
      return true
    } catch (error) {
      if (!isComplete(dir)) throw error
      return false
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/**
 * Starts Neo4j once with -XX:ArchiveClassesAtExit: later starts map those classes instead
 * of loading them, which halves the CPU a start costs. Best effort: without the archive a
 * start is only slower, and a real failure shows up, with its log, in the start that follows.
 */
async function train(runtime: Neo4jRuntime): Promise<void> {
  const written = `${runtime.classArchive}.${process.pid}`
  const home = createNeo4jHome(await findFreePort(), generatePassword())
  const server = new ServiceProcess({
    ...neo4jCommand(runtime, home, {
      jvm: [`-XX:ArchiveClassesAtExit=${written}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off'],
      args: ['--train'],
    }),
    tempDir: home,
  })
  const timer = new AbortController()
  try {
    const timeout = sleep(TRAINING_TIMEOUT_MS, 'timeout' as const, { signal: timer.signal })
    timeout.catch(() => {})
    const code = await Promise.race([server.exited(), timeout])
    if (code === 0 && existsSync(written)) renameSync(written, runtime.classArchive)
  } finally {
    timer.abort()
    await server.stop()
    rmSync(written, { force: true })
  }
}

let preparing: Promise<Neo4jRuntime> | undefined

/**
 * Neo4j's jars (from Maven Central through ~/.m2), the launcher and its class archive, cached
 * under ~/.cache/flotilla-testkit: the first run downloads and builds, later ones check files.
 */
export function prepareNeo4jRuntime(): Promise<Neo4jRuntime> {
  preparing ??= (async () => {
    const dir = runtimeDir()
    const runtime = runtimeIn(dir)
    if (!isComplete(dir)) {
      rmSync(dir, { recursive: true, force: true })
      if (await build(dir)) await train(runtime)
    }
    return runtime
  })()
  preparing.catch(() => {
    preparing = undefined
  })
  return preparing
}
