import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { type Static, Type } from 'typebox'
import Value from 'typebox/value'
import type { App } from './app.js'
import { APP_NAME_PATTERN } from './names.js'

/**
 * Backups hold every app's data and stay 0700 root; what the status app may know of them —
 * when each app's last backup finished and how big it was — is written beside them as one
 * small world-readable record per app, in a folder of its own mounted read-only into status.
 */

/** The .env / environment variable naming the records folder on the host. */
export const BACKUP_RECORDS_VARIABLE = 'FLOTILLA_BACKUP_RECORDS_DIR'
/** Relative to the stack's root; a dot folder, so it never collides with an app's backups. */
export const BACKUP_RECORDS_DEFAULT_DIR = 'backups/.records'
/** Where the folder is mounted in the status container, and the variable telling it so. */
export const BACKUP_RECORDS_MOUNT = '/run/flotilla/backup-records'
export const BACKUP_RECORDS_APP_VARIABLE = 'BACKUP_RECORDS_DIR'
/** The one app that reads the records: the fleet's monitor. */
export const BACKUP_RECORDS_READER = 'status'

export const BackupRecordSchema = Type.Object(
  {
    format: Type.Literal(1),
    app: Type.String({ pattern: APP_NAME_PATTERN.source }),
    /** When the backup was complete and its checksums verified (ISO 8601). */
    finishedAt: Type.String({ format: 'date-time' }),
    /** Bytes of all its files. */
    sizeBytes: Type.Integer({ minimum: 0 }),
    /** The stores it holds a copy of (postgres, redis, …). */
    stores: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)
export type BackupRecord = Static<typeof BackupRecordSchema>

/** Whether `scripts/backup` has anything to back up for the app (it skips the others). */
export function isBackedUp(app: Pick<App, 'stores'>): boolean {
  return Object.values(app.stores).some(Boolean)
}

/** The records folder on the host: the variable if set (relative to root), else the default. */
export function backupRecordsDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env[BACKUP_RECORDS_VARIABLE] || BACKUP_RECORDS_DEFAULT_DIR
  return isAbsolute(dir) ? dir : resolve(root, dir)
}

/** The app's record in the folder. */
export const backupRecordFile = (dir: string, app: string) => join(dir, `${app}.json`)

/**
 * Replaces the app's record in one rename, so a reader sees the old record or the new one,
 * never half of one. Folder and file are world-readable on purpose: they hold no secret.
 */
export async function writeBackupRecord(dir: string, record: BackupRecord): Promise<void> {
  if (!Value.Check(BackupRecordSchema, record)) {
    throw new Error(`not a backup record: ${JSON.stringify(record)}`)
  }
  await mkdir(dir, { recursive: true })
  await chmod(dir, 0o755)
  const file = backupRecordFile(dir, record.app)
  const partial = `${file}.${process.pid}.tmp`
  await writeFile(partial, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 })
  await chmod(partial, 0o644)
  await rename(partial, file)
}

/**
 * Every valid record in the folder by app. A file that does not parse or does not match the
 * schema (or is named for another app) is left out, as if that app had no backup.
 */
export async function readBackupRecords(dir: string): Promise<Map<string, BackupRecord>> {
  const records = new Map<string, BackupRecord>()
  for (const name of await readdir(dir)) {
    const app = name.endsWith('.json') ? name.slice(0, -'.json'.length) : null
    if (app === null || !APP_NAME_PATTERN.test(app)) continue
    const record = await readFile(join(dir, name), 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => null,
    )
    if (Value.Check(BackupRecordSchema, record) && record.app === app) records.set(app, record)
  }
  return records
}
