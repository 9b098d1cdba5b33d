import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { StatusReport } from '../src/report.js'
import {
  type FleetMember,
  fleetApp,
  type StatusHarness,
  startMember,
  startStatus,
  tcpService,
  waitFor,
} from './helpers.js'

async function report(status: StatusHarness): Promise<StatusReport> {
  const response = await fetch(`${status.url}/api/status`)
  assert.equal(response.status, 200)
  return (await response.json()) as StatusReport
}

const appNamed = (name: string) => (r: StatusReport) => r.apps.find((app) => app.name === name)
const serviceNamed = (name: string) => (r: StatusReport) =>
  r.services.find((service) => service.name === name)

describe('status app against a fleet of real services', () => {
  let alpha: FleetMember
  let beta: FleetMember
  let store: Server
  let storePort: number
  let status: StatusHarness

  before(async () => {
    ;[alpha, beta] = await Promise.all([startMember('alpha', '2.0.1'), startMember('beta')])
    store = createServer((socket) => socket.end())
    await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve))
    storePort = (store.address() as { port: number }).port
    status = await startStatus({
      apps: [fleetApp(alpha), fleetApp(beta)],
      services: [
        tcpService('postgres', storePort),
        { name: 'chroma', description: 'guard', probe: `${beta.url}/readyz` },
        { name: 'qdrant', description: 'nothing there', probe: `${beta.url}/no-such-path` },
      ],
    })
  })

  after(async () => {
    await status.close()
    await Promise.all([alpha.close(), beta.close()])
    await new Promise((resolve) => store.close(resolve))
  })

  it('shows every member up with version, uptime and memory', async () => {
    const r = await waitFor(
      () => report(status),
      (r) => r.apps.every((app) => app.status === 'up' && app.version !== null),
      'both apps up, versions read',
    )
    const alphaStatus = appNamed('alpha')(r)
    assert.equal(alphaStatus?.version, '2.0.1')
    assert.equal(alphaStatus?.route, '/alpha/')
    assert.ok((alphaStatus?.uptimeSeconds ?? -1) >= 0)
    assert.ok((alphaStatus?.memoryBytes ?? 0) > 10 * 1024 ** 2)
    assert.equal(r.pollIntervalMs, 200)
  })

  it('probes shared services by TCP and HTTP', async () => {
    const r = await waitFor(
      () => report(status),
      (r) => r.services.every((service) => service.status !== 'unknown'),
      'services probed',
    )
    assert.equal(serviceNamed('postgres')(r)?.status, 'up')
    assert.equal(serviceNamed('postgres')(r)?.probe, 'tcp')
    assert.equal(serviceNamed('chroma')(r)?.status, 'up')
    assert.deepEqual(
      { status: serviceNamed('qdrant')(r)?.status, detail: serviceNamed('qdrant')(r)?.detail },
      { status: 'down', detail: 'answered HTTP 404' },
    )
  })

  it('reports request rate and p95 from the traffic an app really served', async () => {
    for (let i = 0; i < 20; i++) await fetch(`${alpha.url}/work?ms=30`)
    const r = await waitFor(
      () => report(status),
      (r) =>
        (appNamed('alpha')(r)?.requestsPerSecond ?? 0) > 0 && appNamed('alpha')(r)?.p95Ms !== null,
      'alpha traffic in the window',
    )
    const p95 = appNamed('alpha')(r)?.p95Ms ?? 0
    // Every request slept 30 ms, so p95 is above the 25 ms bucket; the upper bound only
    // catches a unit error (seconds read as ms), leaving room for a loaded machine.
    assert.ok(p95 > 25 && p95 <= 1_000, `p95 ${p95} ms`)
  })

  it('says degraded when an optional dependency is down, naming it, and escapes it in HTML', async () => {
    beta.setOptionalDependencyDown(true)
    const r = await waitFor(
      () => report(status),
      (r) => appNamed('beta')(r)?.status === 'degraded',
      'beta degraded',
    )
    assert.equal(appNamed('beta')(r)?.detail, 'down: search-index: index <unreachable> & stale')
    const html = await (await fetch(`${status.url}/`)).text()
    assert.match(html, /index &lt;unreachable&gt; &amp; stale/)
    assert.doesNotMatch(html, /<unreachable>/)
    beta.setOptionalDependencyDown(false)
    await waitFor(
      () => report(status),
      (r) => appNamed('beta')(r)?.status === 'up',
      'beta up again',
    )
  })

  it('turns a stopped member down while the other stays up', async () => {
    await beta.close()
    // Apps and services are probed on their own schedules: one report can hold beta's new
    // result beside the chroma probe's last one, taken from the same server a moment before.
    const r = await waitFor(
      () => report(status),
      (r) => appNamed('beta')(r)?.status === 'down' && serviceNamed('chroma')(r)?.status === 'down',
      'beta down, and the service probed on it',
    )
    assert.equal(appNamed('beta')(r)?.detail, 'unreachable: connection refused')
    assert.equal(appNamed('beta')(r)?.memoryBytes, null)
    assert.equal(appNamed('alpha')(r)?.status, 'up')
    assert.equal(serviceNamed('chroma')(r)?.status, 'down')
  })

  it('serves the page and its renderer', async () => {
    const page = await fetch(`${status.url}/`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    const html = await page.text()
    assert.match(html, /data-name="alpha" data-status="up"/)
    assert.match(html, /data-name="beta" data-status="down"/)
    const script = await fetch(`${status.url}/assets/render.js`)
    assert.match(script.headers.get('content-type') ?? '', /javascript/)
    assert.match(await script.text(), /export function renderFleet/)
  })
})

describe('a member that hangs', () => {
  it('is down after the probe timeout, and the page still answers at once', async () => {
    const sockets = new Set<Socket>()
    const hanging = createServer((socket) => sockets.add(socket)) // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
    const port = (hanging.address() as { port: number }).port
    const status = await startStatus(
      { apps: [fleetApp({ name: 'stuck', url: `http://127.0.0.1:${port}`, port })], services: [] },
      { PROBE_TIMEOUT_MS: '2000', POLL_INTERVAL_MS: '100' },
    )
    try {
      // 'unknown' proves the answer did not wait for the hanging probe (which ends in 'down').
      const first = await report(status)
      assert.equal(first.apps[0]?.status, 'unknown')
      const r = await waitFor(
        () => report(status),
        (r) => r.apps[0]?.status === 'down',
        'stuck down',
      )
      assert.equal(r.apps[0]?.detail, 'unreachable: timed out')
    } finally {
      await status.close()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => hanging.close(resolve))
    }
  })
})
