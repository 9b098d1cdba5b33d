import { GraphBuilder, type GraphInput } from './graph-builder.js'
import { normalTensor } from './rng.js'
import type { TransformerSpec } from './specs.js'

/** Masked-out positions get this added to their attention scores: exp() of it is exactly 0. */
const MASK_BIAS = -10000
const LAYER_NORM_EPS = 1e-12

/**
 * Writes a BERT-family transformer (the layout Hugging Face's ONNX exports have) with
 * synthetic weights: `encoder` is a BertModel (sentence-transformers contract), `classifier`
 * a DistilBertForSequenceClassification (first-token head → logits).
 */
export function buildTransformerModel(
  spec: TransformerSpec,
  vocabSize: number,
  rng: () => number,
): Uint8Array {
  const g = new GraphBuilder(spec.name)
  const weights = new WeightFactory(g, rng, spec.weightStd)
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
  const wordEmbeddings = weights.matrix('embeddings.word_embeddings', vocabSize, spec.hidden)
  let x = g.op('Gather', [wordEmbeddings, 'input_ids'], { axis: 0 })
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.int64('one_index', [], [1])], {
    axis: 0,
  })
  const positionIds = g.op('Range', [g.int64('zero', [], [0]), seqLen, g.int64('step', [], [1])])
  const positionEmbeddings = weights.matrix(
    'embeddings.position_embeddings',
    spec.maxPositions,
    spec.hidden,
  )
  x = g.op('Add', [x, g.op('Gather', [positionEmbeddings, positionIds], { axis: 0 })])
  if (isEncoder) {
    const typeEmbeddings = weights.matrix('embeddings.token_type_embeddings', 2, spec.hidden)
    x = g.op('Add', [x, g.op('Gather', [typeEmbeddings, 'token_type_ids'], { axis: 0 })])
  }
  x = layerNorm(g, weights, 'embeddings.LayerNorm', x, spec.hidden)

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
      g.op('Add', [
        g.op('MatMul', [input, weights.matrix(`${p}.${name}.weight`, inSize, outSize)]),
        weights.bias(`${p}.${name}.bias`, outSize),
      ])
    const heads = (name: string, perm: number[]) =>
      g.op(
        'Transpose',
        [g.op('Reshape', [project(name, x, spec.hidden, spec.hidden), splitHeads])],
        {
          perm,
        },
      )
    const query = heads('attention.query', [0, 2, 1, 3])
    const keyT = heads('attention.key', [0, 2, 3, 1])
    const value = heads('attention.value', [0, 2, 1, 3])
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [query, keyT]), scale]), bias])
    const probs = g.op('Softmax', [scores], { axis: -1 })
    const context = g.op('Reshape', [
      g.op('Transpose', [g.op('MatMul', [probs, value])], { perm: [0, 2, 1, 3] }),
      mergeHeads,
    ])
    const attended = g.op('Add', [
      project('attention.output', context, spec.hidden, spec.hidden),
      x,
    ])
    const h = layerNorm(g, weights, `${p}.attention.LayerNorm`, attended, spec.hidden)
    const inner = gelu(g, project('intermediate', h, spec.hidden, spec.intermediate))
    const out = g.op('Add', [project('output', inner, spec.intermediate, spec.hidden), h])
    x = layerNorm(g, weights, `${p}.output.LayerNorm`, out, spec.hidden)
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
  const pre = g.op('Relu', [
    g.op('Add', [
      g.op('MatMul', [
        firstToken,
        weights.matrix('pre_classifier.weight', spec.hidden, spec.hidden),
      ]),
      weights.bias('pre_classifier.bias', spec.hidden),
    ]),
  ])
  g.op('Add', [
    g.op('MatMul', [pre, weights.matrix('classifier.weight', spec.hidden, labels)]),
    weights.bias('classifier.bias', labels),
  ])
  g.nameLastOutput('logits')
  return g.toModelBytes(
    inputs,
    [{ name: 'logits', type: 'float32', dims: ['batch_size', labels] }],
    'flotilla-ml-generator',
  )
}

class WeightFactory {
  constructor(
    private readonly g: GraphBuilder,
    private readonly rng: () => number,
    private readonly std: number,
  ) {}

  matrix(name: string, rows: number, cols: number): string {
    return this.g.float(name, [rows, cols], normalTensor(this.rng, rows * cols, this.std))
  }

  bias(name: string, size: number): string {
    return this.g.float(name, [size], normalTensor(this.rng, size, 0.02))
  }

  layerNorm(name: string, size: number): { gamma: string; beta: string } {
    return {
      gamma: this.g.float(`${name}.weight`, [size], normalTensor(this.rng, size, 0.05, 1)),
      beta: this.g.float(`${name}.bias`, [size], normalTensor(this.rng, size, 0.05)),
    }
  }
}

function layerNorm(
  g: GraphBuilder,
  weights: WeightFactory,
  name: string,
  input: string,
  size: number,
): string {
  const { gamma, beta } = weights.layerNorm(name, size)
  return g.op('LayerNormalization', [input, gamma, beta], {
    axis: -1,
    epsilon: { float: LAYER_NORM_EPS },
  })
}

/** Exact (erf) GELU, the form BERT exports contain: 0.5·x·(1 + erf(x/√2)). */
function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.scalar('sqrt2', Math.SQRT2)])])
  return g.op('Mul', [
    g.op('Mul', [x, g.scalar('half', 0.5)]),
    g.op('Add', [erf, g.scalar('one', 1)]),
  ])
}
