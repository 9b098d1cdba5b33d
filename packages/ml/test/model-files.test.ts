import assert from 'node:assert/strict'
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { readModelFiles } from '../src/model-files.js'
import { modelDir } from './fixtures.js'

test('precision int8 serves model.int8.onnx, and its absence is named with the way to make it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-precision-'))
  await copyFile(join(await modelDir('tiny-classifier'), 'config.json'), join(dir, 'config.json'))
  await writeFile(join(dir, 'model.onnx'), 'fp32')
  assert.equal((await readModelFiles(dir)).modelPath, join(dir, 'model.onnx'))
  await assert.rejects(readModelFiles(dir, 'int8'), /no model\.int8\.onnx .*quantize\.sh/)
  await writeFile(join(dir, 'model.int8.onnx'), 'int8')
  assert.equal((await readModelFiles(dir, 'int8')).modelPath, join(dir, 'model.int8.onnx'))
})
