import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { isPortOpen } from '@flotilla/testkit'

/** Polls until the port refuses connections and the dir is gone; false if that never happens. */
export async function becomesGone(port: number, dir: string | undefined, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const dirGone = dir === undefined || !existsSync(dir)
    if (dirGone && !(await isPortOpen(port))) return true
    await sleep(100)
  }
  return false
}
