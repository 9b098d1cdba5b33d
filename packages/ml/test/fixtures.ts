import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ort from 'onnxruntime-node'
import { ensureModel } from '../src/generate/generate-model.js'
import type { ModelName } from '../src/generate/specs.js'
import { TextTokenizer } from '../src/tokenizer.js'

/** Generated once per machine and generator version, shared by every test file. */
const CACHE_ROOT = join(tmpdir(), 'flotilla-ml-test-models')

export function modelDir(name: ModelName): Promise<string> {
  return ensureModel(name, CACHE_ROOT)
}

/**
 * The model's raw output for ONE text on its own (no padding at all), straight from an
 * onnxruntime session on the main thread: the reference the runtime is checked against.
 */
export async function rawOutput(
  dir: string,
  text: string,
  maxTokens: number,
): Promise<{ data: Float32Array; dims: readonly number[]; mask: number[] }> {
  const tokenizer = TextTokenizer.fromFile(join(dir, 'tokenizer.json'), maxTokens)
  const encoded = await tokenizer.encode(text)
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'))
  const tensor = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length])
  const all: Record<string, ort.Tensor> = {
    input_ids: tensor(encoded.ids),
    attention_mask: tensor(encoded.attentionMask),
    token_type_ids: tensor(encoded.typeIds),
  }
  const feeds = Object.fromEntries(session.inputNames.map((n) => [n, all[n] as ort.Tensor]))
  const output = (await session.run(feeds))[session.outputNames[0] as string] as ort.Tensor
  await session.release()
  return { data: output.data as Float32Array, dims: output.dims, mask: encoded.attentionMask }
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} differs from expected ${expected.length}`)
  }
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs((actual[i] as number) - (expected[i] as number))
    if (!(diff <= tolerance)) {
      throw new Error(
        `element ${i}: ${actual[i]} differs from ${expected[i]} by ${diff} > ${tolerance}`,
      )
    }
  }
}
