import { createHash } from 'node:crypto'
import { InputTooLongError } from '@flotilla/ml'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

/** One model output row per input, with what the model reports about the input. */
export interface ModelRows {
  rows: Float32Array[]
  tokenCounts: number[]
  truncated: boolean[]
}

interface CachedRow {
  row: Float32Array
  tokens: number
  truncated: boolean
}

// Value layout: uint32 token count, uint8 truncated, then the row as little-endian float32.
const HEADER_BYTES = 5

function encode({ row, tokens, truncated }: CachedRow): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES + row.length * 4)
  buffer.writeUInt32LE(tokens, 0)
  buffer.writeUInt8(truncated ? 1 : 0, 4)
  for (const [i, value] of row.entries()) buffer.writeFloatLE(value, HEADER_BYTES + i * 4)
  return buffer
}

function decode(buffer: Buffer): CachedRow | undefined {
  if (buffer.length < HEADER_BYTES || (buffer.length - HEADER_BYTES) % 4 !== 0) return undefined
  const row = new Float32Array((buffer.length - HEADER_BYTES) / 4)
  for (let i = 0; i < row.length; i++) row[i] = buffer.readFloatLE(HEADER_BYTES + i * 4)
  return { row, tokens: buffer.readUInt32LE(0), truncated: buffer.readUInt8(4) === 1 }
}

/**
 * Model outputs in Redis, keyed by model name and sha256 of the text. Redis failures only
 * cost speed: a failed read is a miss, a failed write is logged.
 */
export class RowCache {
  constructor(
    private readonly redis: Redis,
    private readonly model: string,
    private readonly ttlSeconds: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  /**
   * The rows for `texts`, computing only those not cached (each distinct text once). With
   * `truncate` false, a cached row of a truncated text counts as a miss, so the model
   * refuses it as it would have.
   */
  async through(
    texts: string[],
    truncate: boolean,
    compute: (texts: string[]) => Promise<ModelRows>,
  ): Promise<ModelRows> {
    const keys = texts.map((text) => this.key(text))
    const cached = await this.read(keys)
    const usable = (hit: CachedRow | undefined) => hit && (truncate || !hit.truncated)
    const missing = [...new Set(texts.filter((_, i) => !usable(cached[i])))]
    if (missing.length > 0) {
      const computed = await compute(missing).catch((error: unknown) => {
        // Report the input's index in the caller's list, not in the list of misses.
        if (error instanceof InputTooLongError) {
          throw new InputTooLongError(
            texts.indexOf(missing[error.index] as string),
            error.maxTokens,
          )
        }
        throw error
      })
      const fresh = new Map<string, CachedRow>()
      missing.forEach((text, i) => {
        fresh.set(text, {
          row: computed.rows[i] as Float32Array,
          tokens: computed.tokenCounts[i] as number,
          truncated: computed.truncated[i] as boolean,
        })
      })
      this.write(fresh)
      texts.forEach((text, i) => {
        if (!usable(cached[i])) cached[i] = fresh.get(text)
      })
    }
    const hits = cached as CachedRow[]
    return {
      rows: hits.map((hit) => hit.row),
      tokenCounts: hits.map((hit) => hit.tokens),
      truncated: hits.map((hit) => hit.truncated),
    }
  }

  private key(text: string): string {
    return `v1:${this.model}:${createHash('sha256').update(text).digest('hex')}`
  }

  private async read(keys: string[]): Promise<(CachedRow | undefined)[]> {
    try {
      const values = await this.redis.mgetBuffer(keys)
      return values.map((value) => (value ? decode(value) : undefined))
    } catch (error) {
      this.log.warn({ err: error }, 'cache read failed; running the model')
      return keys.map(() => undefined)
    }
  }

  // Not awaited: the caller has its answer and need not wait for the cache.
  private write(rows: Map<string, CachedRow>): void {
    const pipeline = this.redis.pipeline()
    for (const [text, row] of rows) pipeline.set(this.key(text), encode(row), 'EX', this.ttlSeconds)
    pipeline.exec().catch((error: unknown) => this.log.warn({ err: error }, 'cache write failed'))
  }
}
