import { readFile } from 'node:fs/promises'
import { parseEnv } from 'node:util'

/**
 * Reads a credential file as the app's own `node --env-file` does (compose starts every app
 * that way), so provisioner and app can never read one file differently; absent → undefined.
 */
export async function readEnvFile(path: string): Promise<Record<string, string> | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return parseEnv(text) as Record<string, string>
}
