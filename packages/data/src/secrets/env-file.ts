import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

const LINE = /^([A-Z][A-Z0-9_]*)=(.*)$/

/** Reads a `KEY=value` file (compose `env_file` form: no quotes, no expansion); absent → undefined. */
export async function readEnvFile(path: string): Promise<Record<string, string> | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const values: Record<string, string> = {}
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue
    const match = LINE.exec(line)
    if (!match) throw new Error(`${path}:${index + 1}: not a KEY=value line`)
    values[match[1] as string] = match[2] as string
  }
  return values
}

export function formatEnvFile(header: string, values: Record<string, string>): string {
  const lines = Object.entries(values).map(([key, value]) => {
    if (/[\n\r]/.test(value)) throw new Error(`${key}: a value cannot span lines`)
    return `${key}=${value}`
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
