import { readFile } from 'node:fs/promises'
import type { VocabularySource } from './specs.js'

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const

const LETTERS_AND_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789'
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'ly', 'er', 'est', 'ness', 'ment', 'tion', 'able', 'ful']

const BUILTIN_WORDS = `the be to of and a in that have i it for not on with he as you do at this but his
by from they we say her she or an will my one all would there their what so up out if about who
get which go me when make can like time no just him know take people into year your good some
could them see other than then now look only come its over think also back after use two how our
work first well way even new want because any these give day most us is are was were been has had
did said made went got find found tell ask seem feel try leave call good great bad terrible awful
love hate happy sad movie film book story great excellent wonderful boring slow fast quick brown
fox jumps lazy dog cat hello world sentence text embedding vector search query document model
test data small large long short red blue green house car road city water fire air earth music
song play game team win lose best worst nice poor rich light dark night morning evening food eat
drink coffee tea code program computer server network service app fleet ship boat sea`

/** WordPiece vocabulary: special tokens, single characters, ## pieces, then whole words. */
export async function buildVocabulary(source: VocabularySource): Promise<string[]> {
  const pieces = [
    ...SPECIAL_TOKENS,
    ...LETTERS_AND_DIGITS,
    ...PUNCTUATION,
    ...[...LETTERS_AND_DIGITS].map((c) => `##${c}`),
    ...SUFFIXES.map((s) => `##${s}`),
  ]
  const words = source.kind === 'builtin' ? builtinWords() : await wordListWords(source.path)
  const vocabulary = [...new Set([...pieces, ...words])]
  const size = source.kind === 'builtin' ? vocabulary.length : source.size
  if (vocabulary.length < size) {
    throw new Error(`word list yields ${vocabulary.length} tokens, ${size} are needed`)
  }
  return vocabulary.slice(0, size)
}

function builtinWords(): string[] {
  return BUILTIN_WORDS.split(/\s+/).filter(Boolean)
}

async function wordListWords(path: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new Error(
      `word list ${path} is missing (Debian: apt-get install -y wamerican): ${String(error)}`,
    )
  }
  const words = new Set(
    text
      .split('\n')
      .map((word) => word.trim().toLowerCase())
      .filter((word) => /^[a-z]+$/.test(word)),
  )
  // Short words first: they are the common ones, as in a real vocabulary.
  return [...words].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
}
