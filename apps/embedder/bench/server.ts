import { type ChildProcess, spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'

const MEMORY_SAMPLE_MS = 100

export interface ServerProcess {
  origin: string
  /** Resident set size of the process and its descendants now, in MB. */
  rssMb(): Promise<number>
  /**
   * The largest RSS seen since start, in MB: the kernel's high-water mark of the process
   * (worker threads share its memory) or the tree's sampled sum, whichever is larger.
   */
  peakRssMb(): Promise<number>
  /** CPU time (user + system) the process and its descendants have used so far, in seconds. */
  cpuSeconds(): Promise<number>
  /**
   * Voluntary context switches of every thread of the process tree so far: each is a thread
   * going to sleep until something wakes it.
   */
  contextSwitches(): Promise<number>
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

async function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
}

/** `pid` and every process below it (children of any of its threads). */
async function processTree(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [])
  const children = await Promise.all(
    tasks.map((task) => readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')),
  )
  const below = children.flatMap((list) => list.split(' ').filter(Boolean).map(Number))
  return [pid, ...(await Promise.all(below.map(processTree))).flat()]
}

// /proc reports CPU times in USER_HZ ticks, which Linux fixes at 100 per second for userspace.
const TICKS_PER_SECOND = 100

/** utime + stime of the whole process (every thread), in seconds. */
async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // Fields after the command name, which is in parentheses and may hold spaces: utime and
  // stime are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / TICKS_PER_SECOND
}

async function processContextSwitches(pid: number): Promise<number> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [])
  const counts = await Promise.all(
    tasks.map(async (task) => {
      const status = await readFile(`/proc/${pid}/task/${task}/status`, 'utf8').catch(() => '')
      return Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0)
    }),
  )
  return counts.reduce((sum, n) => sum + n, 0)
}

/** The sum of `figure` over `pid` and its descendants. */
async function treeSum(pid: number, figure: (pid: number) => Promise<number>): Promise<number> {
  const values = await Promise.all((await processTree(pid)).map(figure))
  return values.reduce((sum, value) => sum + value, 0)
}

async function treeRssKb(pid: number): Promise<number> {
  return treeSum(pid, (p) => statusKb(p, 'VmRSS'))
}

/**
 * `node <args>` as its own process (so its memory is its own), on a free loopback port
 * (HOST, PORT), ready once GET /readyz answers 2xx. `name` names it in errors.
 */
export async function startServerProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<ServerProcess> {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const pid = child.pid as number
  const origin = `http://127.0.0.1:${port}`
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code}`))),
  )
  let sampledPeakKb = 0
  const sampler = setInterval(async () => {
    sampledPeakKb = Math.max(sampledPeakKb, await treeRssKb(pid))
  }, MEMORY_SAMPLE_MS)
  const deadline = Date.now() + 120_000
  try {
    for (;;) {
      const ready = await Promise.race([
        fetch(`${origin}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
        exited,
      ])
      if (ready) break
      if (Date.now() > deadline) throw new Error(`${name} did not become ready in 120 s`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } catch (error) {
    clearInterval(sampler)
    child.kill('SIGKILL')
    throw error
  }
  exited.catch(() => {})
  return {
    origin,
    rssMb: async () => (await treeRssKb(pid)) / 1024,
    cpuSeconds: () => treeSum(pid, processCpuSeconds),
    contextSwitches: () => treeSum(pid, processContextSwitches),
    async peakRssMb() {
      const now = await treeRssKb(pid)
      return Math.max(sampledPeakKb, now, await statusKb(pid, 'VmHWM')) / 1024
    },
    async stop() {
      clearInterval(sampler)
      child.kill('SIGTERM')
      await exited.catch(() => {})
    },
  }
}
