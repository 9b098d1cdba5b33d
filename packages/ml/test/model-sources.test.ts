import assert from 'node:assert/strict'
import { it } from 'node:test'
import { parseModelSources } from '../src/model-sources.js'

const hub = 'https://hub.example'

it('reads one source for every role, or one per role', () => {
  assert.deepEqual(parseModelSources('real', hub), {
    embedding: { kind: 'hub', endpoint: hub },
    classification: { kind: 'hub', endpoint: hub },
  })
  assert.deepEqual(parseModelSources('dir:/srv/m,classification=generated', hub), {
    embedding: { kind: 'dir', root: '/srv/m' },
    classification: { kind: 'generated' },
  })
  assert.deepEqual(parseModelSources('embedding=real,classification=dir:/x', hub), {
    embedding: { kind: 'hub', endpoint: hub },
    classification: { kind: 'dir', root: '/x' },
  })
})

it('refuses what is not a source, naming it, and a role left without one', () => {
  assert.throws(
    () => parseModelSources('fake', hub),
    /"fake" is not a source; use real, dir:<folder> or generated/,
  )
  assert.throws(() => parseModelSources('dir:', hub), /"dir:" is not a source/)
  assert.throws(
    () => parseModelSources('embedding=real', hub),
    /gives no source for classification/,
  )
  assert.throws(() => parseModelSources('speech=real', hub), /"speech=real" is not a source/)
})
