import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import neo4j, { type Integer } from 'neo4j-driver'
import {
  type CypherQuery,
  DEFAULT_BATCH,
  escapeIdentifier,
  GraphInputError,
  type GraphLink,
  graphQueries,
  type LinkCursor,
  labelOfApp,
  MAX_BATCH,
  openGraph,
  type Properties,
  validateLabel,
} from '../../src/neo4j/index.js'
import { constraintStatement } from '../../src/neo4j/provision.js'
import {
  clearGraph,
  cypherSnapshots,
  exportGraph,
  importGraph,
  type RunQuery,
} from '../../src/neo4j/snapshot.js'
import { targetFor } from '../qdrant-recorder.js'

const label = targetFor('kb', undefined, true).resources.neo4j?.label ?? ''
const L = `:\`${label}\``
const q = graphQueries(label)
const EVIL = "x'}) MATCH (m) DETACH DELETE m //"

const every: Array<[string, CypherQuery]> = [
  ['upsertNode', q.upsertNode('n1', { title: 'T', tags: ['a', 'b'], score: 1.5, gone: null })],
  ['getNode', q.getNode('n1')],
  ['deleteNode', q.deleteNode('n1')],
  ['link', q.link('n1', 'n2', 'LINKS_TO', { weight: 2 })],
  ['unlink', q.unlink('n1', 'n2', 'LINKS_TO')],
  ['neighbours', q.neighbours('n1')],
  [
    'neighbours typed, deep, inbound',
    q.neighbours('n1', { type: 'LINKS_TO', depth: 3, direction: 'in', limit: 5 }),
  ],
  ['neighbours outbound', q.neighbours('n1', { direction: 'out' })],
  ['count', q.count()],
  ['countLinks', q.countLinks()],
  ['exportNodes first page', q.exportNodes('', 100)],
  ['exportNodes next page', q.exportNodes('n1')],
  ['exportLinks', q.exportLinks({ from: 'n1', type: 'LINKS_TO', to: 'n2' }, 50)],
  ['importNodes', q.importNodes([{ id: 'n1', props: { title: 'T' } }])],
  ['importLinks', q.importLinks('LINKS_TO', [{ from: 'n1', to: 'n2', props: { weight: 2 } }])],
  ['clearBatch', q.clearBatch(500)],
]

/** Node patterns `(var:Labels {…})`, not function calls like count(n) or nodes(p). */
function nodePatterns(text: string): Array<{ variable: string; labels: string }> {
  const found = []
  for (const m of text.matchAll(
    /(?<![A-Za-z0-9_])\((\w+)((?::`(?:[^`]|``)*`)*)\s*(?:\{[^}]*\})?\)/g,
  )) {
    found.push({ variable: m[1] ?? '', labels: m[2] ?? '' })
  }
  return found
}

describe('graphQueries (community isolation is these statements)', () => {
  test('the label comes from resourcesFor', () => {
    assert.equal(label, 'App_kb')
  })

  for (const [name, query] of every) {
    test(`${name}: every node pattern that binds a node carries the app label`, () => {
      const patterns = nodePatterns(query.text)
      assert.ok(patterns.length > 0, query.text)
      const bound = new Set<string>()
      for (const { variable, labels } of patterns) {
        if (!bound.has(variable)) assert.equal(labels, L, `(${variable}) in: ${query.text}`)
        else assert.ok(labels === '' || labels === L, `(${variable}) re-labelled in: ${query.text}`)
        bound.add(variable)
      }
    })
  }

  test('variable-length paths require the label on every node along the path', () => {
    for (const [, query] of every.filter(([n]) => n.startsWith('neighbours'))) {
      assert.match(
        query.text,
        new RegExp(`all\\(x IN nodes\\(p\\) WHERE x${L.replace(/[`]/g, '`')}\\)`),
      )
    }
  })

  test('exact statements', () => {
    assert.equal(
      q.link('a', 'b', 'CITES').text,
      'MATCH (a:`App_kb` {id: $from}) MATCH (b:`App_kb` {id: $to}) MERGE (a)-[r:`CITES`]->(b) SET r += $props RETURN count(r) AS linked',
    )
    assert.equal(
      q.neighbours('a', { type: 'CITES', depth: 2 }).text,
      'MATCH p = (a:`App_kb` {id: $id})-[:`CITES`*1..2]-(b:`App_kb`) WHERE b <> a AND all(x IN nodes(p) WHERE x:`App_kb`) ' +
        'RETURN DISTINCT properties(b) AS node ORDER BY node.id LIMIT $limit',
    )
    assert.equal(q.count().text, 'MATCH (n:`App_kb`) RETURN count(n) AS count')
    assert.equal(
      q.countLinks().text,
      'MATCH (a:`App_kb`)-[r]->(b:`App_kb`) RETURN count(r) AS count',
    )
    assert.equal(
      q.exportNodes('').text,
      'MATCH (n:`App_kb`) WHERE n.id > $after RETURN n.id AS id, properties(n) AS props ORDER BY n.id LIMIT $limit',
    )
    assert.equal(
      q.exportLinks({ from: '', type: '', to: '' }).text,
      'MATCH (a:`App_kb`)-[r]->(b:`App_kb`) WHERE a.id >= $from ' +
        'AND (a.id > $from OR type(r) > $type OR (type(r) = $type AND b.id > $to)) ' +
        'RETURN a.id AS source, type(r) AS relType, b.id AS target, properties(r) AS props ' +
        'ORDER BY source, relType, target LIMIT $limit',
    )
    assert.equal(
      q.importNodes([{ id: 'a', props: {} }]).text,
      'UNWIND $rows AS row MERGE (n:`App_kb` {id: row.id}) SET n = row.props RETURN count(n) AS imported',
    )
    assert.equal(
      q.importLinks('CITES', [{ from: 'a', to: 'b', props: {} }]).text,
      'UNWIND $rows AS row MATCH (a:`App_kb` {id: row.from}) MATCH (b:`App_kb` {id: row.to}) ' +
        'MERGE (a)-[r:`CITES`]->(b) SET r = row.props RETURN count(r) AS linked',
    )
    assert.equal(
      q.clearBatch().text,
      'MATCH (n:`App_kb`) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted',
    )
  })

  test('export, import and clear carry their values and sizes as parameters', () => {
    assert.deepEqual(q.exportNodes('n1', 7).params, { after: 'n1', limit: neo4j.int(7) })
    assert.deepEqual(q.exportLinks({ from: 'a', type: 'T', to: 'b' }).params, {
      from: 'a',
      type: 'T',
      to: 'b',
      limit: neo4j.int(DEFAULT_BATCH),
    })
    assert.deepEqual(q.clearBatch(3).params, { limit: neo4j.int(3) })
    assert.deepEqual(q.importNodes([{ id: 'n1', props: { title: 'T' } }]).params, {
      rows: [{ id: 'n1', props: { title: 'T', id: 'n1' } }],
    })
  })

  test('values are always parameters, never text', () => {
    const queries = [
      q.upsertNode(EVIL, { note: EVIL, list: [EVIL] }),
      q.getNode(EVIL),
      q.deleteNode(EVIL),
      q.link(EVIL, EVIL, 'T', { note: EVIL }),
      q.unlink(EVIL, EVIL, 'T'),
      q.neighbours(EVIL),
      q.exportNodes(EVIL),
      q.exportLinks({ from: EVIL, type: EVIL, to: EVIL }),
      q.importNodes([{ id: EVIL, props: { note: EVIL } }]),
      q.importLinks('T', [{ from: EVIL, to: EVIL, props: { note: EVIL } }]),
    ]
    for (const query of queries) {
      assert.ok(!query.text.includes('DETACH DELETE m'), query.text)
      assert.ok(JSON.stringify(query.params).includes('DETACH DELETE m'))
    }
    assert.deepEqual(q.upsertNode(EVIL, { note: EVIL }).params, { id: EVIL, props: { note: EVIL } })
  })

  test('a name stays one quoted identifier', () => {
    assert.equal(escapeIdentifier('a`b'), '`a``b`')
    const hostile = escapeIdentifier('App_a` {id: 1}) MATCH (m) DETACH DELETE m //')
    assert.equal(`MATCH (n:${hostile})`.replace(/`(?:[^`]|``)*`/g, 'ID'), 'MATCH (n:ID)')
    assert.throws(() => escapeIdentifier(''), GraphInputError)
  })

  test('escapeIdentifier refuses backslashes: Neo4j reads \\u0060 as a backtick before parsing', () => {
    for (const name of ['App_a\\u0060) MATCH (m) DETACH DELETE m //', 'a\\b', '\\', 'x\\u005C']) {
      assert.throws(() => escapeIdentifier(name), /cannot contain a backslash/, name)
    }
    assert.throws(() => escapeIdentifier('a\u0000b'), /NUL/)
  })

  test('a label must be an app label wherever it enters', () => {
    const bad = [
      'App_a` {id: 1}) MATCH (m) DETACH DELETE m //',
      'App_a\\u0060',
      'App_a\\',
      'app_a',
      'App_',
      'App_A',
      'App_1a',
      'Other',
      'App_a-b',
      'App_a b',
      '',
      'App_a\u0000',
      'App_a\n',
    ]
    for (const label of bad) {
      assert.throws(() => graphQueries(label), GraphInputError, JSON.stringify(label))
      assert.throws(() => constraintStatement(label), GraphInputError, JSON.stringify(label))
      assert.throws(
        () => openGraph({ url: 'http://127.0.0.1:1', token: 't', label }),
        GraphInputError,
        JSON.stringify(label),
      )
      assert.throws(
        () => openGraph({ url: 'bolt://127.0.0.1:1', user: 'u', password: 'p', label }),
        GraphInputError,
        JSON.stringify(label),
      )
    }
    assert.throws(() => graphQueries(42 as never), GraphInputError)
    for (const label of ['App_kb', 'App_my_notes', 'App_a1_b2']) {
      assert.equal(validateLabel(label), label)
      assert.match(graphQueries(label).count().text, new RegExp(`:\`${label}\``))
    }
  })

  test('the guard takes the label from the app name by the rule of resourcesFor', () => {
    assert.equal(labelOfApp('kb'), label)
    assert.equal(labelOfApp('my_notes'), 'App_my_notes')
    assert.throws(() => labelOfApp('Kb'), GraphInputError)
    assert.throws(() => labelOfApp('kb`'), GraphInputError)
  })

  test('bad relationship types are refused', () => {
    for (const type of ['knows', 'KNOWS]->(x) DELETE x //', 'A-B', '', 'X'.repeat(65), '1ABC']) {
      assert.throws(() => q.link('a', 'b', type), /relationship type/, type)
      assert.throws(() => q.neighbours('a', { type }), /relationship type/, type)
      assert.throws(() => q.importLinks(type, [{ from: 'a', to: 'b', props: {} }]), /type/, type)
    }
  })

  test('bad property keys and values are refused', () => {
    assert.throws(() => q.upsertNode('a', { 'a b': 1 }), /property key "a b"/)
    assert.throws(() => q.upsertNode('a', { '`x': 1 }), /property key/)
    assert.throws(() => q.upsertNode('a', { id: 'other' }), /"id" is the node's key/)
    assert.throws(() => q.upsertNode('a', { nested: { x: 1 } } as never), /property "nested"/)
    assert.throws(() => q.upsertNode('a', { mixed: [1, 'a'] } as never), /property "mixed"/)
    assert.throws(() => q.upsertNode('a', { n: Number.NaN }), /property "n"/)
    assert.throws(() => q.link('a', 'b', 'T', { w: Number.POSITIVE_INFINITY }), /property "w"/)
    assert.throws(() => q.upsertNode('a', [] as never), /must be an object/)
    assert.throws(() => q.upsertNode('a', new Map() as never), /plain object/)
    assert.throws(
      () => q.importNodes([{ id: 'a', props: { id: 'b' } }]),
      /"id" is the node's key/,
      'an import cannot give a node a second id',
    )
    assert.throws(() => q.importNodes([{ id: 'a', props: { x: { y: 1 } } as never }]), /"x"/)
    assert.throws(() => q.importLinks('T', [{ from: 'a', to: 'b', props: [] as never }]), /object/)
  })

  test('bad ids, depths, limits and directions are refused', () => {
    assert.throws(() => q.getNode(''), /node id/)
    assert.throws(() => q.getNode(42 as never), /node id/)
    for (const depth of [0, 6, 1.5]) assert.throws(() => q.neighbours('a', { depth }), /depth/)
    for (const limit of [0, 1001]) assert.throws(() => q.neighbours('a', { limit }), /limit/)
    assert.throws(() => q.neighbours('a', { direction: 'up' as never }), /direction/)
    for (const size of [0, MAX_BATCH + 1, 2.5]) {
      assert.throws(() => q.exportNodes('', size), /page size must be an integer 1-10000/)
      assert.throws(() => q.exportLinks({ from: '', type: '', to: '' }, size), /page size/)
      assert.throws(() => q.clearBatch(size), /batch size must be an integer 1-10000/)
    }
    assert.throws(() => q.importNodes([]), /an import batch must be an integer 1-10000, got 0/)
    assert.throws(() => q.importLinks('T', []), /an import batch/)
    assert.throws(() => q.importNodes([{ id: '', props: {} }]), /node id/)
    assert.throws(() => q.importLinks('T', [{ from: 'a', to: 7 as never, props: {} }]), /node id/)
    assert.throws(() => q.exportNodes(null as never), /export cursor must be a string/)
  })
})

/**
 * The paging and batching loops behind exportAll, importAll and clear, run against a
 * stand-in that answers the statements above with the semantics they state (no Neo4j
 * server runs on this machine; neo4j-live.test.ts runs the same loops on a real one).
 */
interface StandInParams {
  after: string
  from: string
  type: string
  to: string
  limit?: Integer
  rows: unknown[]
}

function standInGraph() {
  const nodes = new Map<string, Properties>()
  const links = new Map<string, GraphLink>()
  const calls: CypherQuery[] = []
  const linkKey = (l: LinkCursor) => [l.from, l.type, l.to]
  /** Tuple order, as ORDER BY source, relType, target sorts. */
  const compare = (a: string[], b: string[]) => {
    const i = a.findIndex((x, k) => x !== b[k])
    return i < 0 ? 0 : (a[i] as string) < (b[i] as string) ? -1 : 1
  }
  const row = (values: Record<string, unknown>) => ({ get: (key: string) => values[key] })
  const run: RunQuery = async (query) => {
    calls.push(query)
    const p = query.params as unknown as StandInParams
    const limit = p.limit?.toNumber() ?? 0
    if (query.text === q.exportNodes('').text) {
      return [...nodes.keys()]
        .filter((id) => id > p.after)
        .sort()
        .slice(0, limit)
        .map((id) => row({ id, props: nodes.get(id) }))
    }
    if (query.text === q.exportLinks({ from: '', type: '', to: '' }).text) {
      return [...links.values()]
        .filter((l) => compare(linkKey(l), [p.from, p.type, p.to]) > 0)
        .sort((x, y) => compare(linkKey(x), linkKey(y)))
        .slice(0, limit)
        .map((l) => row({ source: l.from, relType: l.type, target: l.to, props: l.props }))
    }
    if (query.text === q.importNodes([{ id: 'x', props: {} }]).text) {
      const rows = p.rows as Array<{ id: string; props: Properties }>
      for (const r of rows) nodes.set(r.id, r.props)
      return [row({ imported: rows.length })]
    }
    const type = /MERGE \(a\)-\[r:`(\w+)`\]->\(b\)/.exec(query.text)?.[1]
    if (type) {
      const rows = (p.rows as Array<Omit<GraphLink, 'kind' | 'type'>>).filter(
        (r) => nodes.has(r.from) && nodes.has(r.to),
      )
      for (const r of rows)
        links.set(linkKey({ ...r, type }).join('|'), { kind: 'link', type, ...r })
      return [row({ linked: rows.length })]
    }
    if (query.text === q.clearBatch().text) {
      const doomed = [...nodes.keys()].slice(0, limit)
      for (const id of doomed) nodes.delete(id)
      for (const [key, l] of links) if (!nodes.has(l.from) || !nodes.has(l.to)) links.delete(key)
      return [row({ deleted: doomed.length })]
    }
    throw new Error(`stand-in: unexpected statement ${query.text}`)
  }
  return { nodes, links, calls, run }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

describe('exportAll / importAll / clear loops', () => {
  const source = standInGraph()
  for (let i = 0; i < 10; i++) source.nodes.set(`n${i}`, { id: `n${i}`, i })
  // Six links out of one node: the keyset cursor must continue inside one node's links.
  for (const [type, to] of [
    ['B', 'n1'],
    ['A', 'n2'],
    ['A', 'n1'],
    ['B', 'n3'],
    ['A', 'n3'],
    ['C', 'n9'],
  ] as const) {
    source.links.set(`n0|${type}|${to}`, { kind: 'link', from: 'n0', type, to, props: { t: type } })
  }
  source.links.set('n5|A|n4', { kind: 'link', from: 'n5', type: 'A', to: 'n4', props: {} })

  test('export pages by id, then links by (from, type, to), each page bounded', async () => {
    const records = await collect(exportGraph(cypherSnapshots(source.run, q), 4))
    assert.deepEqual(
      records.map((r) => (r.kind === 'node' ? r.id : `${r.from}-${r.type}-${r.to}`)),
      [
        ...['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'],
        ...['n0-A-n1', 'n0-A-n2', 'n0-A-n3', 'n0-B-n1', 'n0-B-n3', 'n0-C-n9', 'n5-A-n4'],
      ],
    )
    assert.deepEqual(records[3], { kind: 'node', id: 'n3', props: { i: 3 } }, 'id is not a prop')
    assert.deepEqual(
      source.calls.map((c) => c.params.after ?? `${c.params.from}-${c.params.type}-${c.params.to}`),
      ['', 'n3', 'n7', '--', 'n0-B-n1'],
    )
  })

  test('import writes nodes before links, in batches, and reproduces the graph', async () => {
    const target = standInGraph()
    const counts = await importGraph(
      cypherSnapshots(target.run, q),
      exportGraph(cypherSnapshots(source.run, q), 4),
      3,
    )
    assert.deepEqual(counts, { nodes: 10, links: 7 })
    assert.deepEqual(target.nodes, source.nodes)
    assert.deepEqual(new Set(target.links.keys()), new Set(source.links.keys()))
    for (const call of target.calls) assert.ok((call.params.rows as unknown[]).length <= 3)
    const firstLink = target.calls.findIndex((c) => c.text.includes('MERGE (a)'))
    assert.equal(target.calls.slice(0, firstLink).length, 4, '10 nodes in batches of 3 first')
  })

  test('a link to a node the graph lacks, or an unknown record, is an error', async () => {
    const target = standInGraph()
    await assert.rejects(
      importGraph(cypherSnapshots(target.run, q), [
        { kind: 'node', id: 'a', props: {} },
        { kind: 'link', from: 'a', type: 'T', to: 'missing', props: {} },
      ]),
      /1 T link\(s\) name a node the graph does not have/,
    )
    await assert.rejects(
      importGraph(cypherSnapshots(target.run, q), [{ kind: 'edge' } as never]),
      /record kind must be "node" or "link", got "edge"/,
    )
    await assert.rejects(
      importGraph(cypherSnapshots(target.run, q), [
        { kind: 'link', from: 'a', type: 'bad', to: 'b', props: {} },
      ]),
      /relationship type "bad"/,
    )
    await assert.rejects(
      importGraph(cypherSnapshots(target.run, q), [], 0),
      /batch size must be an integer/,
    )
  })

  test('clear deletes every node in batches until none is left', async () => {
    const before = source.calls.length
    assert.equal(await clearGraph(cypherSnapshots(source.run, q), 4), 10)
    assert.equal(source.nodes.size, 0)
    assert.equal(source.links.size, 0)
    assert.deepEqual(
      source.calls.slice(before).map((c) => c.params.limit),
      [neo4j.int(4), neo4j.int(4), neo4j.int(4)],
    )
  })
})
