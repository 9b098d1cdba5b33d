import { GraphBuilder, type GraphInput } from './graph-builder.js'
import { normalTensor } from './rng.js'
import type { TransformerSpec } from './specs.js'

/** Masked-out positions get this added to their attention scores: exp() of it is exactly 0. */
const MASK_BIAS = -10000
const LAYER_NORM_EPS = 1e-12

/**
 * Where the graph's weights come from, by Hugging Face BERT parameter name (the names of a
 * BertModel state dict: `encoder.layer.0.attention.self.query`, …). Values are row-major
 * float32 in PyTorch's layout: an embedding is [rows, width], a Linear's weight [out, in].
 */
export interface WeightSource {
  tensor(name: string, shape: number[]): Float32Array
}

/**
 * Writes a BERT-family transformer (the layout Hugging Face's ONNX exports have):
 * `encoder` is a BertModel (sentence-transformers contract), `classifier` a
 * DistilBertForSequenceClassification (first-token head → logits). The weights are
 * synthetic (`randomWeights`) or a real checkpoint's (`safetensorsWeights`).
 */
export function buildTransformerModel(
  spec: TransformerSpec,
  vocabSize: number,
  source: WeightSource,
  layerNormEps = LAYER_NORM_EPS,
): Uint8Array {
  const g = new GraphBuilder(spec.name)
  const weights = new Weights(g, source, layerNormEps)
  const headDim = spec.hidden / spec.heads
  if (!Number.isInteger(headDim)) throw new Error(`${spec.name}: hidden must divide by heads`)

  const isEncoder = spec.kind === 'encoder'
  const inputs: GraphInput[] = [
    { name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', type: 'int64', dims: ['batch_size', 'sequence_length'] },
  ]
  if (isEncoder) {
    inputs.push({ name: 'token_type_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] })
  }

  // Embeddings: word + position (+ token type for BERT), then LayerNorm.
  const wordEmbeddings = weights.embedding('embeddings.word_embeddings', vocabSize, spec.hidden)
  let x = g.op('Gather', [wordEmbeddings, 'input_ids'], { axis: 0 })
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.int64('one_index', [], [1])], {
    axis: 0,
  })
  const positionIds = g.op('Range', [g.int64('zero', [], [0]), seqLen, g.int64('step', [], [1])])
  const positionEmbeddings = weights.embedding(
    'embeddings.position_embeddings',
    spec.maxPositions,
    spec.hidden,
  )
  x = g.op('Add', [x, g.op('Gather', [positionEmbeddings, positionIds], { axis: 0 })])
  if (isEncoder) {
    const typeEmbeddings = weights.embedding('embeddings.token_type_embeddings', 2, spec.hidden)
    x = g.op('Add', [x, g.op('Gather', [typeEmbeddings, 'token_type_ids'], { axis: 0 })])
  }
  x = weights.layerNorm('embeddings.LayerNorm', x, spec.hidden)

  // Additive attention bias [batch, 1, 1, seq]: 0 where attended, MASK_BIAS where padded.
  const maskFloat = g.op('Cast', ['attention_mask'], { to: 1 })
  const inverted = g.op('Sub', [g.scalar('one', 1), maskFloat])
  const bias = g.op('Unsqueeze', [
    g.op('Mul', [inverted, g.scalar('mask_bias', MASK_BIAS)]),
    g.int64('mask_axes', [2], [1, 2]),
  ])

  const splitHeads = g.int64('split_heads_shape', [4], [0, 0, spec.heads, headDim])
  const mergeHeads = g.int64('merge_heads_shape', [3], [0, 0, spec.hidden])
  const scale = g.scalar('attention_scale', 1 / Math.sqrt(headDim))
  for (let layer = 0; layer < spec.layers; layer++) {
    const p = `encoder.layer.${layer}`
    const project = (name: string, input: string, inSize: number, outSize: number) =>
      weights.linear(`${p}.${name}`, input, inSize, outSize)
    const heads = (name: string, perm: number[]) =>
      g.op(
        'Transpose',
        [g.op('Reshape', [project(name, x, spec.hidden, spec.hidden), splitHeads])],
        {
          perm,
        },
      )
    const query = heads('attention.self.query', [0, 2, 1, 3])
    const keyT = heads('attention.self.key', [0, 2, 3, 1])
    const value = heads('attention.self.value', [0, 2, 1, 3])
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [query, keyT]), scale]), bias])
    const probs = g.op('Softmax', [scores], { axis: -1 })
    const context = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [probs, value])], { perm: [0, 2, 1, 3] }),
      mergeHeads,
    ])
    const attended = g.op('Add', [
      project('attention.output.dense', context, spec.hidden, spec.hidden),
      x,
    ])
    const h = weights.layerNorm(`${p}.attention.output.LayerNorm`, attended, spec.hidden)
    const inner = gelu(g, project('intermediate.dense', h, spec.hidden, spec.intermediate))
    const out = g.op('Add', [project('output.dense', inner, spec.intermediate, spec.hidden), h])
    x = weights.layerNorm(`${p}.output.LayerNorm`, out, spec.hidden)
  }

  if (isEncoder) {
    g.nameLastOutput('last_hidden_state')
    return g.toModelBytes(
      inputs,
      [
        {
          name: 'last_hidden_state',
          type: 'float32',
          dims: ['batch_size', 'sequence_length', spec.hidden],
        },
      ],
      'flotilla-ml-generator',
    )
  }

  const labels = spec.labels.length
  const firstToken = g.op('Gather', [x, g.int64('first_token', [], [0])], { axis: 1 })
  const pre = g.op('Relu', [weights.linear('pre_classifier', firstToken, spec.hidden, spec.hidden)])
  weights.linear('classifier', pre, spec.hidden, labels)
  g.nameLastOutput('logits')
  return g.toModelBytes(
    inputs,
    [{ name: 'logits', type: 'float32', dims: ['batch_size', labels] }],
    'flotilla-ml-generator',
  )
}

/** Turns a WeightSource's tensors into graph initializers in the layout the graph uses. */
class Weights {
  constructor(
    private readonly g: GraphBuilder,
    private readonly source: WeightSource,
    private readonly layerNormEps: number,
  ) {}

  embedding(name: string, rows: number, width: number): string {
    return this.g.float(name, [rows, width], this.source.tensor(`${name}.weight`, [rows, width]))
  }

  /** x·Wᵀ + b: the weight is stored transposed ([in, out]) so the graph needs no Transpose. */
  linear(name: string, input: string, inSize: number, outSize: number): string {
    const weight = transpose(
      this.source.tensor(`${name}.weight`, [outSize, inSize]),
      outSize,
      inSize,
    )
    const w = this.g.float(`${name}.weight`, [inSize, outSize], weight)
    const b = this.g.float(`${name}.bias`, [outSize], this.source.tensor(`${name}.bias`, [outSize]))
    return this.g.op('Add', [this.g.op('MatMul', [input, w]), b])
  }

  layerNorm(name: string, input: string, size: number): string {
    const gamma = this.g.float(
      `${name}.weight`,
      [size],
      this.source.tensor(`${name}.weight`, [size]),
    )
    const beta = this.g.float(`${name}.bias`, [size], this.source.tensor(`${name}.bias`, [size]))
    return this.g.op('LayerNormalization', [input, gamma, beta], {
      axis: -1,
      epsilon: { float: this.layerNormEps },
    })
  }
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number
  }
  return out
}

/**
 * Synthetic weights: normal(0, std) matrices, small biases, LayerNorm gains around 1 (a
 * `.weight` of one dimension is a gain or a bias only under a LayerNorm name).
 */
export function randomWeights(rng: () => number, std: number): WeightSource {
  return {
    tensor(name, shape) {
      const size = shape.reduce((a, b) => a * b, 1)
      if (name.includes('LayerNorm')) {
        return name.endsWith('.weight')
          ? normalTensor(rng, size, 0.05, 1)
          : normalTensor(rng, size, 0.05)
      }
      return normalTensor(rng, size, shape.length === 1 ? 0.02 : std)
    },
  }
}

/** Exact (erf) GELU, the form BERT exports contain: 0.5·x·(1 + erf(x/√2)). */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar('sqrt2', Math.SQRT2)])])
  return g.op('Mul', [
    g.op('Mul', [x, g.scalar('half', 0.5)]),
    g.op('Add', [erf, g.scalar('one', 1)]),
  ])
}
