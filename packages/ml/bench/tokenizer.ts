// Tokenizer libraries side by side on the same texts and the same tokenizer.json, in one run.
// Usage: npm run bench:tokenizer -w @flotilla/ml [-- modelsRoot]
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import anush from '@anush008/tokenizers'
import { Tokenizer as PureJsTokenizer } from '@huggingface/tokenizers'
import napi from 'tokenizers'
import { ensureModel } from '../src/generate/generate-model.js'
import { createRng } from '../src/generate/rng.js'

const modelsRoot = resolve(process.argv[2] ?? 'models')
const tokenizerPath = join(await ensureModel('minilm-encoder', modelsRoot), 'tokenizer.json')
const texts = sampleTexts(2000)

interface Candidate {
  name: string
  encodeAll: (texts: string[]) => Promise<number[][]>
}

const pureJs = new PureJsTokenizer(JSON.parse(await readFile(tokenizerPath, 'utf8')), {})
const napiTokenizer = napi.Tokenizer.fromFile(tokenizerPath)
const anushTokenizer = anush.Tokenizer.fromFile(tokenizerPath)

const candidates: Candidate[] = [
  {
    name: '@huggingface/tokenizers (pure JS, sync)',
    encodeAll: async (all) => all.map((text) => pureJs.encode(text).ids),
  },
  {
    name: 'tokenizers (napi) encode',
    encodeAll: (all) =>
      Promise.all(all.map(async (text) => (await napiTokenizer.encode(text)).getIds())),
  },
  {
    name: 'tokenizers (napi) encodeBatch',
    encodeAll: async (all) => (await napiTokenizer.encodeBatch(all)).map((e) => e.getIds()),
  },
  {
    name: '@anush008/tokenizers encode',
    encodeAll: (all) =>
      Promise.all(all.map(async (text) => (await anushTokenizer.encode(text)).getIds())),
  },
  {
    name: '@anush008/tokenizers encodeBatch',
    encodeAll: async (all) => (await anushTokenizer.encodeBatch(all)).map((e) => e.getIds()),
  },
]

const reference = await candidates[0]?.encodeAll(texts)
const results: { name: string; textsPerSecond: number }[] = []
console.log(`${texts.length} texts, tokenizer ${tokenizerPath}`)
console.log(
  'event-loop busy = share of the wall time the main thread was blocked (lower is better)\n',
)
for (const candidate of candidates) {
  const ids = await candidate.encodeAll(texts)
  const agrees = JSON.stringify(ids) === JSON.stringify(reference)
  for (let i = 0; i < 2; i++) await candidate.encodeAll(texts)
  const rounds = 5
  const started = performance.now()
  const loopBefore = performance.eventLoopUtilization()
  for (let i = 0; i < rounds; i++) await candidate.encodeAll(texts)
  const loopBusy = performance.eventLoopUtilization(loopBefore).utilization
  const seconds = (performance.now() - started) / 1000
  const textsPerSecond = (rounds * texts.length) / seconds
  results.push({ name: candidate.name, textsPerSecond })
  console.log(
    `${candidate.name.padEnd(42)} ${Math.round(textsPerSecond).toString().padStart(8)} texts/s  event-loop busy ${(loopBusy * 100).toFixed(0).padStart(3)}%${agrees ? '' : '  (ids DIFFER from the pure JS output)'}`,
  )
}
const baseline = results[0]?.textsPerSecond ?? 1
console.log('\nratio to @huggingface/tokenizers:')
for (const { name, textsPerSecond } of results) {
  console.log(`  ${name.padEnd(42)} ${(textsPerSecond / baseline).toFixed(2)}x`)
}

/** Deterministic sentences of 3 to 80 words, with punctuation, case and unknown words. */
function sampleTexts(count: number): string[] {
  const rng = createRng(42)
  const words =
    'The quick brown fox jumps over the lazy dog while a happy developer ships small services, ' +
    'embeddings and classifiers; unknownish zebrafication happens! Numbers like 42 and 3.14 too?'
  const pool = words.split(' ')
  return Array.from({ length: count }, () => {
    const length = 3 + Math.floor(rng() * rng() * 78)
    return Array.from({ length }, () => pool[Math.floor(rng() * pool.length)]).join(' ')
  })
}
