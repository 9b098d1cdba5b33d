import { setTimeout as sleep } from 'node:timers/promises'

export interface WaitOptions {
  what: string
  timeoutMs: number
  intervalMs?: number
  /** Returns a reason to stop waiting early (e.g. the server process exited). */
  giveUpIf?: () => string | undefined
}

/** Polls `probe` until it resolves; the last probe error explains a timeout. */
export async function waitUntil(probe: () => Promise<void>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  let lastError: unknown
  for (;;) {
    const reason = options.giveUpIf?.()
    if (reason !== undefined) throw new Error(`${options.what}: ${reason}`)
    try {
      await probe()
      return
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? lastError.message : String(lastError)
      throw new Error(`${options.what}: not ready after ${options.timeoutMs} ms (${detail})`)
    }
    await sleep(options.intervalMs ?? 50)
  }
}
