import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { after } from 'node:test'
import { fileURLToPath } from 'node:url'

const fixture = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url))

export interface Child {
  process: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

// A test that fails before its fixture exits must not leave it running: its open pipes would
// keep this test file, and so the whole run, waiting forever.
const running = new Set<ChildProcess>()
after(() => {
  for (const child of running) child.kill('SIGKILL')
})

export function runFixture(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  running.add(child)
  const exited = once(child, 'exit').then(([code]) => {
    running.delete(child)
    return code as number | null
  })
  return { process: child, stdout: () => stdout, stderr: () => stderr, exited }
}

// Generous: a loaded 2-core machine takes many seconds to start tsx; a bound, not a measurement.
export async function waitForPort(child: Child, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = /listening on (\d+)/.exec(child.stdout())
    if (match?.[1]) return Number(match[1])
    if (child.process.exitCode !== null) throw new Error(`fixture exited: ${child.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('fixture did not start listening')
}
