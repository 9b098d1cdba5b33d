import { execFileSync } from 'node:child_process'

export interface SystemUser {
  name: string
  uid: number
  gid: number
}

function lookUp(name: string): SystemUser | undefined {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim())
    return { name, uid: id('-u'), gid: id('-g') }
  } catch {
    return undefined
  }
}

/**
 * PostgreSQL refuses to run as root, so as root we run it as `postgres` (or `nobody`);
 * otherwise as ourselves (undefined).
 */
export function postgresRunAs(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined
  const user = lookUp('postgres') ?? lookUp('nobody')
  if (user === undefined) {
    throw new Error(
      'running as root, but neither a "postgres" nor a "nobody" user exists to run PostgreSQL as',
    )
  }
  return user
}
