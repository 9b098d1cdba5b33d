/**
 * The status app's backupAge alert in the real stack, through the shipped wiring: the records
 * folder compose mounts read-only into the status container (FLOTILLA_BACKUP_RECORDS_DIR, by
 * default <root>/backups/.records) and scripts/backup writing it. A record older than the
 * schedule (alerts.json's 26 h) raises the alert on the page, in /api/alerts and at the
 * webhook; running scripts/backup clears it with one recovery notice.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type BackupRecord,
  backupRecordFile,
  backupRecordsDir,
  writeBackupRecord,
} from '@flotilla/stack'
import type { AlertsView } from '../../apps/status/src/routes.js'
import { run } from '../compose.js'
import type { Stack } from '../stack-handle.js'

const APP = 'notes'
const HOUR_MS = 3600_000

interface Notice {
  kind: string
  rule: string
  target: string
  since: string
  at: string
  message: string
}

async function until<T>(what: string, read: () => Promise<T>, found: (value: T) => boolean) {
  const deadline = Date.now() + 120_000
  let last: T | undefined
  for (;;) {
    last = await read().catch(() => last)
    if (last !== undefined && found(last)) return last
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`)
    }
    await sleep(1_000)
  }
}

/** The value after `flag` in the stack's compose command line (-p project, -f file). */
function argAfter(compose: string[], flag: string): string {
  const value = compose[compose.indexOf(flag) + 1]
  assert.ok(value, `${flag} in ${compose.join(' ')}`)
  return value
}

export default function (stack: Stack) {
  test('status-backups: a backup older than its schedule alerts once; scripts/backup clears it with one recovery notice', {
    skip: !stack.hasApp(APP) || !stack.hasApp('status'),
  }, async () => {
    const compose = stack.compose()
    // The folder the stack's status container has mounted, as scripts/backup finds it.
    const records = backupRecordsDir(stack.root, stack.env)
    const backups = mkdtempSync(join(tmpdir(), 'flotilla-backups-'))
    const sink = (await run([...compose, 'port', 'webhook-sink', '9000'], { env: stack.env }))
      .trim()
      .split('\n')[0]
    const sinkNotices = async () => {
      const received = (await (await fetch(`http://${sink}/received`)).json()) as { body: string }[]
      return received
        .map((entry) => JSON.parse(entry.body) as Notice)
        .filter((notice) => notice.rule === 'backupAge' && notice.target === APP)
    }
    const alerts = async () => {
      const response = await fetch(`${stack.base}/api/alerts`)
      assert.equal(response.status, 200)
      return (await response.json()) as AlertsView
    }
    const isOurs = (notice: { rule: string; target: string }) =>
      notice.rule === 'backupAge' && notice.target === APP

    try {
      const { maxAgeHours } = (await alerts()).rules.backupAge
      const ageHours = Math.ceil(maxAgeHours) + 4
      const finishedAt = new Date(Date.now() - ageHours * HOUR_MS).toISOString()
      const startedAt = Date.now()
      await writeBackupRecord(records, {
        format: 1,
        app: APP,
        finishedAt,
        sizeBytes: 1024,
        stores: ['postgres'],
      })

      const firingView = await until('the backupAge alert', alerts, (view) =>
        view.active.some(isOurs),
      )
      assert.equal(firingView.backupsWatched, true)
      assert.deepEqual(
        firingView.backups.find((backup) => backup.app === APP),
        { app: APP, finishedAt, sizeBytes: 1024 },
        'the record as written, read through the read-only mount',
      )
      const firing = firingView.active.find(isOurs)
      assert.match(
        firing?.message ?? '',
        new RegExp(`^${APP}'s newest backup is ${ageHours} h old`),
      )
      const page = await (await fetch(`${stack.base}/`)).text()
      assert.ok(
        page.includes(`${APP}&#39;s newest backup is ${ageHours} h old`),
        'the alert is on the page',
      )

      // The operator command, as an operator runs it against the running stack.
      await run(['scripts/backup', APP, '--out', backups], {
        cwd: stack.root,
        env: {
          ...stack.env,
          COMPOSE_PROJECT_NAME: argAfter(compose, '-p'),
          COMPOSE_FILE: argAfter(compose, '-f'),
          COMPOSE_PROFILES: 'ml',
        },
      })
      const record = JSON.parse(
        readFileSync(backupRecordFile(records, APP), 'utf8'),
      ) as BackupRecord
      assert.ok(Date.parse(record.finishedAt) >= startedAt, 'scripts/backup wrote a new record')
      assert.ok(record.sizeBytes > 0 && record.stores.includes('postgres'), JSON.stringify(record))

      const resolvedView = await until('the recovery notice', alerts, (view) =>
        view.recent.some((n) => isOurs(n) && n.kind === 'resolved' && n.since === firing?.since),
      )
      assert.ok(!resolvedView.active.some(isOurs), 'the alert is no longer active')
      assert.equal(
        resolvedView.backups.find((backup) => backup.app === APP)?.finishedAt,
        record.finishedAt,
      )
      const atWebhook = await until('the recovery at the webhook', sinkNotices, (notices) =>
        notices.some((n) => n.kind === 'resolved' && Date.parse(n.at) >= startedAt),
      )
      assert.deepEqual(
        atWebhook.filter((n) => Date.parse(n.at) >= startedAt).map((n) => n.kind),
        ['firing', 'resolved'],
        'one alert and one recovery notice at the webhook',
      )
    } finally {
      rmSync(backups, { recursive: true, force: true })
    }
  })
}
