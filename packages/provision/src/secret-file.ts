import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseEnv } from 'node:util'

export function formatEnvFile(header: string, values: Record<string, string>): string {
  const lines = Object.entries(values).map(([key, value]) => {
    const line = `${key}=${value}`
    // Written unquoted, so a value `--env-file` would read otherwise (a `#`, a quote, spaces
    // at its ends, a line break) is refused here instead of reaching the app altered.
    if (parseEnv(line)[key] !== value)
      throw new Error(`${key}: the value would not read back as written`)
    return line
  })
  return `# ${header}\n${lines.join('\n')}\n`
}

/**
 * Writes a secret file readable by its owner only, atomically (a reader never sees half a
 * file); returns false when the file already had exactly this content.
 */
export async function writeSecretFile(path: string, content: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined)
  if (current === content) return false
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, content, { mode: 0o600 })
  await rename(temporary, path)
  return true
}
