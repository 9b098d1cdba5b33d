import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const CHROMA_IMAGE = 'chromadb/chroma:1.3.4'
const SETUP_HINT = 'run scripts/ci/docker-up.sh chroma'

export interface ChromaServer {
  /** Base URL, e.g. http://127.0.0.1:32768 (no trailing slash). */
  url: string
  /** Removes the container; a no-op for a TEST_CHROMA_URL server. */
  stop(): Promise<void>
}

/** Docker is not installed or dockerd is not running: the one reason Chroma tests may skip. */
export class DockerUnavailableError extends Error {
  constructor(cause: string) {
    super(`Docker is not available (${cause}): ${SETUP_HINT}`)
    this.name = 'DockerUnavailableError'
  }
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 60_000 })
  return stdout.trim()
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim()
  const message = stderr || (error instanceof Error ? error.message : String(error))
  return message.split('\n')[0] ?? message
}

async function ensureDockerAndImage(image: string): Promise<void> {
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'])
  } catch (error) {
    throw new DockerUnavailableError(firstLine(error))
  }
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', image])
  } catch {
    // Docker works but the image is missing: that is a setup error, not a reason to skip.
    throw new Error(`image ${image} is not built on this machine: ${SETUP_HINT}`)
  }
}

async function waitForHeartbeat(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastProblem = 'no answer yet'
  while (Date.now() < deadline) {
    // A ref'd timer, unlike AbortSignal.timeout: while docker-proxy holds a half-open
    // connection, nothing else keeps a plain script's event loop alive.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), 300)
    try {
      const response = await fetch(`${url}/api/v2/heartbeat`, { signal: controller.signal })
      if (response.ok) return
      lastProblem = `heartbeat answered ${response.status}`
    } catch (error) {
      lastProblem = firstLine(error)
    } finally {
      clearTimeout(timer)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`Chroma at ${url} not ready after ${timeoutMs} ms (${lastProblem})`)
}

/**
 * A throwaway Chroma: TEST_CHROMA_URL when set, else a fresh container of the local
 * chromadb/chroma image on a random 127.0.0.1 port (never pulled: there is no registry).
 */
export async function startChroma(
  options: { image?: string; readyTimeoutMs?: number } = {},
): Promise<ChromaServer> {
  const external = process.env.TEST_CHROMA_URL
  if (external) return { url: external.replace(/\/$/, ''), stop: async () => {} }

  const image = options.image ?? CHROMA_IMAGE
  await ensureDockerAndImage(image)
  const id = await docker([
    'run',
    '--detach',
    '--rm',
    '--pull=never',
    '--label=flotilla.testkit=chroma',
    '--publish=127.0.0.1::8000',
    image,
  ])
  const stop = async () => {
    await docker(['rm', '--force', '--volumes', id]).catch(() => {})
  }
  try {
    const published = await docker(['port', id, '8000/tcp'])
    const port = /:(\d+)$/m.exec(published)?.[1]
    if (!port) throw new Error(`cannot read the published port of container ${id}: ${published}`)
    const url = `http://127.0.0.1:${port}`
    await waitForHeartbeat(url, options.readyTimeoutMs ?? 30_000)
    return { url, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
