import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { MANIFEST_FILE } from './manifest.js'

/** Backup folder names sort by time: 2025-01-31T12-00-00-000Z. */
export function backupStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-')
}

/** Complete backups (with a manifest) of one app, oldest first. */
export async function listBackups(appDir: string): Promise<string[]> {
  const names = await readdir(appDir).catch(() => [] as string[])
  const complete: string[] = []
  for (const name of names.sort()) {
    if (await stat(join(appDir, name, MANIFEST_FILE)).catch(() => null)) complete.push(name)
  }
  return complete
}

/** Deletes all but the newest `keep` complete backups; returns the deleted folder names. */
export async function pruneBackups(appDir: string, keep: number): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`--keep must be a whole number ≥ 1, got ${keep}`)
  const backups = await listBackups(appDir)
  const doomed = backups.slice(0, Math.max(0, backups.length - keep))
  for (const name of doomed) await rm(join(appDir, name), { recursive: true, force: true })
  return doomed
}
