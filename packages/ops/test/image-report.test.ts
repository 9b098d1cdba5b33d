import assert from 'node:assert/strict'
import { test } from 'node:test'
import { analyse, formatReport, type ImageInspect } from '../src/image-report/report.js'

const image = (id: string, tag: string | null, layers: string[], size: number): ImageInspect => ({
  Id: `sha256:${id}`,
  RepoTags: tag ? [tag] : [],
  Size: size,
  RootFS: { Layers: layers },
})

// node → base (+2 layers) → ml (+1) and two apps (+1 each); postgres on its own; an unrelated image.
const node = image('node', 'node:24-bookworm-slim', ['n1', 'n2'], 200)
const base = image('base', 'flotilla/base:local', ['n1', 'n2', 'b1', 'b2'], 260)
const ml = image('ml', 'flotilla/ml:local', ['n1', 'n2', 'b1', 'b2', 'm1'], 400)
const notes = image('notes', 'flotilla/notes:local', ['n1', 'n2', 'b1', 'b2', 'a1'], 261)
const embedder = image(
  'embedder',
  'flotilla/embedder:local',
  ['n1', 'n2', 'b1', 'b2', 'm1', 'e1'],
  402,
)
const postgres = image('postgres', 'postgres:17', ['p1', 'p2'], 400)
const other = image('other', 'other:1', ['n1', 'x'], 999)
const local = [node, base, ml, notes, embedder, postgres, other]
const used = (...images: ImageInspect[]) =>
  images.map((i) => ({ name: i.RepoTags?.[0] ?? '', id: i.Id }))

test('each image on top of the local image it extends; disk counts every layer once', () => {
  const report = analyse(used(notes, embedder, postgres), local)
  const rows = Object.fromEntries(
    report.rows.map((r) => [r.name, [r.base?.RepoTags?.[0] ?? '-', r.ownLayers, r.ownBytes]]),
  )
  assert.deepEqual(rows, {
    'flotilla/notes:local': ['flotilla/base:local', 1, 1],
    'flotilla/embedder:local': ['flotilla/ml:local', 1, 2],
    'postgres:17': ['-', 2, 400],
  })
  assert.equal(report.sum, 261 + 402 + 400)
  // node 200 + base 60 + ml 140 + notes 1 + embedder 2 + postgres 400; `other` is no base of any.
  assert.equal(report.disk, 803)
  assert.deepEqual(report.bases.map((b) => b.RepoTags?.[0]).sort(), [
    'flotilla/base:local',
    'flotilla/ml:local',
    'node:24-bookworm-slim',
  ])
  const text = formatReport(report)
  assert.match(
    text,
    /^flotilla\/notes:local\s+notes\s+261B\s+1\s+1B\s+260B\s+flotilla\/base:local$/m,
  )
  assert.match(text, /sum of image sizes: +1\.06KB \(3 images\)/)
  assert.match(text, /on disk, shared layers once: +803B \(incl\. /)
})

test('an image the stack uses that is gone is an error, not a smaller total', () => {
  assert.throws(() => analyse([{ name: 'x', id: 'sha256:gone' }], local), /not on this machine/)
})
