// Worker thread entry: owns one onnxruntime session, because session.run blocks its thread.
import { parentPort, workerData } from 'node:worker_threads'
import ort from 'onnxruntime-node'
import { meanPoolNormalize, softmaxRows } from './pooling.js'
import { sessionOptions } from './session-options.js'
import type {
  BatchResult,
  BatchTensors,
  WorkerConfig,
  WorkerMessage,
  WorkerRequest,
} from './worker-protocol.js'

const port = parentPort
if (!port) throw new Error('worker.ts must run in a worker thread')
const config = workerData as WorkerConfig
const send = (message: WorkerMessage, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)

let session: ort.InferenceSession
try {
  session = await ort.InferenceSession.create(
    config.modelPath,
    sessionOptions(config.intraOpThreads),
  )
  send({ type: 'ready' })
} catch (error) {
  send({ type: 'load-failed', message: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}

port.on('message', async ({ id, tensors }: WorkerRequest) => {
  try {
    const result = await runBatch(tensors)
    send({ type: 'result', id, result }, [result.data.buffer as ArrayBuffer])
  } catch (error) {
    send({
      type: 'run-failed',
      id,
      message: error instanceof Error ? error.message : String(error),
    })
  }
})

async function runBatch(tensors: BatchTensors): Promise<BatchResult> {
  const dims = [tensors.batch, tensors.seq]
  const available: Record<string, BigInt64Array> = {
    input_ids: tensors.inputIds,
    attention_mask: tensors.attentionMask,
    token_type_ids: tensors.tokenTypeIds,
  }
  // Feed exactly the inputs this export declares (DistilBERT has no token_type_ids).
  const feeds: Record<string, ort.Tensor> = {}
  for (const name of session.inputNames) {
    const data = available[name]
    if (!data) throw new Error(`model input ${name} is not one this runtime can provide`)
    feeds[name] = new ort.Tensor('int64', data, dims)
  }
  const outputName = session.outputNames[0]
  if (outputName === undefined) throw new Error('model has no outputs')
  const output = (await session.run(feeds))[outputName]
  if (output?.type !== 'float32') throw new Error(`output ${outputName} is not float32`)
  const data = output.data as Float32Array
  const width = output.dims.at(-1) ?? 0
  if (config.postprocess === 'mean-pool-normalize') {
    if (output.dims.length !== 3) {
      throw new Error(`expected last_hidden_state [batch, seq, hidden], got [${output.dims}]`)
    }
    return {
      width,
      data: meanPoolNormalize(data, tensors.attentionMask, tensors.batch, tensors.seq, width),
    }
  }
  if (output.dims.length !== 2)
    throw new Error(`expected logits [batch, labels], got [${output.dims}]`)
  return { width, data: softmaxRows(data, tensors.batch, width) }
}
