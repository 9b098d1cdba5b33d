import { connect } from 'node:net'

const REASONS: Record<string, string> = {
  // On the compose network a stopped container's name no longer resolves.
  ENOTFOUND: 'host not found (not running?)',
  EAI_AGAIN: 'host not found (not running?)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
}

/** The reason a probe failed, in words an operator can act on. */
export function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out'
  // fetch wraps the socket error: TypeError('fetch failed', { cause })
  const cause = (error as { cause?: unknown }).cause
  const root = cause instanceof Error ? cause : error
  const code = (root as NodeJS.ErrnoException).code
  return (code && REASONS[code]) ?? code ?? root.message
}

/** GET with a deadline; the body is read within the same deadline. */
export async function fetchText(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { 'user-agent': 'flotilla-status' },
  })
  return { status: response.status, text: await response.text() }
}

/**
 * Checks a shared service by its probe URL: `tcp://host:port` must accept a connection,
 * `http(s)://…` must answer 2xx. Resolves when up, rejects with the reason when not.
 */
export async function probeService(probe: string, timeoutMs: number): Promise<void> {
  const url = new URL(probe)
  if (url.protocol === 'tcp:') {
    // IPv6 hosts come bracketed in URLs (`tcp://[::1]:5432`) but not in net.connect.
    return connectTcp(url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(url.port), timeoutMs)
  }
  const { status } = await fetchText(probe, timeoutMs)
  if (status < 200 || status > 299) throw new Error(`answered HTTP ${status}`)
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  if (!Number.isInteger(port) || port < 1) {
    return Promise.reject(new Error(`tcp probe needs a port: tcp://${host}:<port>`))
  }
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs })
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('timeout', () => {
      socket.destroy()
      reject(new Error('timed out'))
    })
    socket.once('error', (error) => {
      socket.destroy()
      reject(error)
    })
  })
}
