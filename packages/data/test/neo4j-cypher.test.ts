import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type CypherQuery, escapeIdentifier, graphQueries } from '../src/neo4j/index.js'
import { targetFor } from './qdrant-recorder.js'

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
  })

  test('values are always parameters, never text', () => {
    const queries = [
      q.upsertNode(EVIL, { note: EVIL, list: [EVIL] }),
      q.getNode(EVIL),
      q.deleteNode(EVIL),
      q.link(EVIL, EVIL, 'T', { note: EVIL }),
      q.unlink(EVIL, EVIL, 'T'),
      q.neighbours(EVIL),
    ]
    for (const query of queries) {
      assert.ok(!query.text.includes('DETACH DELETE m'), query.text)
      assert.ok(JSON.stringify(query.params).includes('DETACH DELETE m'))
    }
    assert.deepEqual(q.upsertNode(EVIL, { note: EVIL }).params, { id: EVIL, props: { note: EVIL } })
  })

  test('a hostile label stays one quoted identifier', () => {
    const hostile = graphQueries('App_a` {id: 1}) MATCH (m) DETACH DELETE m //').count().text
    assert.equal(escapeIdentifier('a`b'), '`a``b`')
    const withoutIdentifiers = hostile.replace(/`(?:[^`]|``)*`/g, 'ID')
    assert.equal(withoutIdentifiers, 'MATCH (n:ID) RETURN count(n) AS count')
    assert.throws(() => escapeIdentifier(''), /empty/)
  })

  test('bad relationship types are refused', () => {
    for (const type of ['knows', 'KNOWS]->(x) DELETE x //', 'A-B', '', 'X'.repeat(65), '1ABC']) {
      assert.throws(() => q.link('a', 'b', type), /relationship type/, type)
      assert.throws(() => q.neighbours('a', { type }), /relationship type/, type)
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
  })

  test('bad ids, depths, limits and directions are refused', () => {
    assert.throws(() => q.getNode(''), /node id/)
    assert.throws(() => q.getNode(42 as never), /node id/)
    for (const depth of [0, 6, 1.5]) assert.throws(() => q.neighbours('a', { depth }), /depth/)
    for (const limit of [0, 1001]) assert.throws(() => q.neighbours('a', { limit }), /limit/)
    assert.throws(() => q.neighbours('a', { direction: 'up' as never }), /direction/)
  })
})
