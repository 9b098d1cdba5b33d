import { readFile } from 'node:fs/promises'
import type { WeightSource } from '../generate/bert-graph.js'

interface TensorEntry {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

/**
 * The float32 tensors of a `.safetensors` file (an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the raw buffers), as a
 * WeightSource that refuses a wrong shape and can tell which tensors were never asked for.
 */
export class SafetensorsWeights implements WeightSource {
  private readonly used = new Set<string>()

  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, TensorEntry>,
    private readonly data: Buffer,
  ) {}

  static async open(path: string): Promise<SafetensorsWeights> {
    const bytes = await readFile(path)
    if (bytes.length < 8) throw new Error(`${path}: not a safetensors file (too short)`)
    const headerLength = Number(bytes.readBigUInt64LE(0))
    if (8 + headerLength > bytes.length) throw new Error(`${path}: header runs past the file`)
    let header: Record<string, unknown>
    try {
      header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'))
    } catch (error) {
      throw new Error(`${path}: header is not JSON: ${String(error)}`)
    }
    const data = bytes.subarray(8 + headerLength)
    const entries = new Map<string, TensorEntry>()
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue
      const { dtype, shape, data_offsets: range } = entry as TensorEntry
      if (!Array.isArray(range) || range[0] < 0 || range[1] > data.length || range[0] > range[1]) {
        throw new Error(`${path}: tensor ${name} has byte range ${String(range)} outside the file`)
      }
      entries.set(name, { dtype, shape, data_offsets: range })
    }
    return new SafetensorsWeights(path, entries, data)
  }

  tensor(name: string, shape: number[]): Float32Array {
    const entry = this.entries.get(name)
    if (!entry) throw new Error(`${this.path}: no tensor ${name}`)
    if (entry.dtype !== 'F32') throw new Error(`${this.path}: ${name} is ${entry.dtype}, not F32`)
    if (entry.shape.join('x') !== shape.join('x')) {
      throw new Error(`${this.path}: ${name} has shape [${entry.shape}], expected [${shape}]`)
    }
    const [start, end] = entry.data_offsets
    if (end - start !== shape.reduce((a, b) => a * b, 1) * 4) {
      throw new Error(`${this.path}: ${name} has ${end - start} bytes for shape [${shape}]`)
    }
    this.used.add(name)
    // Copied: the buffer's offset need not be 4-byte aligned, and the file is little-endian
    // like every platform onnxruntime-node runs on.
    const out = new Float32Array((end - start) / 4)
    new Uint8Array(out.buffer).set(this.data.subarray(start, end))
    return out
  }

  /** Tensors in the file that no tensor() call asked for. */
  unused(): string[] {
    return [...this.entries.keys()].filter((name) => !this.used.has(name))
  }
}
