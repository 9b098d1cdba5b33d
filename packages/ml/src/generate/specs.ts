export const WAMERICAN_PATH = '/usr/share/dict/american-english'

export type VocabularySource =
  /** A few hundred common words shipped in the source: no system package needed. */
  | { kind: 'builtin' }
  /** Words of a system word list (Debian `wamerican`), filled up to `size` entries. */
  | { kind: 'wordlist'; path: string; size: number }

interface BaseSpec {
  name: string
  layers: number
  hidden: number
  heads: number
  intermediate: number
  maxPositions: number
  /** Truncation length sentence-transformers would use (sentence_bert_config.json). */
  maxSeqLength: number
  weightStd: number
  seed: number
  vocabulary: VocabularySource
}

export interface EncoderSpec extends BaseSpec {
  kind: 'encoder'
}

export interface ClassifierSpec extends BaseSpec {
  kind: 'classifier'
  labels: string[]
}

export type TransformerSpec = EncoderSpec | ClassifierSpec

export const MODEL_SPECS = {
  'tiny-encoder': {
    kind: 'encoder',
    name: 'tiny-encoder',
    layers: 2,
    hidden: 32,
    heads: 4,
    intermediate: 64,
    maxPositions: 128,
    maxSeqLength: 128,
    weightStd: 0.2,
    seed: 1,
    vocabulary: { kind: 'builtin' },
  },
  // all-MiniLM-L6-v2's exact architecture, so speed measured on it is honest.
  'minilm-encoder': {
    kind: 'encoder',
    name: 'minilm-encoder',
    layers: 6,
    hidden: 384,
    heads: 12,
    intermediate: 1536,
    maxPositions: 512,
    maxSeqLength: 256,
    weightStd: 0.02,
    seed: 2,
    vocabulary: { kind: 'wordlist', path: WAMERICAN_PATH, size: 30522 },
  },
  'tiny-classifier': {
    kind: 'classifier',
    name: 'tiny-classifier',
    layers: 2,
    hidden: 32,
    heads: 4,
    intermediate: 64,
    maxPositions: 128,
    maxSeqLength: 128,
    weightStd: 0.2,
    seed: 3,
    vocabulary: { kind: 'builtin' },
    labels: ['NEGATIVE', 'POSITIVE'],
  },
  // distilbert-base-uncased-finetuned-sst-2-english's size (66M parameters, 6 × 768): what the
  // real classifier costs in memory, measurable without its weights.
  'distilbert-classifier': {
    kind: 'classifier',
    name: 'distilbert-classifier',
    layers: 6,
    hidden: 768,
    heads: 12,
    intermediate: 3072,
    maxPositions: 512,
    maxSeqLength: 512,
    weightStd: 0.02,
    seed: 4,
    vocabulary: { kind: 'wordlist', path: WAMERICAN_PATH, size: 30522 },
    labels: ['NEGATIVE', 'POSITIVE'],
  },
} as const satisfies Record<string, TransformerSpec>

export type ModelName = keyof typeof MODEL_SPECS

export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(MODEL_SPECS, name)
}
