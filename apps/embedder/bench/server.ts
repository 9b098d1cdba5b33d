import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))

export interface EmbedderProcess {
  origin: string
  pid: number
  /** Current and peak resident set size of the process, in MB. */
  memory(): Promise<{ rssMb: number; peakRssMb: number }>
  /** A gauge from the server's /metrics (prom-client resets the event-loop histogram on read). */
  metric(name: string): Promise<number>
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/**
 * The built embedder (dist/main.js; or another ML app's `main`) as its own process, so its
 * RSS is its own.
 */
export async function startEmbedderProcess(
  env: Record<string, string>,
  main = MAIN,
): Promise<EmbedderProcess> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const origin = `http://127.0.0.1:${port}`
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`embedder exited with code ${code}`))),
  )
  const deadline = Date.now() + 60_000
  for (;;) {
    const ready = await Promise.race([
      fetch(`${origin}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
      exited,
    ])
    if (ready) break
    if (Date.now() > deadline) throw new Error('embedder did not become ready in 60 s')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  exited.catch(() => {})
  return {
    origin,
    pid: child.pid as number,
    async memory() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1])
      return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 }
    },
    async metric(name) {
      const text = await (await fetch(`${origin}/metrics`)).text()
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      return Number(line?.split(' ').at(-1))
    },
    async stop() {
      child.kill('SIGTERM')
      await exited.catch(() => {})
    },
  }
}
