import ort from 'onnxruntime-node'
import { readModelFiles } from './model-files.js'
import { sessionOptions } from './session-options.js'
import { TextTokenizer } from './tokenizer.js'

export interface RawThroughputOptions {
  modelDir: string
  texts: string[]
  /** Inputs per session.run; the texts are cut into batches of this size, in order. */
  batchSize: number
  intraOpThreads: number
  /** Measure for about this long, after one warm-up pass. Default 5000 ms. */
  durationMs?: number
}

export interface RawThroughput {
  sentencesPerSecond: number
  sentences: number
  seconds: number
}

/**
 * Sentences per second of a bare onnxruntime session on the given texts: the ceiling a
 * service around the same model can approach (no HTTP, no queue, no worker hop).
 */
export async function measureRawThroughput(options: RawThroughputOptions): Promise<RawThroughput> {
  const files = await readModelFiles(options.modelDir)
  const tokenizer = TextTokenizer.fromFile(files.tokenizerPath, files.maxTokens)
  const session = await ort.InferenceSession.create(
    files.modelPath,
    sessionOptions(options.intraOpThreads),
  )
  const encoded = await Promise.all(options.texts.map((text) => tokenizer.encode(text)))
  const batches: Record<string, ort.Tensor>[] = []
  for (let start = 0; start < encoded.length; start += options.batchSize) {
    const chunk = encoded.slice(start, start + options.batchSize)
    const seq = Math.max(...chunk.map((e) => e.ids.length))
    const tensor = (pick: (e: (typeof chunk)[number]) => number[], pad: number) => {
      const data = new BigInt64Array(chunk.length * seq).fill(BigInt(pad))
      chunk.forEach((e, row) => {
        pick(e).forEach((value, i) => {
          data[row * seq + i] = BigInt(value)
        })
      })
      return new ort.Tensor('int64', data, [chunk.length, seq])
    }
    const all: Record<string, ort.Tensor> = {
      input_ids: tensor((e) => e.ids, files.padTokenId),
      attention_mask: tensor((e) => e.attentionMask, 0),
      token_type_ids: tensor((e) => e.typeIds, 0),
    }
    batches.push(
      Object.fromEntries(session.inputNames.map((name) => [name, all[name] as ort.Tensor])),
    )
  }
  try {
    for (const feeds of batches) await session.run(feeds)
    const durationMs = options.durationMs ?? 5000
    let sentences = 0
    const started = performance.now()
    while (performance.now() - started < durationMs) {
      for (const feeds of batches) {
        await session.run(feeds)
        sentences += Number(feeds.input_ids?.dims[0])
      }
    }
    const seconds = (performance.now() - started) / 1000
    return { sentencesPerSecond: sentences / seconds, sentences, seconds }
  } finally {
    await session.release()
  }
}
