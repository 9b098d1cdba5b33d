import { readBackupRecords } from '@flotilla/stack'
import type { HistoryStore } from '../history/store.js'

/** One watched app's backups, as the backupAge rule sees them. */
export interface BackupState {
  app: string
  /** When its newest verified backup finished; null: none recorded. */
  finishedAt: Date | null
  sizeBytes: number | null
  /** Since when the status app has watched it, across its restarts. */
  watchedSince: Date
  /** Why the records could not be read this round; null when they could. */
  unreadable: string | null
}

export interface BackupWatchOptions {
  /** The records folder `scripts/backup` writes (see @flotilla/stack's backup-records). */
  dir: string
  /** The apps `scripts/backup` backs up. */
  apps: readonly string[]
  history: Pick<HistoryStore, 'backupWatch'>
  /** This run's start: how long the apps have been watched until the database says longer. */
  startedAt: Date
  onError: (error: unknown) => void
}

/**
 * Reads the backup records each round. An app without a record is judged by how long it has
 * been watched instead (kept in the history database), so a fresh stack alerts only once it
 * has run longer than the schedule without a backup.
 */
export class BackupWatch {
  readonly #options: BackupWatchOptions
  #watchedSince: Map<string, Date> | null = null
  #lastError: string | null = null

  constructor(options: BackupWatchOptions) {
    this.#options = options
  }

  async read(): Promise<BackupState[]> {
    const { dir, apps, history, startedAt, onError } = this.#options
    // Until the history database is reached, the wait counts from this run's start.
    this.#watchedSince ??= await history.backupWatch(apps, startedAt).catch(() => null)
    let records: Awaited<ReturnType<typeof readBackupRecords>> = new Map()
    let unreadable: string | null = null
    try {
      records = await readBackupRecords(dir)
    } catch (error) {
      // No folder: no backup has run. Anything else (permissions) is said on the alert.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        unreadable = error instanceof Error ? error.message : String(error)
        if (unreadable !== this.#lastError) onError(error)
      }
    }
    this.#lastError = unreadable
    return apps.map((app) => {
      const record = records.get(app)
      return {
        app,
        finishedAt: record ? new Date(record.finishedAt) : null,
        sizeBytes: record?.sizeBytes ?? null,
        watchedSince: this.#watchedSince?.get(app) ?? startedAt,
        unreadable,
      }
    })
  }
}
