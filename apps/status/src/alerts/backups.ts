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
  readonly #watchedSince = new Map<string, Date>()
  #stored: 'no' | 'storing' | 'yes' = 'no'
  #restored = false
  #lastError: string | null = null

  constructor(options: BackupWatchOptions) {
    this.#options = options
  }

  /**
   * Whether the history database has been read. Until then the rule waits: a backup alert of
   * the previous run, not yet restored, would be sent again (backups age in hours, a wait of a
   * few rounds costs nothing).
   */
  get ready(): boolean {
    return this.#restored
  }

  /** Takes the watch starts the database kept; the earliest of two wins. */
  restore(watched: ReadonlyMap<string, Date>): void {
    this.#restored = true
    for (const [app, since] of watched) {
      if (!this.#options.apps.includes(app)) continue
      const known = this.#watchedSince.get(app)
      if (!known || since < known) this.#watchedSince.set(app, since)
    }
  }

  async read(): Promise<BackupState[]> {
    const { dir, apps, startedAt, onError } = this.#options
    this.#store()
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
        watchedSince: this.#watchedSince.get(app) ?? startedAt,
        unreadable,
      }
    })
  }

  /** Stores this run's start for apps the database has not seen, once it can be reached. */
  #store(): void {
    if (this.#stored !== 'no') return
    const { apps, history, startedAt } = this.#options
    this.#stored = 'storing'
    // Not awaited: rounds must not wait on the database.
    history.backupWatch(apps, startedAt).then(
      (watched) => {
        this.restore(watched)
        this.#stored = 'yes'
      },
      () => {
        this.#stored = 'no'
      },
    )
  }
}
