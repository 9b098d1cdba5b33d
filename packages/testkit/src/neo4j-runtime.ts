import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** pom.xml and Launcher.java sit beside src/ and dist/, so both find them the same way. */
const SOURCE_DIR = fileURLToPath(new URL('../neo4j/', import.meta.url))
const POM = join(SOURCE_DIR, 'pom.xml')
const LAUNCHER = join(SOURCE_DIR, 'Launcher.java')
const INSTALL_HINT = 'install a JDK 17 and Maven (`apt-get install openjdk-17-jdk-headless maven`)'

export interface Neo4jRuntime {
  /** A java argument file holding `-cp <classes:jars>`, so `ps` shows no 200-jar classpath. */
  argFile: string
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

function classpathOf(argFile: string): string[] {
  const text = readFileSync(argFile, 'utf8')
  return /^-cp "(.*)"$/m.exec(text)?.[1]?.split(':') ?? []
}

/** Every jar still in ~/.m2: a cleaned Maven cache means resolving again. */
function isComplete(dir: string): boolean {
  const argFile = join(dir, 'java.args')
  if (!existsSync(argFile)) return false
  const entries = classpathOf(argFile)
  return entries.length > 1 && entries.every((entry) => existsSync(entry))
}

async function tool(command: string, args: string[], what: string): Promise<string> {
  try {
    const { stdout } = await run(command, args, { maxBuffer: 16 * 1024 * 1024 })
    return stdout
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: string; stdout?: string; stderr?: string }
    if (code === 'ENOENT')
      throw new Error(`Cannot start Neo4j: \`${command}\` not found; ${INSTALL_HINT}`)
    const output = `${stderr ?? ''}${stdout ?? ''}`.trim().split('\n').slice(-15).join('\n')
    throw new Error(`Cannot start Neo4j: ${what} failed:\n${output || (error as Error).message}`)
  }
}

/** Resolves Neo4j with Maven and compiles the launcher, into a fresh dir renamed into place. */
async function build(dir: string): Promise<void> {
  mkdirSync(cacheRoot(), { recursive: true })
  const staging = await mkdtemp(`${dir}.building-`)
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
    // Classes at their final path: the arg file is used only after the rename below.
    writeFileSync(join(staging, 'java.args'), `-cp "${join(dir, 'classes')}:${jars}"\n`)
    try {
      renameSync(staging, dir)
    } catch (error) {
      // Another test process finished the same build first; theirs is as good as ours.
      if (!isComplete(dir)) throw error
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

let preparing: Promise<Neo4jRuntime> | undefined

/**
 * Neo4j's jars (from Maven Central through ~/.m2) and the compiled launcher, cached under
 * ~/.cache/flotilla-testkit: the first run downloads, later ones only check the files.
 */
export function prepareNeo4jRuntime(): Promise<Neo4jRuntime> {
  preparing ??= (async () => {
    const dir = runtimeDir()
    if (!isComplete(dir)) {
      rmSync(dir, { recursive: true, force: true })
      await build(dir)
    }
    return { argFile: join(dir, 'java.args') }
  })()
  preparing.catch(() => {
    preparing = undefined
  })
  return preparing
}
