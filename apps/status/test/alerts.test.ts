import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { AlertsConfigError, loadAlerts } from '../src/alerts/config.js'
import { AlertEngine, type Condition, type Notice } from '../src/alerts/engine.js'
import type { StatusReport } from '../src/report.js'
import type { AlertsView } from '../src/routes.js'
import {
  type FleetMember,
  fleetApp,
  QUICK_ALERT_RULES,
  type StatusHarness,
  startMember,
  startStatus,
  startWebhookReceiver,
  testDatabase,
  type WebhookReceiver,
  waitFor,
  writeAlertsFile,
} from './helpers.js'
import { checkAlertCycle } from './stack-check.js'

async function alerts(status: StatusHarness): Promise<AlertsView> {
  const response = await fetch(`${status.url}/api/alerts`)
  assert.equal(response.status, 200)
  return (await response.json()) as AlertsView
}

const FORMATS = ['json', 'slack', 'discord', 'ntfy'] as const

describe('an app that stops and comes back, at a real webhook receiver', () => {
  let member: FleetMember
  let receiver: WebhookReceiver
  let status: StatusHarness
  let alertsFile: string

  before(async () => {
    member = await startMember('ledger')
    receiver = await startWebhookReceiver()
    alertsFile = await writeAlertsFile({
      rules: QUICK_ALERT_RULES,
      reminderMinutes: 60,
      webhooks: FORMATS.map((format) => ({
        name: format,
        format,
        urlEnv: `TEST_HOOK_${format.toUpperCase()}`,
      })),
    })
    for (const format of FORMATS) {
      process.env[`TEST_HOOK_${format.toUpperCase()}`] = `${receiver.url}/${format}`
    }
    status = await startStatus(
      { apps: [fleetApp(member)], services: [] },
      { POLL_INTERVAL_MS: '100', ALERTS_FILE: alertsFile },
    )
  })

  after(async () => {
    await status?.close()
    await member?.close()
    await receiver?.close()
    await rm(join(alertsFile, '..'), { recursive: true, force: true })
    for (const format of FORMATS) delete process.env[`TEST_HOOK_${format.toUpperCase()}`]
  })

  const hooks = (path: string) => receiver.received.filter((hook) => hook.path === path)

  it('sends exactly one down notice per webhook, however many rounds it stays down', async () => {
    await waitFor(
      async () => (await (await fetch(`${status.url}/api/status`)).json()) as StatusReport,
      (r) => r.apps[0]?.status === 'up',
      'ledger up',
    )
    await member.close()
    await waitFor(
      async () => hooks('/json').length,
      (count) => count >= 1,
      'the down notice',
    )
    // 100 ms rounds: another three seconds is some thirty rounds of the same outage.
    await sleep(3_000)
    for (const format of FORMATS) {
      assert.equal(
        hooks(`/${format}`).length,
        1,
        `${format}: ${JSON.stringify(hooks(`/${format}`))}`,
      )
    }
    const notice = JSON.parse(hooks('/json')[0]?.body ?? '{}') as Notice & { text: string }
    assert.equal(notice.kind, 'firing')
    assert.equal(notice.rule, 'appDown')
    assert.equal(notice.target, 'ledger')
    assert.match(notice.message, /ledger is down: unreachable: connection refused/)
    const view = await alerts(status)
    assert.deepEqual(
      view.active.map((alert) => [alert.rule, alert.target]),
      [['appDown', 'ledger']],
    )
    const page = await (await fetch(`${status.url}/`)).text()
    assert.match(page, /1 alert firing/)
  })

  it('sends each webhook its own shape', () => {
    const slack = JSON.parse(hooks('/slack')[0]?.body ?? '{}')
    assert.deepEqual(Object.keys(slack), ['text'])
    assert.match(slack.text, /ALERT ledger: ledger is down/)
    const discord = JSON.parse(hooks('/discord')[0]?.body ?? '{}')
    assert.deepEqual(Object.keys(discord), ['content'])
    assert.match(discord.content, /ALERT ledger/)
    const ntfy = hooks('/ntfy')[0]
    assert.match(ntfy?.body ?? '', /^ledger is down/)
    assert.equal(ntfy?.headers.title, 'flotilla: ledger appDown')
    assert.equal(ntfy?.headers.priority, 'high')
    assert.equal(ntfy?.headers.tags, 'rotating_light')
  })

  it('sends exactly one recovery notice when it answers again, then nothing more', async () => {
    member = await startMember('ledger', '1.2.3', member.port)
    await waitFor(
      async () => hooks('/json').length,
      (count) => count >= 2,
      'the recovery notice',
    )
    await sleep(2_000)
    for (const format of FORMATS) assert.equal(hooks(`/${format}`).length, 2, format)
    const [down, recovered] = hooks('/json').map((hook) => JSON.parse(hook.body) as Notice)
    assert.equal(recovered?.kind, 'resolved')
    assert.equal(recovered?.since, down?.since, 'the recovery names the same incident')
    assert.match(recovered?.message ?? '', /^resolved after \d+ s: ledger is down/)
    assert.equal(hooks('/ntfy')[1]?.headers.tags, 'white_check_mark')
    const view = await alerts(status)
    assert.deepEqual(view.active, [])
    assert.deepEqual(
      view.recent.map((notice) => notice.kind),
      ['resolved', 'firing'],
    )
    assert.deepEqual(
      view.webhooks.map((webhook) => [webhook.name, webhook.configured]),
      FORMATS.map((format) => [format, true]),
    )
    assert.doesNotMatch(JSON.stringify(view), /127\.0\.0\.1/, 'webhook URLs are never shown')
  })
})

describe('AlertEngine over a clock', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000)
  const down = (active: boolean): Condition => ({
    rule: 'appDown',
    target: 'notes',
    active,
    forMs: 30_000,
    message: 'notes is down',
  })

  it('waits forMs, fires once, reminds at the interval, recovers once', () => {
    const sent: Notice[] = []
    const engine = new AlertEngine({ reminderMs: 600_000, send: (notice) => sent.push(notice) })
    for (let s = 0; s < 30; s += 5) engine.evaluate([down(true)], at(s))
    assert.equal(sent.length, 0, 'not before 30 s')
    for (let s = 30; s < 600; s += 5) engine.evaluate([down(true)], at(s))
    assert.deepEqual(
      sent.map((n) => n.kind),
      ['firing'],
    )
    for (let s = 600; s <= 1300; s += 5) engine.evaluate([down(true)], at(s))
    assert.deepEqual(
      sent.map((n) => [n.kind, n.at]),
      [
        ['firing', at(30).toISOString()],
        ['reminder', at(630).toISOString()],
        ['reminder', at(1230).toISOString()],
      ],
    )
    for (let s = 1305; s < 1400; s += 5) engine.evaluate([down(false)], at(s))
    assert.deepEqual(
      sent.map((n) => n.kind),
      ['firing', 'reminder', 'reminder', 'resolved'],
    )
    assert.equal(sent.at(-1)?.message, 'resolved after 22 min: notes is down')
    assert.deepEqual(engine.active(), [])
  })

  it('says nothing about a condition that clears before its time', () => {
    const sent: Notice[] = []
    const engine = new AlertEngine({ reminderMs: 0, send: (notice) => sent.push(notice) })
    for (let s = 0; s < 25; s += 5) engine.evaluate([down(true)], at(s))
    engine.evaluate([down(false)], at(25))
    for (let s = 30; s < 55; s += 5) engine.evaluate([down(true)], at(s))
    assert.deepEqual(sent, [])
  })
})

describe('backup age', () => {
  let dir: string
  let status: StatusHarness

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-backups-'))
    const backup = async (app: string, ageHours: number, complete = true) => {
      const created = new Date(Date.now() - ageHours * 3600_000)
      const folder = join(dir, app, created.toISOString().replace(/[:.]/g, '-'))
      await mkdir(folder, { recursive: true })
      if (complete) {
        await writeFile(
          join(folder, 'manifest.json'),
          JSON.stringify({ format: 1, app, createdAt: created.toISOString(), files: {} }),
        )
      }
    }
    await backup('notes', 30) // older than its 26 h
    await backup('kb', 50)
    await backup('kb', 1) // the newest counts
    await backup('billing', 2, false) // started, never finished: no complete backup
    status = await startStatus({ apps: [], services: [] }, { BACKUPS_DIR: dir })
  })

  after(async () => {
    await status?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('fires for an app whose newest complete backup is too old, or which has none', async () => {
    const view = await waitFor(
      () => alerts(status),
      (view) => view.active.length >= 2,
      'backup alerts',
    )
    assert.equal(view.backupsWatched, true)
    assert.deepEqual(view.active.map((alert) => [alert.target, alert.message]).sort(), [
      ['billing', 'billing has no complete backup'],
      ['notes', "notes's newest backup is 30 h old (over 26 h)"],
    ])
  })
})

describe('the alerts file', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-alerts-file-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('names every broken field', async () => {
    const file = join(dir, 'bad.json')
    await writeFile(
      file,
      JSON.stringify({
        rules: { appDown: { forSeconds: -1 } },
        reminderMinutes: 'often',
        webhooks: [{ name: 'x', format: 'teams', urlEnv: 'lower' }],
      }),
    )
    await assert.rejects(loadAlerts(file, {}), (error: Error) => {
      assert.ok(error instanceof AlertsConfigError)
      assert.match(error.message, /invalid alerts file .*bad\.json/)
      assert.match(error.message, /\/rules\/appDown\/forSeconds/)
      assert.match(error.message, /\/reminderMinutes/)
      assert.match(error.message, /\/webhooks\/0\/format/)
      assert.match(error.message, /\/webhooks\/0\/urlEnv/)
      return true
    })
  })

  it('takes URLs from the environment, refuses one that is not http(s) without echoing it', async () => {
    const bundled = new URL('../alerts.json', import.meta.url).pathname
    const loaded = await loadAlerts(bundled, {
      ALERT_SLACK_WEBHOOK_URL: 'https://hooks.example/T/B',
    })
    assert.deepEqual(
      loaded.webhooks.map((webhook) => [webhook.name, webhook.url]),
      [
        ['webhook', null],
        ['slack', 'https://hooks.example/T/B'],
        ['discord', null],
        ['ntfy', null],
      ],
    )
    await assert.rejects(
      loadAlerts(bundled, { ALERT_NTFY_URL: 'secret-token@ntfy' }),
      (error: Error) => {
        assert.match(error.message, /ALERT_NTFY_URL is not an http\(s\) URL/)
        assert.doesNotMatch(error.message, /secret-token/)
        return true
      },
    )
  })
})

describe('checkAlertCycle, the stack test’s helper, against a local status app', () => {
  it('stops an app, sees the alert, the recovery and the down period on the chart', async () => {
    let member = await startMember('orders')
    const alertsFile = await writeAlertsFile({
      rules: QUICK_ALERT_RULES,
    })
    const status = await startStatus(
      { apps: [fleetApp(member)], services: [] },
      { POLL_INTERVAL_MS: '200', ALERTS_FILE: alertsFile },
    )
    try {
      const result = await checkAlertCycle({
        baseUrl: status.url,
        app: 'orders',
        stop: () => member.close(),
        start: async () => {
          member = await startMember('orders', '1.2.3', member.port)
        },
        stepTimeoutMs: 20_000,
      })
      assert.equal(result.firing.kind, 'firing')
      assert.equal(result.resolved.kind, 'resolved')
      assert.ok(result.incident.end !== null)
    } finally {
      await status.close()
      await member.close()
      await rm(join(alertsFile, '..'), { recursive: true, force: true })
    }
  })
})

describe('a restart of the status app in the middle of an outage', () => {
  it('sends no second down notice, and the recovery still comes', async () => {
    const database = await testDatabase()
    const receiver = await startWebhookReceiver()
    let member = await startMember('billing')
    const alertsFile = await writeAlertsFile({
      rules: QUICK_ALERT_RULES,
      webhooks: [{ name: 'json', format: 'json', urlEnv: 'TEST_HOOK_RESTART' }],
    })
    process.env.TEST_HOOK_RESTART = `${receiver.url}/hook`
    const env = { POLL_INTERVAL_MS: '100', ALERTS_FILE: alertsFile, DATABASE_URL: database.url }
    const fleet = { apps: [fleetApp(member)], services: [] }
    let status = await startStatus(fleet, env)
    try {
      await waitFor(
        async () => (await (await fetch(`${status.url}/api/status`)).json()) as StatusReport,
        (r) => r.apps[0]?.status === 'up' && r.historyAvailable,
        'billing up, history recording',
      )
      await member.close()
      await waitFor(
        async () => receiver.received.length,
        (count) => count >= 1,
        'the down notice',
      )
      await status.close() // writes its last rounds, with the firing alert, on the way out
      status = await startStatus(fleet, env)
      const view = await waitFor(
        () => alerts(status),
        (view) => view.active.length === 1,
        'the alert taken over by the new run',
      )
      assert.deepEqual(
        view.active.map((alert) => [alert.rule, alert.target]),
        [['appDown', 'billing']],
      )
      await sleep(3_000) // thirty rounds, well past the rule's one second
      assert.equal(receiver.received.length, 1, 'no second down notice')

      member = await startMember('billing', '1.2.3', member.port)
      await waitFor(
        async () => receiver.received.length,
        (count) => count >= 2,
        'the recovery notice',
      )
      const [down, recovered] = receiver.received.map((hook) => JSON.parse(hook.body) as Notice)
      assert.equal(down?.kind, 'firing')
      assert.equal(recovered?.kind, 'resolved')
      assert.equal(recovered?.since, down?.since, 'the recovery names the same incident')
    } finally {
      await status.close()
      await member.close()
      await receiver.close()
      await database.close()
      await rm(join(alertsFile, '..'), { recursive: true, force: true })
      delete process.env.TEST_HOOK_RESTART
    }
  })
})
