// A plain transformers.js server: the reference flotilla's ML apps are measured against
// (bench/ml.ts). One pipeline, node:http, the same routes and request/response shapes as
// the embedder (POST /embedder/v1/embeddings) and the classifier (POST /classifier/predict),
// so one load generator drives both. Every request goes straight to the pipeline: no queue,
// no batching across requests, no cache.
//
// Plain JavaScript run by plain node: the tsx loader would add ~55 MB (its loader thread and
// esbuild child) to the RSS this server is measured by.
//
// Env: MODEL_DIR (a flotilla model directory: config.json, tokenizer.json, model.onnx),
// TASK (feature-extraction | text-classification), HOST, PORT.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { env, pipeline } from '@huggingface/transformers'

const { MODEL_DIR: modelDir, TASK: task, HOST: host = '127.0.0.1', PORT: port = '0' } = process.env
if (!modelDir || !['feature-extraction', 'text-classification'].includes(task ?? '')) {
  throw new Error('MODEL_DIR and TASK (feature-extraction | text-classification) are required')
}
const modelName = basename(modelDir)
// The tokens of BERT's WordPiece vocabulary, which every flotilla model's tokenizer.json has.
const BERT_SPECIAL_TOKENS = {
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  mask_token: '[MASK]',
}

/**
 * transformers.js reads <localModelPath>/<model>/{config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx}: links to flotilla's files, plus the tokenizer
 * config flotilla's directories do not carry (its truncation length is the one flotilla uses).
 */
async function modelFolder() {
  const root = await mkdtemp(join(tmpdir(), 'flotilla-transformers-'))
  const dir = join(root, modelName)
  await mkdir(join(dir, 'onnx'), { recursive: true })
  for (const file of ['config.json', 'tokenizer.json']) {
    await symlink(join(modelDir, file), join(dir, file))
  }
  await symlink(join(modelDir, 'model.onnx'), join(dir, 'onnx', 'model.onnx'))
  const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8'))
  const sentence = await readFile(join(modelDir, 'sentence_bert_config.json'), 'utf8').then(
    JSON.parse,
    () => ({}),
  )
  const positions = config.max_position_embeddings ?? 512
  await writeFile(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      ...BERT_SPECIAL_TOKENS,
      model_max_length: Math.min(positions, sentence.max_seq_length ?? positions),
    }),
  )
  return root
}

const root = await modelFolder()
env.allowRemoteModels = false
env.localModelPath = root
const run = await pipeline(task, modelName, { dtype: 'fp32' })

const routes = {
  'feature-extraction': {
    path: '/embedder/v1/embeddings',
    /** @param {{ input: string | string[], encoding_format?: string }} body */
    async answer({ input, encoding_format: format = 'float' }) {
      const texts = typeof input === 'string' ? [input] : input
      const output = await run(texts, { pooling: 'mean', normalize: true })
      const [rows, width] = output.dims
      const data = Array.from({ length: rows }, (_, index) => {
        const vector = output.data.subarray(index * width, (index + 1) * width)
        return {
          object: 'embedding',
          index,
          embedding:
            format === 'base64'
              ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
              : Array.from(vector),
        }
      })
      return {
        object: 'list',
        data,
        model: modelName,
        usage: { prompt_tokens: 0, total_tokens: 0 },
      }
    },
  },
  'text-classification': {
    path: '/classifier/predict',
    /** @param {{ inputs: string | string[] }} body */
    async answer({ inputs }) {
      const texts = typeof inputs === 'string' ? [inputs] : inputs
      // top_k null: every label, best first, like flotilla's default.
      const predictions = await run(texts, { top_k: null })
      return typeof inputs === 'string' ? predictions[0] : predictions
    },
  },
}
const route = routes[task]

const server = createServer(async (request, response) => {
  const reply = (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body))
  }
  try {
    if (request.method === 'GET' && (request.url === '/healthz' || request.url === '/readyz')) {
      return reply(200, { status: 'ok' })
    }
    if (request.method !== 'POST' || request.url !== route.path) {
      return reply(404, { error: { code: 'NOT_FOUND', message: 'no such route' } })
    }
    const chunks = []
    for await (const chunk of request) chunks.push(chunk)
    reply(200, await route.answer(JSON.parse(Buffer.concat(chunks).toString('utf8'))))
  } catch (error) {
    reply(500, { error: { code: 'INTERNAL', message: String(error) } })
  }
})
// Fastify's default, which flotilla's apps run with: node's own 5 s closes a kept-alive
// connection whose next request arrived while inference held the event loop longer.
server.keepAliveTimeout = 72_000
server.listen(Number(port), host)
process.once('SIGTERM', () => {
  server.close()
  rm(root, { recursive: true, force: true }).finally(() => process.exit(0))
})
