import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { appEnvPath, provisionRepository } from '@flotilla/provision'
import { BACKUP_RECORDS_VARIABLE, backupRecordFile, readBackupRecords } from '@flotilla/stack'
import pg from 'pg'
import { makeRepo, type Servers, startOwnServers } from '../../data/test/fixtures.js'

const exec = promisify(execFile)
const cli = join(import.meta.dirname, '../src/cli.ts')
const APP = 'rec_app'

/**
 * scripts/backup as the operator runs it (the CLI, --env against real PostgreSQL): the public
 * record the status app reads is written for a verified backup and never for a failed one.
 */
describe('scripts/backup writes the backup record only after a backup succeeds', () => {
  let servers: Servers
  let root: string
  let out: string
  let records: string
  let credentials: string

  const backup = (extra: NodeJS.ProcessEnv = {}) =>
    exec(
      process.execPath,
      ['--import', 'tsx', cli, 'backup', APP, '--root', root, '--env', '--out', out],
      {
        env: {
          ...process.env,
          SECRETS_DIR: servers.admin.secretsDir,
          [BACKUP_RECORDS_VARIABLE]: records,
          ...extra,
        },
      },
    )

  before(async () => {
    servers = await startOwnServers()
    root = await makeRepo([{ name: APP, stores: { postgres: true } }])
    await provisionRepository(root, servers.admin)
    credentials = appEnvPath(servers.admin.secretsDir, APP)
    const url = (await readFile(credentials, 'utf8')).match(/^DATABASE_URL=(.*)$/m)?.[1]
    assert.ok(url, 'the credentials file names DATABASE_URL')
    const pool = new pg.Pool({ connectionString: url.replace(/^"|"$/g, '') })
    await pool.query('CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 100) g')
    await pool.end()
    out = await mkdtemp(join(tmpdir(), 'flotilla-record-backups-'))
    // Not created beforehand: the first backup makes it.
    records = join(await mkdtemp(join(tmpdir(), 'flotilla-record-')), 'records')
  })

  after(async () => {
    await servers?.stop()
    await rm(out, { recursive: true, force: true })
    await rm(join(records, '..'), { recursive: true, force: true })
  })

  test('a verified backup leaves a world-readable record of when, how big and what', async () => {
    const started = Date.now()
    await backup()
    const [folder, ...others] = await readdir(join(out, APP))
    assert.ok(folder && others.length === 0, 'one backup folder')
    const files = await readdir(join(out, APP, folder))
    let size = 0
    for (const name of files) size += (await stat(join(out, APP, folder, name))).size

    const record = (await readBackupRecords(records)).get(APP)
    assert.ok(record, 'a record for the app')
    assert.equal(record.sizeBytes, size, 'the size of every file of the backup')
    assert.deepEqual(record.stores, ['postgres'])
    const finished = Date.parse(record.finishedAt)
    assert.ok(finished >= started && finished <= Date.now(), record.finishedAt)
    assert.equal((await stat(records)).mode & 0o777, 0o755)
    assert.equal((await stat(backupRecordFile(records, APP))).mode & 0o777, 0o644)
    assert.deepEqual(await readdir(records), [`${APP}.json`], 'no partial file left behind')
  })

  test('a failed backup leaves the previous record as it was', async () => {
    const before = await readFile(backupRecordFile(records, APP), 'utf8')
    const good = await readFile(credentials, 'utf8')
    // The app's password no longer matches: pg_dump is refused.
    await writeFile(credentials, good.replace(/(DATABASE_URL="?postgres(?:ql)?:\/\/[^:]+:)/, '$1x'))
    try {
      await assert.rejects(backup(), (error: { code?: number }) => error.code === 1)
    } finally {
      await writeFile(credentials, good)
    }
    assert.equal(await readFile(backupRecordFile(records, APP), 'utf8'), before)
    assert.equal((await readdir(join(out, APP))).length, 1, 'the failed backup left no folder')
  })
})
