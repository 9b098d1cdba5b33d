import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeBackupRecord } from '@flotilla/stack'
import { MANIFEST_FILE, verifyBackup } from './manifest.js'

/**
 * Checks a finished backup's files against its manifest once more, then writes the app's
 * public record (when, how big, which stores) for the status app: a record exists only for a
 * backup that can be restored. Returns the record written.
 */
export async function recordBackup(recordsDir: string, dir: string, app: string, now = new Date()) {
  const manifest = await verifyBackup(dir, app)
  let sizeBytes = 0
  for (const name of [MANIFEST_FILE, ...Object.keys(manifest.files)]) {
    sizeBytes += (await stat(join(dir, name))).size
  }
  const record = {
    format: 1 as const,
    app,
    finishedAt: now.toISOString(),
    sizeBytes,
    stores: Object.keys(manifest.counts).sort(),
  }
  await writeBackupRecord(recordsDir, record)
  return record
}
