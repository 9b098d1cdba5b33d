import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { convertBertEncoder } from '../src/convert/convert-bert.js'
import { SafetensorsWeights } from '../src/convert/safetensors.js'
import {
  buildTransformerModel,
  randomWeights,
  type WeightSource,
} from '../src/generate/bert-graph.js'
import { createRng } from '../src/generate/rng.js'
import { MODEL_SPECS } from '../src/generate/specs.js'
import { modelDir } from './fixtures.js'

/** A safetensors file of float32 tensors, written the way the format specifies. */
async function writeSafetensors(
  path: string,
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' }, ...extra }
  let offset = 0
  for (const [name, { shape, data }] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] }
    offset += data.byteLength
  }
  const json = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  const buffers = [...tensors.values()].map(({ data }) =>
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  )
  await writeFile(path, Buffer.concat([length, json, ...buffers]))
}

/** tiny-encoder's synthetic weights, as a BertModel checkpoint would hold them. */
async function tinyEncoderCheckpoint(): Promise<string> {
  const generated = await modelDir('tiny-encoder')
  const spec = MODEL_SPECS['tiny-encoder']
  const config = JSON.parse(await readFile(join(generated, 'config.json'), 'utf8'))
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>()
  const random = randomWeights(createRng(spec.seed), spec.weightStd)
  const recorder: WeightSource = {
    tensor(name, shape) {
      const data = random.tensor(name, shape)
      tensors.set(name, { shape, data })
      return data
    },
  }
  buildTransformerModel(spec, config.vocab_size, recorder)
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-checkpoint-'))
  await writeSafetensors(join(dir, 'model.safetensors'), tensors)
  await writeFile(join(dir, 'config.json'), JSON.stringify(config))
  await writeFile(join(dir, 'tokenizer.json'), await readFile(join(generated, 'tokenizer.json')))
  return dir
}

describe('convertBertEncoder', () => {
  it("writes exactly the generator's graph when given the generator's weights", async () => {
    const checkpoint = await tinyEncoderCheckpoint()
    const out = await mkdtemp(join(tmpdir(), 'flotilla-converted-'))
    await convertBertEncoder('tiny-encoder', checkpoint, out, 128)
    const generated = await modelDir('tiny-encoder')
    const converted = await readFile(join(out, 'model.onnx'))
    assert.ok(converted.equals(await readFile(join(generated, 'model.onnx'))))
    assert.deepEqual(JSON.parse(await readFile(join(out, 'sentence_bert_config.json'), 'utf8')), {
      max_seq_length: 128,
      do_lower_case: false,
    })
  })

  it('refuses a checkpoint with a tensor the graph would not use, or a wrong shape', async () => {
    const checkpoint = await tinyEncoderCheckpoint()
    const weights = await SafetensorsWeights.open(join(checkpoint, 'model.safetensors'))
    assert.throws(
      () => weights.tensor('embeddings.LayerNorm.weight', [33]),
      /embeddings\.LayerNorm\.weight has shape \[32\], expected \[33\]/,
    )
    assert.throws(() => weights.tensor('no.such.tensor', [1]), /no tensor no\.such\.tensor/)

    const all = new Map<string, { shape: number[]; data: Float32Array }>()
    for (const name of ['embeddings.LayerNorm.weight', 'classifier.weight']) {
      all.set(name, { shape: [2], data: Float32Array.of(1, 2) })
    }
    const odd = await mkdtemp(join(tmpdir(), 'flotilla-odd-'))
    await writeSafetensors(join(odd, 'model.safetensors'), all)
    const oddWeights = await SafetensorsWeights.open(join(odd, 'model.safetensors'))
    oddWeights.tensor('embeddings.LayerNorm.weight', [2])
    assert.deepEqual(oddWeights.unused(), ['classifier.weight'])
  })

  it('refuses a config it cannot convert', async () => {
    const checkpoint = await tinyEncoderCheckpoint()
    const config = JSON.parse(await readFile(join(checkpoint, 'config.json'), 'utf8'))
    await writeFile(
      join(checkpoint, 'config.json'),
      JSON.stringify({ ...config, hidden_act: 'relu', position_embedding_type: 'relative_key' }),
    )
    await assert.rejects(
      convertBertEncoder('x', checkpoint, join(checkpoint, 'out'), 128),
      /cannot convert hidden_act relu, position_embedding_type relative_key/,
    )
  })
})
