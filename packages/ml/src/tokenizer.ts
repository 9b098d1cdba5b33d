import { Tokenizer } from 'tokenizers'

/** One text, tokenized for the model (special tokens included). */
export interface EncodedText {
  ids: number[]
  attentionMask: number[]
  typeIds: number[]
  /** True when the text was longer than maxTokens and its end was cut. */
  truncated: boolean
}

/**
 * A Hugging Face `tokenizer.json` loaded with the `tokenizers` napi binding (measured
 * faster than the pure JS port by bench/tokenizer.ts, and it tokenizes on libuv's thread
 * pool instead of the event loop). Truncates to maxTokens, keeping the special tokens.
 */
export class TextTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly maxTokens: number,
  ) {}

  static fromFile(path: string, maxTokens: number): TextTokenizer {
    if (!Number.isInteger(maxTokens) || maxTokens < 3) {
      throw new RangeError(`maxTokens must be an integer >= 3, got ${maxTokens}`)
    }
    let tokenizer: Tokenizer
    try {
      tokenizer = Tokenizer.fromFile(path)
    } catch (error) {
      throw new Error(`cannot load tokenizer ${path}: ${String(error)}`)
    }
    tokenizer.setTruncation(maxTokens)
    tokenizer.disablePadding()
    return new TextTokenizer(tokenizer, maxTokens)
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.tokenToId(token) ?? undefined
  }

  async encode(text: string): Promise<EncodedText> {
    const encoding = await this.tokenizer.encode(text)
    return {
      ids: encoding.getIds(),
      attentionMask: encoding.getAttentionMask(),
      typeIds: encoding.getTypeIds(),
      truncated: encoding.getOverflowing().length > 0,
    }
  }
}
