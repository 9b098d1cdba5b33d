/**
 * The kit's JSON metrics (/metrics?format=json) in the real stack: nginx keeps them internal
 * like /metrics, and the status page reads every running app's through the compose network
 * (uptime and memory come only from there).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { StatusReport } from '../../apps/status/src/report.js'
import type { Stack } from '../stack-handle.js'

export default function metricsJson(stack: Stack): void {
  test('metrics json: nginx answers 404 for the JSON metrics, whatever the spelling', async () => {
    for (const path of ['/metrics?format=json', '/%6detrics?format=json', '/metrics?format=xml']) {
      const response = await fetch(`${stack.base}${path}`)
      const body = (await response.json()) as { error?: { code?: string } }
      assert.equal(response.status, 404, path)
      assert.equal(body.error?.code, 'NOT_FOUND', path)
    }
  })

  test('metrics json: the status page shows uptime and memory of every running app', async () => {
    const deadline = Date.now() + 120_000
    let lacking: string[] = []
    for (;;) {
      const report = (await (await fetch(`${stack.base}/api/status`)).json()) as StatusReport
      const running = report.apps.filter((app) => stack.hasApp(app.name))
      assert.ok(running.length > 0, 'the stack runs apps')
      lacking = running
        .filter((app) => app.uptimeSeconds === null || !(app.memoryBytes && app.memoryBytes > 0))
        .map((app) => `${app.name} (${app.status}: ${app.detail ?? 'no metrics'})`)
      if (lacking.length === 0) return
      if (Date.now() > deadline) break
      await sleep(2_000)
    }
    assert.fail(`no metrics read for ${lacking.join(', ')}`)
  })
}
