/** Requests through nginx as the e2e tests make them: JSON in, status/headers/parsed body out. */
export function requester(base: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {}
    return { status: response.status, headers: response.headers, body: parsed }
  }
}

/** Polls `done` until it holds; fails after `timeoutMs`. */
export async function until(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done after ${timeoutMs / 1000}s`)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
}
