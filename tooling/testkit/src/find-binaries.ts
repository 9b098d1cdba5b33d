import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

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

/**
 * The first directory, of PATH and then `extraDirs`, that holds every one of `names` as an
 * executable (one directory: programs that must be the same version, e.g. initdb and postgres).
 */
export function findBinaries<Name extends string>(
  names: readonly Name[],
  extraDirs: readonly string[] = [],
): Record<Name, string> | undefined {
  for (const dir of [...pathDirectories(), ...extraDirs]) {
    const paths = names.map((name) => [name, join(dir, name)] as const)
    if (paths.every(([, path]) => isExecutable(path))) {
      return Object.fromEntries(paths) as Record<Name, string>
    }
  }
  return undefined
}
