import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildTransformerModel } from '../generate/bert-graph.js'
import type { EncoderSpec } from '../generate/specs.js'
import { SafetensorsWeights } from './safetensors.js'

/**
 * Tensors of a BertModel checkpoint the sentence-embedding graph does not use: the position
 * ids buffer (the graph computes positions) and the pooler (sentence-transformers mean-pools
 * the last hidden state instead).
 */
const NOT_IN_GRAPH = new Set([
  'embeddings.position_ids',
  'pooler.dense.weight',
  'pooler.dense.bias',
])

/**
 * Converts a sentence-transformers BERT checkpoint (`model.safetensors`, `config.json`,
 * `tokenizer.json` in `sourceDir`) into the runtime's model directory: the project's BERT
 * graph filled with the checkpoint's weights, the tokenizer and config as they are, and
 * `sentence_bert_config.json` with the model's max_seq_length.
 */
export async function convertBertEncoder(
  name: string,
  sourceDir: string,
  outDir: string,
  maxSeqLength: number,
): Promise<void> {
  const config = JSON.parse(await readFile(join(sourceDir, 'config.json'), 'utf8'))
  const problems: string[] = []
  if (config.model_type !== 'bert') problems.push(`model_type ${config.model_type}`)
  if (config.hidden_act !== 'gelu') problems.push(`hidden_act ${config.hidden_act}`)
  if ((config.position_embedding_type ?? 'absolute') !== 'absolute') {
    problems.push(`position_embedding_type ${config.position_embedding_type}`)
  }
  if (config.type_vocab_size !== 2) problems.push(`type_vocab_size ${config.type_vocab_size}`)
  if (problems.length > 0) {
    throw new Error(`${sourceDir}/config.json: cannot convert ${problems.join(', ')}`)
  }
  const spec: EncoderSpec = {
    kind: 'encoder',
    name,
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    heads: config.num_attention_heads,
    intermediate: config.intermediate_size,
    maxPositions: config.max_position_embeddings,
    maxSeqLength,
    // Only random weights read these.
    weightStd: 0,
    seed: 0,
    vocabulary: { kind: 'builtin' },
  }
  const weights = await SafetensorsWeights.open(join(sourceDir, 'model.safetensors'))
  const model = buildTransformerModel(spec, config.vocab_size, weights, config.layer_norm_eps)
  const unused = weights.unused().filter((tensor) => !NOT_IN_GRAPH.has(tensor))
  if (unused.length > 0) {
    throw new Error(
      `${sourceDir}/model.safetensors: tensors the graph misses: ${unused.join(', ')}`,
    )
  }
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'model.onnx'), model)
  await copyFile(join(sourceDir, 'tokenizer.json'), join(outDir, 'tokenizer.json'))
  await copyFile(join(sourceDir, 'config.json'), join(outDir, 'config.json'))
  await writeFile(
    join(outDir, 'sentence_bert_config.json'),
    `${JSON.stringify({ max_seq_length: maxSeqLength, do_lower_case: false }, null, 2)}\n`,
  )
}
