import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { verifySha256 } from './checksum.js'

export interface PinnedModel {
  repo: string
  /** A full commit hash: a branch name would let the files change under the checksums. */
  revision: string
  /** Local file name → where it is in the repo and its sha256. */
  files: Record<string, { path: string; sha256: string }>
}

/** Throws naming every field that is not pinned (a commit hash and sha256 values). */
export function assertPinned(name: string, model: PinnedModel): void {
  const problems: string[] = []
  if (!/^[0-9a-f]{40}$/.test(model.revision)) problems.push(`revision "${model.revision}"`)
  for (const [file, { sha256 }] of Object.entries(model.files)) {
    if (!/^[0-9a-f]{64}$/i.test(sha256)) problems.push(`${file} sha256 "${sha256}"`)
  }
  if (problems.length > 0) throw new Error(`model ${name} is not pinned: ${problems.join(', ')}`)
}

/**
 * Downloads a pinned model from the Hugging Face hub into `dir` and verifies every file;
 * on a mismatch nothing is left in `dir` and the error names the file.
 */
export async function fetchPinnedModel(
  name: string,
  model: PinnedModel,
  dir: string,
): Promise<void> {
  assertPinned(name, model)
  const scratch = `${dir}.partial`
  await rm(scratch, { recursive: true, force: true })
  await mkdir(scratch, { recursive: true })
  const expected: Record<string, string> = {}
  for (const [file, { path, sha256 }] of Object.entries(model.files)) {
    const url = `https://huggingface.co/${model.repo}/resolve/${model.revision}/${path}`
    const response = await fetch(url)
    if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`)
    const target = join(scratch, file)
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(target))
    expected[target] = sha256
  }
  try {
    await verifySha256(expected)
  } catch (error) {
    await rm(scratch, { recursive: true, force: true })
    throw error
  }
  await rm(dir, { recursive: true, force: true })
  await rename(scratch, dir)
}
