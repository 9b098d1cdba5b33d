import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { mintQdrantToken } from '@flotilla/data/qdrant'
import { countPoints, restoreCollection, snapshotCollection } from '@flotilla/data/qdrant/backup'
import { qdrantRefusal } from '../../data/test/qdrant-recorder.js'

// Qdrant's documented snapshot API (https://qdrant.tech/documentation/concepts/snapshots/),
// served by a stand-in that records every request and checks each key the way Qdrant 1.15.5
// does (qdrantRefusal: JWT signature, exp, access): no Qdrant image on this machine. The
// live round trip runs against a real server in the stack e2e when QDRANT_URL is set.
const SERVER_KEY = 'server-api-key'
const requests: string[] = []
let uploaded = Buffer.alloc(0)
const SNAPSHOT = Buffer.from('qdrant snapshot bytes \u0000\u0001')
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', async () => {
    const key = req.headers['api-key']
    const who = key === SERVER_KEY ? 'server-key' : key === appToken ? 'app-jwt' : 'other'
    const path = new URL(req.url ?? '/', 'http://qdrant').pathname
    const refused = await qdrantRefusal(SERVER_KEY, req.method ?? '', path, req.headers)
    requests.push(`${req.method} ${req.url} key=${who} ${refused?.status ?? 200}`)
    if (refused) {
      res.statusCode = refused.status
      return res.end(refused.message)
    }
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
let appToken = ''
before(async () => {
  appToken = await mintQdrantToken(SERVER_KEY, ['app__docs'])
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dir = await mkdtemp(join(tmpdir(), 'flotilla-qdrant-'))
})
after(async () => {
  server.close()
  await rm(dir, { recursive: true, force: true })
})

test('snapshot: create, download, delete on the server, with the app’s JWT', async () => {
  await snapshotCollection({ url, apiKey: appToken }, 'app__docs', join(dir, 's'))
  assert.deepEqual(await readFile(join(dir, 's')), SNAPSHOT)
  assert.deepEqual(requests.splice(0), [
    'POST /collections/app__docs/snapshots?wait=true key=app-jwt 200',
    'GET /collections/app__docs/snapshots/app__docs-1.snapshot key=app-jwt 200',
    'DELETE /collections/app__docs/snapshots/app__docs-1.snapshot key=app-jwt 200',
  ])
  assert.equal(await countPoints({ url, apiKey: appToken }, 'app__docs'), 42)
  requests.length = 0
})

test('restore uploads the snapshot as multipart "snapshot" with priority=snapshot, with the server key', async () => {
  await restoreCollection({ url, apiKey: SERVER_KEY }, 'app__docs', join(dir, 's'))
  assert.deepEqual(requests.splice(0), [
    'POST /collections/app__docs/snapshots/upload?priority=snapshot&wait=true key=server-key 200',
  ])
  assert.match(uploaded.toString('latin1'), /name="snapshot"; filename="app__docs.snapshot"/)
  assert.ok(uploaded.includes(SNAPSHOT))
})

test('the app’s JWT cannot upload a snapshot: that needs global manage access', async () => {
  uploaded = Buffer.alloc(0)
  await assert.rejects(
    restoreCollection({ url, apiKey: appToken }, 'app__docs', join(dir, 's')),
    /HTTP 403 Manage access for this operation is required/,
  )
  assert.equal(uploaded.length, 0)
})

test('an expired app token, or another app’s, is refused and the error says how to renew', async () => {
  const expired = await mintQdrantToken(SERVER_KEY, ['app__docs'], {
    lifetimeSeconds: 60,
    now: Date.now() - 3_600_000,
  })
  await assert.rejects(
    snapshotCollection({ url, apiKey: expired }, 'app__docs', join(dir, 'x')),
    /HTTP 403 .*renewed by scripts\/provision/,
  )
  const other = await mintQdrantToken(SERVER_KEY, ['other__docs'])
  await assert.rejects(
    countPoints({ url, apiKey: other }, 'app__docs'),
    /HTTP 403 Access to collection app__docs is required/,
  )
  requests.length = 0
})

test('an HTTP error names the call', async () => {
  await assert.rejects(
    snapshotCollection({ url, apiKey: SERVER_KEY }, 'missing', join(dir, 'x')),
    /qdrant POST \/collections\/missing\/snapshots\?wait=true: HTTP 404/,
  )
})
