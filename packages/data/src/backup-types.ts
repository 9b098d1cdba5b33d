import type { App } from '@flotilla/stack'

/**
 * What every store's backup is given: the app (the registry says which stores it has) and its
 * credentials file (DATABASE_URL, REDIS_URL, CHROMA_URL, …). Every name comes from the
 * credentials, as the provisioner wrote them, exactly as the app itself reads them.
 */
export interface BackupAccess {
  app: App
  env: Record<string, string | undefined>
}

export type BackupLog = (line: string) => void

/**
 * One store's part of an app's backup, driven by @flotilla/ops (its backup/app-backup.ts keeps
 * one per store). `Access` is what the store needs beyond the credentials (admin tools or
 * keys, passed in by ops); `Counts` is what the manifest records of it.
 */
export interface StoreBackup<Access extends BackupAccess, Counts> {
  /** What the store holds now; undefined when there is nothing of it to reach. */
  count(access: Access): Promise<Counts | undefined>
  /** Writes the store's files into `dir`; returns their names. */
  backup(access: Access, dir: string, log: BackupLog): Promise<string[]>
  /**
   * Checks the backup's files (`files`: every file the manifest lists) before any store
   * changes, so a bad backup changes nothing; returns the restore itself, or undefined when
   * the backup holds nothing of this store.
   */
  prepareRestore(
    access: Access,
    dir: string,
    files: readonly string[],
  ): Promise<((log: BackupLog) => Promise<void>) | undefined>
}

/**
 * How a backup runs a tool outside Node (pg_dump, psql, …): argv, no shell. Resolves with
 * its stdout (none when `stdoutFile` takes it), rejects with its stderr when it fails; ops
 * passes its own runner in (packages/ops/src/run.ts).
 */
export type RunTool = (
  argv: readonly string[],
  options?: { env?: Record<string, string>; stdinFile?: string; stdoutFile?: string },
) => Promise<string>

/** A variable of the app's credentials; missing is an error naming the store. */
export function credential(access: BackupAccess, name: string, store: string): string {
  const value = access.env[name]
  if (!value) throw new Error(`${store}: ${name} is missing from the app's credentials`)
  return value
}
