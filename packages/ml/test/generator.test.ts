import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import ort from 'onnxruntime-node'
import { generateModel } from '../src/generate/generate-model.js'
import { TextTokenizer } from '../src/tokenizer.js'
import { modelDir } from './fixtures.js'

const readJson = async (dir: string, file: string) =>
  JSON.parse(await readFile(join(dir, file), 'utf8'))

describe('model generator', () => {
  it('writes a BERT WordPiece tokenizer.json: lowercased, [CLS] … [SEP], ## pieces, [UNK]', async () => {
    const dir = await modelDir('tiny-encoder')
    const tokenizer = TextTokenizer.fromFile(join(dir, 'tokenizer.json'), 128)
    const encoded = await tokenizer.encode('Hello foxes ☃')
    const id = (token: string) => tokenizer.tokenToId(token)
    assert.deepEqual(encoded.ids, [
      id('[CLS]'),
      id('hello'),
      id('fox'),
      id('##es'),
      id('[UNK]'),
      id('[SEP]'),
    ])
    assert.deepEqual(encoded.typeIds, [0, 0, 0, 0, 0, 0])
    assert.equal(id('[PAD]'), 0)
  })

  it('makes minilm-encoder with all-MiniLM-L6-v2 architecture and a ~30k vocabulary', async () => {
    const dir = await modelDir('minilm-encoder')
    const config = await readJson(dir, 'config.json')
    assert.equal(config.num_hidden_layers, 6)
    assert.equal(config.hidden_size, 384)
    assert.equal(config.num_attention_heads, 12)
    assert.equal(config.intermediate_size, 1536)
    assert.equal(config.max_position_embeddings, 512)
    assert.equal(config.vocab_size, 30522)
    const tokenizer = await readJson(dir, 'tokenizer.json')
    assert.equal(Object.keys(tokenizer.model.vocab).length, 30522)
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'))
    assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask', 'token_type_ids'])
    assert.deepEqual(session.outputNames, ['last_hidden_state'])
    await session.release()
  })

  it('makes tiny-classifier with the sequence-classification contract and id2label', async () => {
    const dir = await modelDir('tiny-classifier')
    const config = await readJson(dir, 'config.json')
    assert.deepEqual(config.id2label, { 0: 'NEGATIVE', 1: 'POSITIVE' })
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'))
    assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask'])
    assert.deepEqual(session.outputNames, ['logits'])
    await session.release()
  })

  it('is deterministic: the same seed gives the same bytes', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'flotilla-gen-'))
    await generateModel('tiny-encoder', fresh)
    const cached = await readFile(join(await modelDir('tiny-encoder'), 'model.onnx'))
    assert.ok((await readFile(join(fresh, 'model.onnx'))).equals(cached))
  })
})
