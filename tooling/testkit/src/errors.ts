/** The server could not bind its port because something else took it first; worth a retry. */
export class PortTakenError extends Error {}

export function isPortTakenLog(log: string): boolean {
  return /address already in use/i.test(log)
}

/** Runs `start` again with a fresh port when the port was grabbed between choosing and binding. */
export async function retryIfPortTaken<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= attempts) throw error
    }
  }
}
