import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  type GraphConfig,
  type GraphLink,
  type GraphRecord,
  neo4jGuardToken,
  openGraph,
  type Properties,
} from '@flotilla/data'
import {
  type BackupGraph,
  checkSnapshot,
  dumpNeo4j,
  graphConfigFor,
  NEO4J_FILE,
  readSnapshot,
  restoreNeo4j,
} from '@flotilla/data/neo4j/backup'
import { type Neo4jServer, startNeo4j } from '@flotilla/data/neo4j/test-server'
import { type App, loadRegistry } from '@flotilla/stack'
import {
  type LocalGuard,
  startLocalGuard as startNeo4jGuard,
} from '../../../services/neo4j-guard/src/local.js'
import { makeRepo } from '../../data/test/fixtures.js'
import { type AppStoreAccess, backupApp, restoreApp } from '../src/backup/app-backup.js'
import { localPgTools } from '../src/backup/compose-access.js'
import { BackupIntegrityError, MANIFEST_FILE, sha256File } from '../src/backup/manifest.js'
import { runCommand } from '../src/run.js'

/**
 * A recording stand-in for AppGraph's backup interface (GraphSnapshots), to see the order of
 * calls and failures before any write; the live suite below runs the same path on a real
 * Neo4j. It keeps exportAll's contract (nodes by id, links by from, type, to) but hands out
 * property maps in insertion order, as Neo4j gives no key order.
 */
class RecordingGraph implements BackupGraph {
  nodes = new Map<string, Properties>()
  links = new Map<string, GraphLink>()
  calls: string[] = []

  node(id: string, props: Properties) {
    this.nodes.set(id, props)
    return this
  }
  link(from: string, type: string, to: string, props: Properties = {}) {
    this.links.set(`${from}\u0000${type}\u0000${to}`, { kind: 'link', from, type, to, props })
    return this
  }
  async count() {
    this.calls.push('count')
    return this.nodes.size
  }
  async countLinks() {
    this.calls.push('countLinks')
    return this.links.size
  }
  async *exportAll(): AsyncGenerator<GraphRecord> {
    this.calls.push('exportAll')
    for (const id of [...this.nodes.keys()].sort())
      yield { kind: 'node', id, props: { ...this.nodes.get(id) } }
    for (const key of [...this.links.keys()].sort()) yield { ...(this.links.get(key) as GraphLink) }
  }
  async importAll(records: Iterable<GraphRecord> | AsyncIterable<GraphRecord>) {
    this.calls.push('importAll')
    const counts = { nodes: 0, links: 0 }
    for await (const r of records) {
      if (r.kind === 'node') {
        this.node(r.id, r.props)
        counts.nodes++
      } else {
        if (!this.nodes.has(r.from) || !this.nodes.has(r.to))
          throw new Error('neo4j: importAll: a link names a missing node')
        this.link(r.from, r.type, r.to, r.props)
        counts.links++
      }
    }
    return counts
  }
  async clear() {
    this.calls.push('clear')
    const n = this.nodes.size
    this.nodes.clear()
    this.links.clear()
    return n
  }
  async close() {
    this.calls.push('close')
  }
}

/** The same graph, written in two different orders with differently ordered keys. */
const sample = () =>
  new RecordingGraph()
    .node('b', { title: 'Bee', score: 1.5 })
    .node('a', { tags: ['x', 'y'], title: 'Ay' })
    .node('c', {})
    .link('b', 'CITES', 'a', { weight: 2, at: 'now' })
    .link('a', 'CITES', 'c')
    .link('a', 'BLOCKS', 'b')
const sampleReordered = () =>
  new RecordingGraph()
    .node('c', {})
    .node('a', { title: 'Ay', tags: ['x', 'y'] })
    .node('b', { score: 1.5, title: 'Bee' })
    .link('a', 'BLOCKS', 'b')
    .link('a', 'CITES', 'c')
    .link('b', 'CITES', 'a', { at: 'now', weight: 2 })

const EXPECTED_LINES = [
  '{"kind":"node","id":"a","props":{"tags":["x","y"],"title":"Ay"}}',
  '{"kind":"node","id":"b","props":{"score":1.5,"title":"Bee"}}',
  '{"kind":"node","id":"c","props":{}}',
  '{"kind":"link","from":"a","type":"BLOCKS","to":"b","props":{}}',
  '{"kind":"link","from":"a","type":"CITES","to":"c","props":{}}',
  '{"kind":"link","from":"b","type":"CITES","to":"a","props":{"at":"now","weight":2}}',
]

const APP = 'gr_app'
let dir = ''
let app: App
const env = {
  NEO4J_URL: 'http://neo4j-guard.invalid:7475',
  NEO4J_TOKEN: `${APP}.unused-by-the-stand-in`,
  NEO4J_LABEL: `App_${APP}`,
}

const enterpriseEnv = {
  NEO4J_URL: 'bolt://neo4j.invalid:7687',
  NEO4J_USER: 'App_gr_app',
  NEO4J_PASSWORD: 'unused-by-the-stand-in',
  NEO4J_LABEL: 'App_gr_app',
  NEO4J_DATABASE: 'app-gr-app',
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-neo4j-backup-'))
  const root = await makeRepo([{ name: APP, stores: { neo4j: true } }], join(dir, 'repo'))
  app = (await loadRegistry(root)).apps[0] as App
})
after(() => rm(dir, { recursive: true, force: true }))

describe('neo4j.jsonl', () => {
  test('one line per node then link, sorted, keys sorted; returns the counts', async () => {
    const file = join(dir, 'one.jsonl')
    assert.deepEqual(await dumpNeo4j(sample(), file), { nodes: 3, links: 3 })
    assert.equal(await readFile(file, 'utf8'), `${EXPECTED_LINES.join('\n')}\n`)
  })

  test('equal data gives equal files', async () => {
    await dumpNeo4j(sample(), join(dir, 'x.jsonl'))
    await dumpNeo4j(sampleReordered(), join(dir, 'y.jsonl'))
    assert.deepEqual(await readFile(join(dir, 'x.jsonl')), await readFile(join(dir, 'y.jsonl')))
  })

  test('a bad line is refused with its number, before anything is cleared', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['{"kind":"node","id":"a","props":{}}', 'not json'], /line 2: Unexpected token/],
      [['{"kind":"edge"}'], /line 1: kind must be "node" or "link", got "edge"/],
      [['{"kind":"node","id":"","props":{}}'], /line 1: neo4j: node id/],
      [['{"kind":"node","id":"a","props":{"id":"b"}}'], /line 1: .*"id" is the node's key/],
      [['{"kind":"link","from":"a","type":"x y","to":"b","props":{}}'], /relationship type/],
      [[EXPECTED_LINES[3] as string, EXPECTED_LINES[0] as string], /line 2: a node after/],
    ]
    for (const [lines, error] of cases) {
      const file = join(dir, 'bad.jsonl')
      await writeFile(file, `${lines.join('\n')}\n`)
      await assert.rejects(checkSnapshot(file), error)
    }
  })

  test('restore: clear, import, then the counts must be what the file holds', async () => {
    const file = join(dir, 'restore.jsonl')
    await dumpNeo4j(sample(), file)
    const graph = new RecordingGraph().node('stale', { gone: true })
    const expected = await checkSnapshot(file)
    assert.deepEqual(await restoreNeo4j(graph, file, expected), { nodes: 3, links: 3 })
    assert.deepEqual(graph.calls, ['clear', 'importAll', 'count', 'countLinks'])
    assert.ok(!graph.nodes.has('stale'))
    await dumpNeo4j(graph, join(dir, 'again.jsonl'))
    assert.deepEqual(await readFile(join(dir, 'again.jsonl')), await readFile(file))

    // A node twice in the file: the graph ends up with fewer than the file counts.
    const dup = join(dir, 'dup.jsonl')
    await writeFile(dup, `${EXPECTED_LINES[0]}\n${EXPECTED_LINES[0]}\n`)
    await assert.rejects(
      restoreNeo4j(new RecordingGraph(), dup, await checkSnapshot(dup)),
      /restored graph holds 1 node\(s\) and 0 link\(s\), neo4j.jsonl 2 and 0/,
    )
  })

  test('records read back are the records written', async () => {
    const file = join(dir, 'read.jsonl')
    await dumpNeo4j(sample(), file)
    const records: GraphRecord[] = []
    for await (const record of readSnapshot(file)) records.push(record)
    assert.deepEqual(records[0], {
      kind: 'node',
      id: 'a',
      props: { tags: ['x', 'y'], title: 'Ay' },
    })
    assert.deepEqual(records[5], {
      kind: 'link',
      from: 'b',
      type: 'CITES',
      to: 'a',
      props: { at: 'now', weight: 2 },
    })
  })
})

describe('graphConfigFor: the label and database come from resourcesFor', () => {
  test('community (through neo4j-guard, with the app’s token) and enterprise', () => {
    assert.deepEqual(graphConfigFor(app, env), {
      url: env.NEO4J_URL,
      token: env.NEO4J_TOKEN,
      label: 'App_gr_app',
    })
    const enterprise = graphConfigFor(app, enterpriseEnv)
    assert.equal('mode' in enterprise && enterprise.mode, 'enterprise')
    assert.equal('database' in enterprise && enterprise.database, 'app-gr-app')
  })

  test('credentials naming another app’s label or database, or none, are refused', () => {
    assert.throws(
      () => graphConfigFor(app, { ...env, NEO4J_LABEL: 'App_other' }),
      /credentials name label "App_other", but gr_app's is "App_gr_app"/,
    )
    assert.throws(
      () => graphConfigFor(app, { ...enterpriseEnv, NEO4J_DATABASE: 'app-other' }),
      /database "app-other", but gr_app's is "app-gr-app"/,
    )
    assert.throws(() => graphConfigFor(app, { ...env, NEO4J_URL: '' }), /NEO4J_URL is missing/)
    assert.throws(
      () => graphConfigFor(app, { ...env, NEO4J_LABEL: undefined }),
      /NEO4J_LABEL is required/,
    )
  })
})

describe('backupApp / restoreApp with the neo4j store (recording stand-in graph)', () => {
  const graph = sample()
  const opened: GraphConfig[] = []
  const access = (): AppStoreAccess => ({
    app,
    env,
    pgTools: localPgTools(runCommand),
    openGraph: (config) => {
      opened.push(config)
      return graph
    },
  })
  let backup = ''

  test('writes neo4j.jsonl with its checksum and the node/link counts', async () => {
    const lines: string[] = []
    const result = await backupApp(access(), join(dir, 'backups'), (l) => lines.push(l))
    backup = result.dir
    assert.deepEqual(Object.keys(result.manifest.files), [NEO4J_FILE])
    assert.equal(result.manifest.files[NEO4J_FILE], await sha256File(join(backup, NEO4J_FILE)))
    assert.deepEqual(result.manifest.counts, { neo4j: { nodes: 3, links: 3 } })
    assert.equal(await readFile(join(backup, NEO4J_FILE), 'utf8'), `${EXPECTED_LINES.join('\n')}\n`)
    assert.ok(lines.some((l) => l.includes('neo4j: 3 node(s), 3 link(s) → neo4j.jsonl')))
    assert.ok(opened.every((c) => c.label === 'App_gr_app' && 'token' in c))
    assert.equal(
      graph.calls.filter((c) => c === 'close').length,
      opened.length,
      'every graph it opened is closed',
    )
  })

  test('restore: verify, clear, import, counts equal the manifest', async () => {
    graph.node('added-later', { x: 1 }).node('a', { title: 'changed' })
    graph.nodes.delete('c')
    graph.calls.length = 0
    await restoreApp(access(), backup)
    assert.deepEqual(
      graph.calls.filter((c) => c !== 'close'),
      ['clear', 'importAll', 'count', 'countLinks', 'count', 'countLinks'],
    )
    await dumpNeo4j(graph, join(dir, 'after-restore.jsonl'))
    assert.deepEqual(
      await readFile(join(dir, 'after-restore.jsonl')),
      await readFile(join(backup, NEO4J_FILE)),
    )
  })

  test('a corrupted or malformed neo4j.jsonl is refused with the graph untouched', async () => {
    const file = join(backup, NEO4J_FILE)
    const original = await readFile(file)
    graph.calls.length = 0
    await appendFile(file, '{"kind":"node","id":"evil","props":{}}\n')
    await assert.rejects(restoreApp(access(), backup), BackupIntegrityError)

    // Checksum made to match: the line check still refuses it before the graph is cleared.
    await writeFile(file, Buffer.concat([original, Buffer.from('{"kind":"nope"}\n')]))
    const manifest = JSON.parse(await readFile(join(backup, MANIFEST_FILE), 'utf8'))
    manifest.files[NEO4J_FILE] = await sha256File(file)
    await writeFile(join(backup, MANIFEST_FILE), JSON.stringify(manifest))
    await assert.rejects(restoreApp(access(), backup), /neo4j.jsonl line 7: kind must be/)
    assert.deepEqual(graph.calls, [], 'nothing was opened, cleared or imported')
    assert.ok(graph.nodes.has('a'))
  })

  test('without NEO4J_URL the store is skipped and said so', async () => {
    const lines: string[] = []
    const { manifest } = await backupApp(
      { ...access(), env: { ...env, NEO4J_URL: undefined } },
      join(dir, 'backups-skip'),
      (l) => lines.push(l),
    )
    assert.deepEqual(manifest.files, {})
    assert.deepEqual(manifest.counts, {})
    assert.deepEqual(lines, ['    neo4j: skipped (no NEO4J_URL in the credentials)'])
  })
})

describe('live: backup → mutate → restore through AppGraph on a real Neo4j, via neo4j-guard', () => {
  const secret = randomBytes(24).toString('hex')
  let server: Neo4jServer
  let guard: LocalGuard

  before(async () => {
    server = await startNeo4j()
    guard = await startNeo4jGuard({
      boltUrl: server.url,
      user: server.user,
      password: server.password,
      secret,
    })
  })
  after(async () => {
    await guard?.close()
    await server?.stop()
  })

  test('the restored graph exports byte-identical to the backup', async () => {
    const name = `bklive${randomBytes(3).toString('hex')}`
    const root = await makeRepo([{ name, stores: { neo4j: true } }], join(dir, name))
    const liveApp = (await loadRegistry(root)).apps[0] as App
    const liveEnv = {
      NEO4J_URL: guard.url,
      NEO4J_TOKEN: await neo4jGuardToken(secret, name, `App_${name}`),
      NEO4J_LABEL: `App_${name}`,
    }
    const graph = openGraph(graphConfigFor(liveApp, liveEnv))
    try {
      for (let i = 0; i < 25; i++) await graph.upsertNode(`n${i}`, { i, tags: ['t', `${i}`] })
      for (let i = 1; i < 25; i++) await graph.link(`n${i - 1}`, `n${i}`, 'NEXT', { i })
      const access: AppStoreAccess = {
        app: liveApp,
        env: liveEnv,
        pgTools: localPgTools(runCommand),
      }
      const { dir: backup, manifest } = await backupApp(access, join(dir, 'live-backups'))
      assert.deepEqual(manifest.counts.neo4j, { nodes: 25, links: 24 })
      await graph.deleteNode('n3')
      await graph.upsertNode('extra', { x: 1 })
      assert.equal(await graph.count(), 25, 'the graph changed after the backup')
      await restoreApp(access, backup)
      assert.equal(await graph.count(), 25)
      assert.equal(await graph.getNode('extra'), undefined, 'a node added after the backup is gone')
      assert.deepEqual(await graph.getNode('n3'), { id: 'n3', i: 3, tags: ['t', '3'] })
      await dumpNeo4j(graph, join(dir, 'live-after.jsonl'))
      assert.deepEqual(
        await readFile(join(dir, 'live-after.jsonl')),
        await readFile(join(backup, NEO4J_FILE)),
      )
    } finally {
      await graph.clear()
      await graph.close()
    }
  })
})
