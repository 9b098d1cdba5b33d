import { spawn } from 'node:child_process'

/**
 * A tiny shell that outlives us: once this process is gone for any reason (even SIGKILL, where
 * no exit handler runs) it runs `cleanupScript` so servers and temp dirs never leak.
 */
const WAIT_FOR_PARENT = 'while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; shift; '

export interface Watchdog {
  /** The caller cleaned up itself; the watchdog must not act. */
  disarm(): void
}

/** `cleanupScript` is POSIX sh; `args` become its $1, $2, … */
export function startWatchdog(cleanupScript: string, args: string[]): Watchdog {
  const child = spawn(
    '/bin/sh',
    ['-c', WAIT_FOR_PARENT + cleanupScript, 'testkit-watchdog', String(process.pid), ...args],
    // Own process group: a Ctrl-C aimed at the test run must not kill the watchdog first.
    { detached: true, stdio: 'ignore' },
  )
  child.unref()
  return {
    disarm() {
      child.kill('SIGKILL')
    },
  }
}
