import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { countPoints, restoreCollection, snapshotCollection } from '../src/backup/qdrant.js'

// Qdrant's documented snapshot API (https://qdrant.tech/documentation/concepts/snapshots/),
// served by a stand-in that records every request: no Qdrant image on this machine. The
// live round trip runs against a real server in the stack e2e when QDRANT_URL is set.
const requests: string[] = []
let uploaded = Buffer.alloc(0)
const SNAPSHOT = Buffer.from('qdrant snapshot bytes \u0000\u0001')
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    requests.push(`${req.method} ${req.url} key=${req.headers['api-key']}`)
    const json = (body: unknown) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify(body))
    if (req.method === 'POST' && req.url === '/collections/app__docs/snapshots?wait=true') {
      return json({ result: { name: 'app__docs-1.snapshot', size: SNAPSHOT.length }, status: 'ok' })
    }
    if (req.method === 'GET' && req.url === '/collections/app__docs/snapshots/app__docs-1.snapshot')
      return res.end(SNAPSHOT)
    if (req.method === 'DELETE' && req.url?.startsWith('/collections/app__docs/snapshots/'))
      return json({ result: true })
    if (
      req.method === 'POST' &&
      req.url === '/collections/app__docs/snapshots/upload?priority=snapshot&wait=true'
    ) {
      uploaded = Buffer.concat(chunks)
      return json({ result: true, status: 'ok' })
    }
    if (req.method === 'POST' && req.url === '/collections/app__docs/points/count')
      return json({ result: { count: 42 } })
    res.statusCode = 404
    res.end('{"status":{"error":"Not found"}}')
  })
})
let url = ''
let dir = ''
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dir = await mkdtemp(join(tmpdir(), 'flotilla-qdrant-'))
})
after(async () => {
  server.close()
  await rm(dir, { recursive: true, force: true })
})

test('snapshot: create, download, delete on the server, with the app key', async () => {
  await snapshotCollection({ url, apiKey: 'app-jwt' }, 'app__docs', join(dir, 's'))
  assert.deepEqual(await readFile(join(dir, 's')), SNAPSHOT)
  assert.deepEqual(requests.splice(0), [
    'POST /collections/app__docs/snapshots?wait=true key=app-jwt',
    'GET /collections/app__docs/snapshots/app__docs-1.snapshot key=app-jwt',
    'DELETE /collections/app__docs/snapshots/app__docs-1.snapshot key=app-jwt',
  ])
})

test('restore uploads the snapshot as multipart "snapshot" with priority=snapshot', async () => {
  await restoreCollection({ url, apiKey: 'server-key' }, 'app__docs', join(dir, 's'))
  assert.deepEqual(requests.splice(0), [
    'POST /collections/app__docs/snapshots/upload?priority=snapshot&wait=true key=server-key',
  ])
  assert.match(uploaded.toString('latin1'), /name="snapshot"; filename="app__docs.snapshot"/)
  assert.ok(uploaded.includes(SNAPSHOT))
  assert.equal(await countPoints({ url, apiKey: 'k' }, 'app__docs'), 42)
})

test('an HTTP error names the call', async () => {
  await assert.rejects(
    snapshotCollection({ url, apiKey: 'k' }, 'other', join(dir, 'x')),
    /qdrant POST \/collections\/other\/snapshots\?wait=true: HTTP 404/,
  )
})
