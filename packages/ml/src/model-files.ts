import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * What the runtime reads from a Hugging Face model directory: model.onnx, tokenizer.json,
 * config.json, and sentence_bert_config.json when the export has one.
 */
export interface ModelFiles {
  /** model.onnx, or model.int8.onnx (its weights quantized to int8) for precision int8. */
  modelPath: string
  tokenizerPath: string
  /** Longest input the model takes: sentence-transformers' max_seq_length, else positions. */
  maxTokens: number
  padTokenId: number
  /** Width of the hidden states (BERT hidden_size, DistilBERT dim). */
  hiddenSize: number
  /** Labels by output index, for sequence classifiers (config.json id2label). */
  labels: string[]
}

/** Which of a model directory's ONNX files runs: the export, or its int8 quantization. */
export type Precision = 'fp32' | 'int8'

export const PRECISIONS: readonly Precision[] = ['fp32', 'int8']

/** The file of each precision in a model directory (packages/ml/scripts/quantize.sh makes int8's). */
export const MODEL_FILE: Record<Precision, string> = {
  fp32: 'model.onnx',
  int8: 'model.int8.onnx',
}

export async function readModelFiles(
  dir: string,
  precision: Precision = 'fp32',
): Promise<ModelFiles> {
  const config = await readJson(join(dir, 'config.json'))
  if (!config) throw new Error(`model directory ${dir} has no config.json`)
  const modelPath = join(dir, MODEL_FILE[precision])
  await access(modelPath).catch(() => {
    throw new Error(
      `model directory ${dir} has no ${MODEL_FILE[precision]} for precision ${precision}` +
        (precision === 'int8' ? ': make it with packages/ml/scripts/quantize.sh' : ''),
    )
  })
  const sentenceConfig = await readJson(join(dir, 'sentence_bert_config.json'))
  const positions = Number(config.max_position_embeddings ?? 512)
  const maxTokens = Math.min(positions, Number(sentenceConfig?.max_seq_length ?? positions))
  return {
    modelPath,
    tokenizerPath: join(dir, 'tokenizer.json'),
    maxTokens,
    padTokenId: Number(config.pad_token_id ?? 0),
    hiddenSize: Number(config.hidden_size ?? config.dim),
    labels: labelsOf(config.id2label, dir),
  }
}

function labelsOf(id2label: unknown, dir: string): string[] {
  if (id2label === undefined) return []
  if (typeof id2label !== 'object' || id2label === null) {
    throw new Error(`${dir}/config.json: id2label must be an object`)
  }
  const entries = Object.entries(id2label as Record<string, unknown>)
  const labels: string[] = []
  for (const [id, label] of entries) {
    const index = Number(id)
    if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
      throw new Error(
        `${dir}/config.json: id2label key ${id} is not an index below ${entries.length}`,
      )
    }
    labels[index] = String(label)
  }
  return labels
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${String(error)}`)
  }
}
