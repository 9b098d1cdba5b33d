import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildTransformerModel, randomWeights } from './bert-graph.js'
import { createRng } from './rng.js'
import { MODEL_SPECS, type ModelName, type TransformerSpec } from './specs.js'
import { bertTokenizerJson } from './tokenizer-json.js'
import { buildVocabulary } from './vocabulary.js'

/** Bump when the generated files change, so cached copies are regenerated. */
export const GENERATOR_VERSION = 2
const STAMP_FILE = 'generator.json'

/**
 * Writes model.onnx, tokenizer.json, config.json (and sentence_bert_config.json for
 * encoders) of a synthetic model into `dir`, laid out like a Hugging Face ONNX export.
 */
export async function generateModel(name: ModelName, dir: string): Promise<void> {
  const spec: TransformerSpec = MODEL_SPECS[name]
  const vocabulary = await buildVocabulary(spec.vocabulary)
  const modelBytes = buildTransformerModel(
    spec,
    vocabulary.length,
    randomWeights(createRng(spec.seed), spec.weightStd),
  )
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'model.onnx'), modelBytes)
  await writeJson(join(dir, 'tokenizer.json'), bertTokenizerJson(vocabulary))
  await writeJson(join(dir, 'config.json'), hfConfig(spec, vocabulary.length))
  if (spec.kind === 'encoder') {
    await writeJson(join(dir, 'sentence_bert_config.json'), {
      max_seq_length: spec.maxSeqLength,
      do_lower_case: false,
    })
  }
  await writeJson(join(dir, STAMP_FILE), { name, version: GENERATOR_VERSION })
}

/**
 * Returns `root/name`, generating the model there first unless a copy from this generator
 * version is already present. Safe when several processes ask at once: each writes a
 * private directory and renames it into place.
 */
export async function ensureModel(name: ModelName, root: string): Promise<string> {
  const dir = join(root, name)
  if (await isCurrent(dir, name)) return dir
  const scratch = join(root, `.${name}-${randomUUID()}`)
  await generateModel(name, scratch)
  if (await isCurrent(dir, name)) {
    await rm(scratch, { recursive: true, force: true })
    return dir
  }
  await rm(dir, { recursive: true, force: true })
  try {
    await rename(scratch, dir)
  } catch (error) {
    // Another process renamed its copy into place first.
    await rm(scratch, { recursive: true, force: true })
    if (!(await isCurrent(dir, name))) throw error
  }
  return dir
}

async function isCurrent(dir: string, name: ModelName): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8'))
    return stamp.name === name && stamp.version === GENERATOR_VERSION
  } catch {
    return false
  }
}

function hfConfig(spec: TransformerSpec, vocabSize: number): object {
  if (spec.kind === 'encoder') {
    return {
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: spec.hidden,
      num_hidden_layers: spec.layers,
      num_attention_heads: spec.heads,
      intermediate_size: spec.intermediate,
      hidden_act: 'gelu',
      max_position_embeddings: spec.maxPositions,
      type_vocab_size: 2,
      vocab_size: vocabSize,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
    }
  }
  return {
    architectures: ['DistilBertForSequenceClassification'],
    model_type: 'distilbert',
    dim: spec.hidden,
    n_layers: spec.layers,
    n_heads: spec.heads,
    hidden_dim: spec.intermediate,
    activation: 'gelu',
    max_position_embeddings: spec.maxPositions,
    vocab_size: vocabSize,
    pad_token_id: 0,
    id2label: Object.fromEntries(spec.labels.map((label, id) => [String(id), label])),
    label2id: Object.fromEntries(spec.labels.map((label, id) => [label, id])),
  }
}

async function writeJson(path: string, value: object): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`)
}
