/**
 * For the stack end-to-end test (e2e/stack.e2e.ts): stops one app's
 * container, and through nginx sees the status app raise the down alert, send the recovery
 * notice when the container is back, and draw the down period on the app's chart.
 *
 *   import { checkAlertCycle } from '../../../apps/status/test/stack-check.js'
 *   await checkAlertCycle({
 *     baseUrl: 'http://127.0.0.1:8080',
 *     app: 'notes',
 *     stop: () => compose(['stop', 'notes']),
 *     start: () => compose(['start', 'notes']),
 *   })
 *
 * With the bundled alerts.json (down for 30 s, 5 s rounds) one cycle takes about a minute.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { History } from '../src/history/types.js'
import type { StatusReport } from '../src/report.js'
import type { AlertsView } from '../src/routes.js'

export interface AlertCycleOptions {
  /** Where nginx answers, e.g. http://127.0.0.1:8080 (the status app is at "/"). */
  baseUrl: string
  /** A registered app whose container `stop` and `start` act on. */
  app: string
  stop(): Promise<unknown>
  start(): Promise<unknown>
  /** Per step; the alert needs the rule's forSeconds plus a round or two. */
  stepTimeoutMs?: number
}

export interface AlertCycleResult {
  firing: AlertsView['recent'][number]
  resolved: AlertsView['recent'][number]
  incident: History['series'][number]['incidents'][number]
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  assert.equal(response.status, 200, `${url} answered ${response.status}`)
  return (await response.json()) as T
}

async function until<T>(
  what: string,
  timeoutMs: number,
  read: () => Promise<T>,
  found: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    try {
      last = await read()
      if (found(last)) return last
    } catch (error) {
      if (Date.now() >= deadline) throw error
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`)
    }
    await sleep(1_000)
  }
}

/** Stops the app, waits for its alert, starts it, waits for the recovery; returns both. */
export async function checkAlertCycle(options: AlertCycleOptions): Promise<AlertCycleResult> {
  const { baseUrl, app } = options
  const timeoutMs = options.stepTimeoutMs ?? 120_000
  const base = baseUrl.replace(/\/$/, '')
  const alertsUrl = `${base}/api/alerts`
  const isOurs = (notice: { rule: string; target: string }) =>
    notice.rule === 'appDown' && notice.target === app

  await until(
    `${app} up on the status page`,
    timeoutMs,
    () => json<StatusReport>(`${base}/api/status`),
    (report) => report.apps.some((entry) => entry.name === app && entry.status === 'up'),
  )
  const stoppedAt = Date.now()
  await options.stop()
  const firingView = await until(
    `the appDown alert for ${app}`,
    timeoutMs,
    () => json<AlertsView>(alertsUrl),
    (view) =>
      view.active.some(isOurs) &&
      view.recent.some((n) => isOurs(n) && n.kind === 'firing' && Date.parse(n.at) >= stoppedAt),
  )
  const firing = firingView.recent.find((n) => isOurs(n) && n.kind === 'firing')
  assert.ok(firing)

  await options.start()
  const resolvedView = await until(
    `the recovery notice for ${app}`,
    timeoutMs,
    () => json<AlertsView>(alertsUrl),
    (view) =>
      view.recent.some((n) => isOurs(n) && n.kind === 'resolved' && n.since === firing.since),
  )
  assert.ok(!resolvedView.active.some(isOurs), 'the alert is no longer active')
  const ours = resolvedView.recent.filter((n) => isOurs(n) && n.since === firing.since)
  assert.deepEqual(
    ours.map((n) => n.kind),
    ['resolved', 'firing'],
    'exactly one alert and one recovery for this outage',
  )
  const resolved = ours[0]
  assert.ok(resolved)

  const history = await json<History>(
    `${base}/api/history?service=${encodeURIComponent(app)}&window=1h`,
  )
  const incident = history.series[0]?.incidents.find(
    (entry) => entry.end !== null && Date.parse(entry.start) >= stoppedAt - 1_000,
  )
  assert.ok(incident, `a closed down period of ${app}: ${JSON.stringify(history.series[0])}`)
  const page = await fetch(`${base}/?window=1h`).then((response) => response.text())
  const card = page.split(`<article `).find((chunk) => chunk.includes(`data-name="${app}"`))
  assert.ok(
    card?.includes(`class="incident" data-start="${incident.start}"`),
    `the page draws ${app}'s down period on its chart`,
  )
  return { firing, resolved, incident }
}
