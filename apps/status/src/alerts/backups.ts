import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The newest complete backup of every app that has a folder under `dir`, in the layout
 * `scripts/backup` writes: `<dir>/<app>/<time>/manifest.json`, the manifest being written
 * last, so a folder without one is a backup that did not finish. Null: none complete.
 */
export async function readBackupTimes(dir: string): Promise<Map<string, Date | null>> {
  const times = new Map<string, Date | null>()
  const apps = await readdir(dir, { withFileTypes: true })
  for (const app of apps) {
    if (!app.isDirectory()) continue
    const backups = (await readdir(join(dir, app.name), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
      .reverse()
    let newest: Date | null = null
    for (const backup of backups) {
      newest = await manifestTime(join(dir, app.name, backup, 'manifest.json'))
      if (newest) break
    }
    times.set(app.name, newest)
  }
  return times
}

async function manifestTime(file: string): Promise<Date | null> {
  try {
    const { createdAt } = JSON.parse(await readFile(file, 'utf8')) as { createdAt?: unknown }
    const time = typeof createdAt === 'string' ? new Date(createdAt) : null
    return time && !Number.isNaN(time.getTime()) ? time : null
  } catch {
    return null
  }
}
