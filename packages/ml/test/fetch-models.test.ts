import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  assertPinned,
  isInstalled,
  obtainPinnedModel,
  type PinnedFile,
  type PinnedModel,
  readModelLock,
  writeNewPins,
} from '../src/fetch-models.js'
import { readModelFiles } from '../src/model-files.js'
import { TextTokenizer } from '../src/tokenizer.js'
import { modelDir } from './fixtures.js'

const MINILM = 'all-MiniLM-L6-v2'
const CLASSIFIER = 'distilbert-sst2'

const REVISION = 'c'.repeat(40)
const OTHER_REVISION = 'd'.repeat(40)
const FILES = {
  'model.onnx': 'onnx/model.onnx',
  'tokenizer.json': 'onnx/tokenizer.json',
  'config.json': 'config.json',
}
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** How the local "hub" answers one path: the body, or a broken/short variant of it. */
type Behaviour = 'ok' | 'tampered' | 'breaks-off' | 'short'

let root: string
let originals: Record<string, Buffer>
let server: Server
let endpoint: string
const behaviour = new Map<string, Behaviour>()
const requested: string[] = []

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'flotilla-fetch-'))
  const source = await modelDir('tiny-classifier')
  originals = {}
  for (const file of Object.keys(FILES)) originals[file] = await readFile(join(source, file))
  server = createServer((request, response) => {
    requested.push(request.url ?? '')
    // org/other at OTHER_REVISION holds the same tokenizer.json at its top level.
    const entry =
      request.url === `/org/other/resolve/${OTHER_REVISION}/tokenizer.json`
        ? (['tokenizer.json'] as const)
        : Object.entries(FILES).find(
            ([, path]) => request.url === `/org/model/resolve/${REVISION}/${path}`,
          )
    if (!entry) return response.writeHead(404).end()
    const body = originals[entry[0]] as Buffer
    switch (behaviour.get(entry[0]) ?? 'ok') {
      case 'ok':
        return response.writeHead(200, { 'content-length': body.length }).end(body)
      case 'tampered': {
        const copy = Buffer.from(body)
        copy.writeUInt8(copy.readUInt8(copy.length >> 1) ^ 1, copy.length >> 1)
        return response.writeHead(200, { 'content-length': copy.length }).end(copy)
      }
      case 'short':
        return response
          .writeHead(200, { 'content-length': body.length - 10 })
          .end(body.subarray(10))
      case 'breaks-off':
        response.writeHead(200, { 'content-length': body.length })
        response.write(body.subarray(0, body.length >> 1), () => response.socket?.destroy())
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

function pinned(
  overrides: Partial<Record<string, { sha256: string | null; size: number | null }>> = {},
): PinnedModel {
  return {
    role: 'classification',
    repo: 'org/model',
    revision: REVISION,
    files: Object.fromEntries(
      Object.entries(FILES).map(([file, path]) => {
        const body = originals[file] as Buffer
        return [file, { path, sha256: sha256(body), size: body.length, ...overrides[file] }]
      }),
    ),
  }
}

const hub = () => ({ kind: 'hub' as const, endpoint })
const target = async () => join(await mkdtemp(join(root, 'out-')), 'model')

describe('obtainPinnedModel from a hub (a local HTTP server here)', () => {
  it('downloads the pinned files, verifies them and records where they came from', async () => {
    behaviour.clear()
    const dir = await target()
    assert.deepEqual(await obtainPinnedModel('m', pinned(), hub(), dir), [])
    for (const [file, body] of Object.entries(originals)) {
      assert.ok((await readFile(join(dir, file))).equals(body), file)
    }
    assert.equal(await isInstalled(dir, 'm', pinned()), true)
    assert.equal(await isInstalled(dir, 'other', pinned()), false)
  })

  it("downloads a sameAs file from the other model's repo and revision", async () => {
    behaviour.clear()
    requested.length = 0
    const model = pinned()
    const tokenizer = model.files['tokenizer.json'] as PinnedFile
    model.files['tokenizer.json'] = {
      ...tokenizer,
      path: 'tokenizer.json',
      from: { model: 'other', repo: 'org/other', revision: OTHER_REVISION },
    }
    const dir = await target()
    assert.deepEqual(await obtainPinnedModel('m', model, hub(), dir), [])
    assert.ok(requested.includes(`/org/other/resolve/${OTHER_REVISION}/tokenizer.json`))
    assert.ok(!requested.includes(`/org/model/resolve/${REVISION}/onnx/tokenizer.json`))
    assert.ok(
      (await readFile(join(dir, 'tokenizer.json'))).equals(originals['tokenizer.json'] as Buffer),
    )
  })

  it('refuses a file whose sha256 differs, naming it, the expected hash and what to do', async () => {
    behaviour.clear()
    behaviour.set('config.json', 'tampered')
    const dir = await target()
    const model = pinned()
    await assert.rejects(obtainPinnedModel('m', model, hub(), dir), (error: Error) => {
      assert.match(
        error.message,
        /config\.json \(http:\/\/127\.0\.0\.1:\d+\/org\/model\/resolve\/c+\/config\.json\)/,
      )
      assert.ok(error.message.includes(`expected sha256 ${model.files['config.json']?.sha256}`))
      assert.match(error.message, /Run again; if it persists/)
      assert.doesNotMatch(error.message, /model\.onnx/)
      return true
    })
    assert.deepEqual(await readdir(join(dir, '..')), [], 'nothing is left behind')
  })

  it('refuses a download that breaks off before its announced length', async () => {
    behaviour.clear()
    behaviour.set('model.onnx', 'breaks-off')
    const dir = await target()
    await assert.rejects(
      obtainPinnedModel('m', pinned(), hub(), dir),
      /model\.onnx: the download from .* broke off .*a partial file is never used/,
    )
    assert.deepEqual(await readdir(join(dir, '..')), [])
  })

  it('refuses a truncated file even when the server announces the short length', async () => {
    behaviour.clear()
    behaviour.set('tokenizer.json', 'short')
    const body = originals['tokenizer.json'] as Buffer
    await assert.rejects(
      obtainPinnedModel('m', pinned(), hub(), await target()),
      new RegExp(
        `tokenizer\\.json \\(.*\\): ${body.length - 10} bytes, the pinned file \\(sha256 ${sha256(body)}\\) has ${body.length}`,
      ),
    )
  })

  it('keeps the model already installed when a new fetch fails', async () => {
    behaviour.clear()
    const dir = await target()
    await obtainPinnedModel('m', pinned(), hub(), dir)
    behaviour.set('model.onnx', 'tampered')
    await assert.rejects(obtainPinnedModel('m', pinned(), hub(), dir))
    assert.equal(await isInstalled(dir, 'm', pinned()), true)
    assert.ok((await readFile(join(dir, 'model.onnx'))).equals(originals['model.onnx'] as Buffer))
  })

  it('takes a file with no known hash only when asked, printing its sha256 and size', async () => {
    behaviour.clear()
    const unknown = pinned({ 'tokenizer.json': { sha256: null, size: null } })
    const body = originals['tokenizer.json'] as Buffer
    const dir = await target()
    await assert.rejects(obtainPinnedModel('m', unknown, hub(), dir), (error: Error) => {
      assert.ok(
        error.message.includes(`tokenizer.json: sha256 ${sha256(body)}, ${body.length} bytes`),
      )
      assert.match(error.message, /--accept-new-pins/)
      return true
    })
    assert.deepEqual(await readdir(join(dir, '..')), [])

    const newPins = await obtainPinnedModel('m', unknown, hub(), dir, { acceptNewPins: true })
    assert.deepEqual(newPins, [{ file: 'tokenizer.json', sha256: sha256(body), size: body.length }])
    const lockPath = join(root, 'models.lock.json')
    await writeFile(lockPath, JSON.stringify({ models: { m: unknown } }))
    await writeNewPins(lockPath, 'm', newPins)
    const lock = await readModelLock(lockPath)
    assert.deepEqual(lock.models.m, pinned())
    assert.equal(await isInstalled(dir, 'm', pinned()), true)
  })
})

describe('obtainPinnedModel from a folder (dir:)', () => {
  async function folder(tamper?: string): Promise<string> {
    const dir = await mkdtemp(join(root, 'src-'))
    await mkdir(join(dir, 'm'))
    for (const [file, body] of Object.entries(originals)) {
      const copy = Buffer.from(body)
      if (file === tamper) copy.writeUInt8(copy.readUInt8(0) ^ 1, 0)
      await writeFile(join(dir, 'm', file), copy)
    }
    return dir
  }

  it('verifies the folder copies as it verifies downloads', async () => {
    const dir = await target()
    await obtainPinnedModel('m', pinned(), { kind: 'dir', root: await folder() }, dir)
    assert.equal(await isInstalled(dir, 'm', pinned()), true)

    const bad = await folder('model.onnx')
    await assert.rejects(
      obtainPinnedModel('m', pinned(), { kind: 'dir', root: bad }, await target()),
      (error: Error) =>
        error.message.includes(`model.onnx (${join(bad, 'm', 'model.onnx')}): expected sha256`) &&
        error.message.includes(
          `Put the pinned files there: ${join(bad, 'm', 'model.onnx')} (onnx/model.onnx of org/model at revision ${REVISION}, sha256`,
        ),
    )
  })

  it('names the missing file, where it belongs and its hash', async () => {
    const partial = await folder()
    await rm(join(partial, 'm', 'config.json'))
    const model = pinned()
    await assert.rejects(
      obtainPinnedModel('m', model, { kind: 'dir', root: partial }, await target()),
      (error: Error) =>
        error.message.includes(`cannot read ${join(partial, 'm', 'config.json')} (ENOENT)`) &&
        error.message.includes(
          `${join(partial, 'm', 'config.json')} (config.json of org/model at revision ${REVISION}, sha256 ${model.files['config.json']?.sha256})`,
        ),
    )
  })
})

it('pins every file of the real models by commit and sha256, so MODELS=real never stops at an unknown hash', async () => {
  const { models } = await readModelLock()
  const minilm = models['all-MiniLM-L6-v2'] as PinnedModel
  assert.equal(minilm.role, 'embedding')
  assert.deepEqual(Object.keys(minilm.files).sort(), [
    'config.json',
    'model.safetensors',
    'tokenizer.json',
  ])
  for (const pin of Object.values(minilm.files)) assert.ok(Number.isInteger(pin.size))
  for (const [name, model] of Object.entries(models)) {
    assertPinned(name, model)
    for (const [file, pin] of Object.entries(model.files)) {
      assert.match(pin.sha256 ?? '', /^[0-9a-f]{64}$/, `${name} ${file}`)
    }
  }
  const classifier = models[CLASSIFIER] as PinnedModel
  assert.equal(classifier.role, 'classification')
  assert.deepEqual(classifier.files['tokenizer.json'], {
    ...minilm.files['tokenizer.json'],
    from: { model: MINILM, repo: minilm.repo, revision: minilm.revision },
  })
  assert.deepEqual(classifier.config?.id2label, { 0: 'NEGATIVE', 1: 'POSITIVE' })
})

describe('readModelLock', () => {
  it('resolves a "sameAs" file to the other model\'s pin and refuses one that names no such pin', async () => {
    const lockPath = join(root, 'same-as.lock.json')
    const a = pinned()
    const b = { ...pinned(), repo: 'org/b', files: { 'tokenizer.json': { sameAs: 'a' } } }
    await writeFile(lockPath, JSON.stringify({ models: { a, b } }))
    const { models } = await readModelLock(lockPath)
    assert.deepEqual(models.b?.files['tokenizer.json'], {
      ...a.files['tokenizer.json'],
      from: { model: 'a', repo: 'org/model', revision: REVISION },
    })
    await writeFile(
      lockPath,
      JSON.stringify({ models: { a, b: { ...b, files: { 'vocab.txt': { sameAs: 'a' } } } } }),
    )
    await assert.rejects(
      readModelLock(lockPath),
      /b's vocab\.txt is "sameAs" a, which pins no vocab\.txt/,
    )
  })
})

/**
 * The real classifier's lock entry, obtained from a folder (dir:) as an air-gapped machine
 * does: its tokenizer is all-MiniLM-L6-v2's pinned tokenizer.json (real bytes, as
 * scripts/ci/real-models.sh leaves them), its config.json comes from the lock. The hub's
 * 268 MB model.onnx cannot be had here, so a generated classifier stands in for it, pinned by
 * its own sha256 (the checks are the same for any bytes).
 */
const minilmTokenizer = fileURLToPath(
  new URL(`../models/${MINILM}/tokenizer.json`, import.meta.url),
)
const realTokenizer = await readFile(minilmTokenizer).catch(() => undefined)
const lockedTokenizer = (await readModelLock()).models[MINILM]?.files['tokenizer.json']?.sha256
const tokenizerSkip =
  realTokenizer && sha256(realTokenizer) === lockedTokenizer
    ? false
    : `all-MiniLM-L6-v2's pinned tokenizer.json is not in packages/ml/models: run bash scripts/ci/real-models.sh`
if (tokenizerSkip && process.env.CI) throw new Error(tokenizerSkip)

describe('the pinned distilbert-sst2 classifier from a folder (dir:)', {
  skip: tokenizerSkip,
}, () => {
  let standIn: Buffer
  let model: PinnedModel

  before(async () => {
    standIn = await readFile(join(await modelDir('tiny-classifier'), 'model.onnx'))
    const real = (await readModelLock()).models[CLASSIFIER] as PinnedModel
    const onnx = real.files['model.onnx'] as PinnedFile
    model = {
      ...real,
      files: { ...real.files, 'model.onnx': { ...onnx, sha256: sha256(standIn) } },
    }
  })

  /** <root>/distilbert-sst2/model.onnx and <root>/all-MiniLM-L6-v2/tokenizer.json. */
  async function folder(
    change: Partial<Record<'model.onnx' | 'tokenizer.json', (b: Buffer) => Buffer>> = {},
  ) {
    const dir = await mkdtemp(join(root, 'classifier-src-'))
    const onnx = join(dir, CLASSIFIER, 'model.onnx')
    const tokenizer = join(dir, MINILM, 'tokenizer.json')
    await mkdir(join(dir, CLASSIFIER))
    await mkdir(join(dir, MINILM))
    await writeFile(onnx, change['model.onnx']?.(standIn) ?? standIn)
    const bytes = realTokenizer as Buffer
    await writeFile(tokenizer, change['tokenizer.json']?.(bytes) ?? bytes)
    return { root: dir, onnx, tokenizer }
  }

  it('takes the pinned files and serves the labels and the 512-token limit of the model card', async () => {
    const { root: source } = await folder()
    const dir = await target()
    assert.deepEqual(
      await obtainPinnedModel(CLASSIFIER, model, { kind: 'dir', root: source }, dir),
      [],
    )
    assert.equal(await isInstalled(dir, CLASSIFIER, model), true)
    assert.ok((await readFile(join(dir, 'tokenizer.json'))).equals(realTokenizer as Buffer))
    const files = await readModelFiles(dir)
    assert.deepEqual(files.labels, ['NEGATIVE', 'POSITIVE'])
    assert.equal(files.maxTokens, 512)
    assert.equal(files.hiddenSize, 768)
    assert.equal(files.padTokenId, 0)

    // The ids distilbert-base-uncased-finetuned-sst-2-english's own tokenizer gives (published
    // in Hugging Face's course, "Behind the pipeline", and in notebooks using this checkpoint).
    const tokenizer = TextTokenizer.fromFile(files.tokenizerPath, files.maxTokens)
    const published: [string, number[]][] = [
      [
        "I've been waiting for a HuggingFace course my whole life.",
        [
          101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012,
          102,
        ],
      ],
      ['I hate this so much!', [101, 1045, 5223, 2023, 2061, 2172, 999, 102]],
      [
        "I don't know how to do it!",
        [101, 1045, 2123, 1005, 1056, 2113, 2129, 2000, 2079, 2009, 999, 102],
      ],
      ['Today is not that bad', [101, 2651, 2003, 2025, 2008, 2919, 102]],
    ]
    for (const [text, ids] of published)
      assert.deepEqual((await tokenizer.encode(text)).ids, ids, text)
    const long = await tokenizer.encode('word '.repeat(600))
    assert.equal(long.ids.length, 512)
    assert.equal(long.ids.at(-1), 102)
    assert.equal(long.truncated, true)
  })

  it('refuses a model.onnx whose sha256 differs, naming the file, the hash and what to do', async () => {
    const { root: source, onnx } = await folder({ 'model.onnx': flipMiddleByte })
    const dir = await target()
    await assert.rejects(
      obtainPinnedModel(CLASSIFIER, model, { kind: 'dir', root: source }, dir),
      (error: Error) => {
        assert.ok(
          error.message.includes(`model.onnx (${onnx}): expected sha256 ${sha256(standIn)}, got `),
          error.message,
        )
        assert.ok(
          error.message.includes(
            `Put the pinned files there: ${onnx} (onnx/model.onnx of ${model.repo} at revision ${model.revision}, sha256 ${sha256(standIn)})`,
          ),
          error.message,
        )
        assert.doesNotMatch(error.message, /^ +tokenizer\.json/m, 'only model.onnx is wrong')
        return true
      },
    )
    assert.deepEqual(await readdir(join(dir, '..')), [], 'nothing is left behind')
  })

  it('refuses a truncated model.onnx (no pinned size: its sha256 does not match)', async () => {
    const { root: source, onnx } = await folder({
      'model.onnx': (b) => b.subarray(0, b.length >> 1),
    })
    await assert.rejects(
      obtainPinnedModel(CLASSIFIER, model, { kind: 'dir', root: source }, await target()),
      (error: Error) =>
        error.message.includes(`model.onnx (${onnx}): expected sha256 ${sha256(standIn)}, got `),
    )
  })

  it("refuses a truncated tokenizer.json, naming all-MiniLM-L6-v2's file, its hash and where it comes from", async () => {
    const bytes = realTokenizer as Buffer
    const { root: source, tokenizer } = await folder({
      'tokenizer.json': (b) => b.subarray(0, b.length - 1000),
    })
    const dir = await target()
    await assert.rejects(
      obtainPinnedModel(CLASSIFIER, model, { kind: 'dir', root: source }, dir),
      (error: Error) => {
        assert.ok(
          error.message.includes(
            `tokenizer.json (${tokenizer}): ${bytes.length - 1000} bytes, the pinned file (sha256 ${lockedTokenizer}) has ${bytes.length}`,
          ),
          error.message,
        )
        assert.match(error.message, /sentence-transformers\/all-MiniLM-L6-v2 at revision 1110a243f/)
        assert.match(
          error.message,
          /scripts\/ci\/real-models\.sh prepares all-MiniLM-L6-v2's files from PyPI/,
        )
        return true
      },
    )
    assert.deepEqual(await readdir(join(dir, '..')), [])
  })
})

function flipMiddleByte(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  copy.writeUInt8(copy.readUInt8(copy.length >> 1) ^ 1, copy.length >> 1)
  return copy
}
