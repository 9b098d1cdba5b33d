import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  isInstalled,
  obtainPinnedModel,
  type PinnedModel,
  readModelLock,
  writeNewPins,
} from '../src/fetch-models.js'
import { modelDir } from './fixtures.js'

const REVISION = 'c'.repeat(40)
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

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'flotilla-fetch-'))
  const source = await modelDir('tiny-classifier')
  originals = {}
  for (const file of Object.keys(FILES)) originals[file] = await readFile(join(source, file))
  server = createServer((request, response) => {
    const entry = Object.entries(FILES).find(
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
    const size = (originals['tokenizer.json'] as Buffer).length
    await assert.rejects(
      obtainPinnedModel('m', pinned(), hub(), await target()),
      new RegExp(`tokenizer\\.json \\(.*\\): ${size - 10} bytes, the pinned file has ${size}`),
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
          `Put the files of org/model at revision ${REVISION} into ${join(bad, 'm')}/`,
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
          `config.json (config.json, sha256 ${model.files['config.json']?.sha256})`,
        ),
    )
  })
})

it('pins the real models by commit and by sha256 wherever a trusted hash is known', async () => {
  const { models } = await readModelLock()
  const minilm = models['all-MiniLM-L6-v2'] as PinnedModel
  assert.equal(minilm.role, 'embedding')
  assert.deepEqual(Object.keys(minilm.files).sort(), [
    'config.json',
    'model.safetensors',
    'tokenizer.json',
  ])
  for (const pin of Object.values(minilm.files)) {
    assert.match(pin.sha256 ?? '', /^[0-9a-f]{64}$/)
    assert.ok(Number.isInteger(pin.size))
  }
  assert.equal(models['distilbert-sst2']?.files['model.onnx']?.sha256?.length, 64)
})
