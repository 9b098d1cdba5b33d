// The memory floor of an ML app (bench/ml.ts): a bare node process that loads the model into
// one onnxruntime session, with the session options flotilla's worker uses, and runs the
// largest batch the app's batcher forms. No HTTP, no tokenizer, no cache, no worker thread:
// what any server around the same model and onnxruntime pays. Prints one JSON line:
// { loadedMb, peakMb } (RSS once the session is loaded; the kernel's high-water mark after
// the runs).
//
// Plain JavaScript run by plain node, like transformers-server.mjs: a loader would add its
// own memory to the floor.
//
// Env: MODEL_PATH (an .onnx file), SESSION_OPTIONS (JSON), BATCH and SEQ (the batch's shape),
// RUNS (default 5).
import { readFile } from 'node:fs/promises'
import ort from 'onnxruntime-node'

const { MODEL_PATH: modelPath, SESSION_OPTIONS: options, BATCH, SEQ, RUNS = '5' } = process.env
if (!modelPath || !options || !BATCH || !SEQ) {
  throw new Error('MODEL_PATH, SESSION_OPTIONS, BATCH and SEQ are required')
}
const [batch, seq, runs] = [BATCH, SEQ, RUNS].map(Number)

async function statusMb(field) {
  const status = await readFile('/proc/self/status', 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024
}

const session = await ort.InferenceSession.create(modelPath, JSON.parse(options))
const loadedMb = await statusMb('VmRSS')
// Token ids past the special tokens of BERT's vocabulary; every position attended.
const ids = BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(1000 + (i % 1000)))
const available = {
  input_ids: ids,
  attention_mask: new BigInt64Array(batch * seq).fill(1n),
  token_type_ids: new BigInt64Array(batch * seq),
}
const feeds = Object.fromEntries(
  session.inputNames.map((name) => [name, new ort.Tensor('int64', available[name], [batch, seq])]),
)
for (let run = 0; run < runs; run++) await session.run(feeds)
console.log(JSON.stringify({ loadedMb, peakMb: await statusMb('VmHWM') }))
await session.release()
