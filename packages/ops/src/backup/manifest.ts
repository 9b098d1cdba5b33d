import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

export const MANIFEST_FILE = 'manifest.json'

/** What a backup holds, with a checksum of every file and the counts restore must reach. */
export interface BackupManifest {
  format: 1
  app: string
  createdAt: string
  /** File name → sha256 (hex). */
  files: Record<string, string>
  counts: {
    postgres?: Record<string, number>
    redis?: number
    chroma?: Record<string, number>
    qdrant?: Record<string, number>
    neo4j?: { nodes: number; links: number }
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

export async function checksumFiles(dir: string, names: string[]): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const name of [...names].sort()) files[name] = await sha256File(join(dir, name))
  return files
}

export async function writeManifest(dir: string, manifest: BackupManifest) {
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
}

export class BackupIntegrityError extends Error {
  constructor(readonly problems: string[]) {
    super(`backup refused, nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/**
 * Reads the manifest and checks every file against it (present, same sha256, nothing
 * unlisted); throws BackupIntegrityError naming each mismatch.
 */
export async function verifyBackup(dir: string, app: string): Promise<BackupManifest> {
  let manifest: BackupManifest
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest
  } catch (error) {
    throw new BackupIntegrityError([`${MANIFEST_FILE}: ${(error as Error).message}`])
  }
  const problems: string[] = []
  if (manifest.app !== app)
    problems.push(`${MANIFEST_FILE}: backup of "${manifest.app}", not "${app}"`)
  const present = new Set(await readdir(dir))
  for (const [name, expected] of Object.entries(manifest.files ?? {})) {
    if (!present.has(name)) {
      problems.push(`${name}: missing`)
      continue
    }
    const actual = await sha256File(join(dir, name))
    if (actual !== expected)
      problems.push(`${name}: sha256 ${actual} ≠ ${expected} in the manifest`)
  }
  for (const name of present) {
    if (name !== MANIFEST_FILE && !(name in (manifest.files ?? {}))) {
      problems.push(`${name}: not in the manifest`)
    }
  }
  if (problems.length > 0) throw new BackupIntegrityError(problems)
  return manifest
}
