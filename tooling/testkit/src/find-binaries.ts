import { accessSync, constants, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'

const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql'

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function pathDirectories(): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '')
}

/** Debian installs PostgreSQL off PATH, one directory per major version. */
function debianPostgresDirectories(): string[] {
  let versions: string[]
  try {
    versions = readdirSync(DEBIAN_POSTGRES_ROOT)
  } catch {
    return []
  }
  return versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(DEBIAN_POSTGRES_ROOT, version, 'bin'))
}

export interface PostgresBinaries {
  initdb: string
  postgres: string
}

/** initdb and postgres from one directory (they must be the same version): PATH, then newest Debian. */
export function findPostgresBinaries(): PostgresBinaries | undefined {
  for (const dir of [...pathDirectories(), ...debianPostgresDirectories()]) {
    const initdb = join(dir, 'initdb')
    const postgres = join(dir, 'postgres')
    if (isExecutable(initdb) && isExecutable(postgres)) return { initdb, postgres }
  }
  return undefined
}

export function findRedisServer(): string | undefined {
  for (const dir of [...pathDirectories(), '/usr/bin', '/usr/local/bin', '/usr/sbin']) {
    const candidate = join(dir, 'redis-server')
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}
