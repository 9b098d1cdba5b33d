import { spawn } from 'node:child_process'
import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { composeVersionProblem } from '@flotilla/stack'

export interface RunOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  /** A file piped to the command's stdin. */
  stdinFile?: string
  /** A file the command's stdout is written to (instead of being returned). */
  stdoutFile?: string
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command (argv, no shell); the result carries the exit code, never throws on it. */
export type Runner = (argv: readonly string[], options?: RunOptions) => Promise<RunResult>

export const runCommand: Runner = (argv, options = {}) =>
  new Promise((resolve, reject) => {
    const [command, ...args] = argv
    if (!command) throw new Error('runCommand: empty command')
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const done: Promise<unknown>[] = []
    if (options.stdoutFile) {
      done.push(pipeline(child.stdout, createWriteStream(options.stdoutFile)))
    } else {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk
      })
    }
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    if (options.stdinFile) {
      done.push(pipeline(createReadStream(options.stdinFile), child.stdin))
    } else {
      child.stdin.end()
    }
    child.on('error', reject)
    child.on('close', (code) => {
      Promise.all(done).then(() => resolve({ code: code ?? 1, stdout, stderr }), reject)
    })
  })

/** Runs and throws with the command's stderr when it fails. */
export async function runChecked(
  runner: Runner,
  argv: readonly string[],
  options?: RunOptions,
): Promise<string> {
  const result = await runner(argv, options)
  if (result.code !== 0) {
    throw new Error(
      `${argv.slice(0, 3).join(' ')} … failed (exit ${result.code}): ${result.stderr.trim()}`,
    )
  }
  return result.stdout
}

/** This machine's Compose cannot run the stack (composeVersionProblem's message). */
export class ComposeVersionError extends Error {}

/** `docker compose`, once it is a Compose that runs docker-compose.yml (@flotilla/stack's rule). */
export async function composeCommand(runner: Runner = runCommand): Promise<string[]> {
  const version = await runner(['docker', 'compose', 'version', '--short']).catch(() => undefined)
  const problem = composeVersionProblem(version?.code === 0 ? version.stdout : undefined)
  if (problem) throw new ComposeVersionError(problem)
  return ['docker', 'compose']
}
