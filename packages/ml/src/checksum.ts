import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk)
  return hash.digest('hex')
}

/** Throws, naming every file whose sha256 is not the expected one. */
export async function verifySha256(expected: Record<string, string>): Promise<void> {
  const mismatches: string[] = []
  for (const [path, want] of Object.entries(expected)) {
    const got = await sha256File(path)
    if (got !== want.toLowerCase()) mismatches.push(`${path}: expected sha256 ${want}, got ${got}`)
  }
  if (mismatches.length > 0) throw new Error(`checksum mismatch:\n${mismatches.join('\n')}`)
}
