import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { verifySha256 } from '../src/checksum.js'
import { assertPinned } from '../src/fetch-models.js'

it('passes matching files and fails naming each mismatching one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-checksum-'))
  const good = join(dir, 'model.onnx')
  const bad = join(dir, 'tokenizer.json')
  await writeFile(good, 'weights')
  await writeFile(bad, 'tampered')
  const sha = (text: string) => createHash('sha256').update(text).digest('hex')

  await verifySha256({ [good]: sha('weights') })
  await assert.rejects(
    verifySha256({ [good]: sha('weights'), [bad]: sha('original') }),
    (error: Error) => error.message.includes(bad) && !error.message.includes(`${good}:`),
  )
})

it('refuses to fetch a model whose revision or checksums are not pinned', async () => {
  const pinned = {
    role: 'embedding' as const,
    repo: 'org/model',
    revision: 'a'.repeat(40),
    files: { 'model.onnx': { path: 'onnx/model.onnx', sha256: 'b'.repeat(64), size: 7 } },
  }
  assertPinned('ok', pinned)
  // No known hash yet is a pin to learn (fetch-models --accept-new-pins), not a wrong one.
  assertPinned('new', {
    ...pinned,
    files: { 'model.onnx': { path: 'x', sha256: null, size: null } },
  })
  assert.throws(
    () => assertPinned('m', { ...pinned, revision: 'main' }),
    /m is not pinned: revision "main"/,
  )
  assert.throws(
    () =>
      assertPinned('m', {
        ...pinned,
        files: { 'model.onnx': { path: 'x', sha256: 'PIN-ME', size: null } },
      }),
    /model.onnx sha256 "PIN-ME"/,
  )
})
