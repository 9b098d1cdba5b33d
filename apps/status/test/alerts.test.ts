import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { writeBackupRecord } from '@flotilla/stack'
import pg from 'pg'
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
  type TestDatabase,
  testDatabase,
  type WebhookReceiver,
  waitFor,
  writeAlertsFile,
} from './helpers.js'
import { checkAlertCycle } from './stack-check.js'

async function report(status: StatusHarness): Promise<StatusReport> {
  const response = await fetch(`${status.url}/api/status`)
  assert.equal(response.status, 200)
  return (await response.json()) as StatusReport
}

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

describe('backup age, from the records scripts/backup writes', () => {
  const HOUR = 3600_000
  let records: string
  let database: TestDatabase
  let receiver: WebhookReceiver
  let members: FleetMember[]
  let status: StatusHarness | undefined
  let alertsFile: string

  const record = (app: string, ageHours: number) =>
    writeBackupRecord(records, {
      format: 1,
      app,
      finishedAt: new Date(Date.now() - ageHours * HOUR).toISOString(),
      sizeBytes: 4096,
      stores: ['postgres'],
    })
  // notes and kb are backed up (they have stores); web has none, so it is never watched.
  const start = (env: Record<string, string> = {}) =>
    startStatus(
      {
        apps: members.map((member) => fleetApp(member, member.name !== 'web')),
        services: [],
      },
      {
        DATABASE_URL: database.url,
        BACKUP_RECORDS_DIR: records,
        ALERTS_FILE: alertsFile,
        POLL_INTERVAL_MS: '100',
        ...env,
      },
    )
  const backupNotices = () =>
    receiver.received
      .map((hook) => JSON.parse(hook.body) as Notice)
      .filter((notice) => notice.rule === 'backupAge')
      .map((notice) => `${notice.kind} ${notice.target}`)
      .sort()
  /** Lets a few rounds pass (the round time in /api/status moves on). */
  const rounds = async (harness: StatusHarness, count: number) => {
    const first = await report(harness)
    let seen = 0
    let last = first.generatedAt
    await waitFor(
      () => report(harness),
      (now) => {
        if (now.generatedAt !== last) {
          seen += 1
          last = now.generatedAt
        }
        return seen >= count
      },
      `${count} rounds`,
    )
  }

  before(async () => {
    records = await mkdtemp(join(tmpdir(), 'flotilla-backup-records-'))
    database = await testDatabase()
    receiver = await startWebhookReceiver()
    members = await Promise.all(['notes', 'kb', 'web'].map((name) => startMember(name)))
    process.env.TEST_HOOK_BACKUPS = `${receiver.url}/backups`
    alertsFile = await writeAlertsFile({
      webhooks: [{ name: 'test', format: 'json', urlEnv: 'TEST_HOOK_BACKUPS' }],
    })
  })

  after(async () => {
    await status?.close()
    await Promise.all(members.map((member) => member.close()))
    await receiver?.close()
    await database?.close()
    await rm(records, { recursive: true, force: true })
    await rm(join(alertsFile, '..'), { recursive: true, force: true })
  })

  it('a fresh stack without any backup yet gets its schedule before an alert', async () => {
    await record('kb', 1)
    status = await start()
    await rounds(status, 5)
    const view = await alerts(status)
    assert.equal(view.backupsWatched, true)
    assert.deepEqual(view.active, [])
    assert.deepEqual(
      view.backups.map(({ app, finishedAt }) => [app, finishedAt !== null]),
      [
        ['notes', false],
        ['kb', true],
      ],
    )
    const watched = await new pg.Client({ connectionString: database.url })
    await watched.connect()
    const { rows } = await watched.query('SELECT app FROM backup_watch ORDER BY app')
    await watched.end()
    assert.deepEqual(
      rows.map((row) => row.app),
      ['kb', 'notes'],
      'the watch start is kept for a restart',
    )
    await status.close()
    status = undefined
  })

  it('one alert per app for a backup older than its schedule, or none after it', async () => {
    // As if the stack had run 27 h since: notes still has no backup, kb's is 30 h old.
    const db = new pg.Client({ connectionString: database.url })
    await db.connect()
    await db.query(`UPDATE backup_watch SET since = now() - interval '27 hours'`)
    await db.end()
    await record('kb', 30)
    status = await start({ BACKUP_MAX_AGE_HOURS: '20' })
    const view = await waitFor(
      () => alerts(status as StatusHarness),
      (view) => view.active.length >= 2,
      'both backup alerts',
    )
    assert.equal(view.rules.backupAge.maxAgeHours, 20, 'BACKUP_MAX_AGE_HOURS is the schedule')
    assert.deepEqual(view.active.map((alert) => [alert.target, alert.message]).sort(), [
      ['kb', "kb's newest backup is 30 h old (schedule: 20 h)"],
      ['notes', 'notes has no backup yet, watched for 27 h (schedule: 20 h)'],
    ])
    const page = await fetch(status.url).then((response) => response.text())
    assert.match(page, /kb&#39;s newest backup is 30 h old/, 'the alert is on the page')
    await rounds(status, 5)
    await waitFor(
      async () => backupNotices(),
      (notices) => notices.length >= 2,
      'the webhook notices',
    )
    assert.deepEqual(backupNotices(), ['firing kb', 'firing notes'], 'one notice per incident')
  })

  it('a restart of the status app sends neither a second alert nor a false recovery', async () => {
    await status?.close()
    status = await start({ BACKUP_MAX_AGE_HOURS: '20' })
    await waitFor(
      () => alerts(status as StatusHarness),
      (view) => view.active.length >= 2,
      'both alerts taken over',
    )
    await rounds(status, 10)
    assert.equal((await alerts(status)).active.length, 2)
    assert.deepEqual(backupNotices(), ['firing kb', 'firing notes'])
  })

  it('a new backup clears its alert with one recovery notice', async () => {
    const harness = status as StatusHarness
    await record('notes', 0)
    await record('kb', 0)
    const view = await waitFor(
      () => alerts(harness),
      (view) => view.active.length === 0,
      'the backup alerts to clear',
    )
    assert.deepEqual(
      view.recent
        .filter((notice) => notice.kind === 'resolved')
        .map((notice) => notice.target)
        .sort(),
      ['kb', 'notes'],
    )
    await waitFor(
      async () => backupNotices(),
      (notices) => notices.length >= 4,
      'the recovery notices',
    )
    await rounds(harness, 5)
    assert.deepEqual(backupNotices(), [
      'firing kb',
      'firing notes',
      'resolved kb',
      'resolved notes',
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
