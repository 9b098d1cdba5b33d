import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fuzzOpenApi, fuzzUnavailable } from '@flotilla/testkit'
import { startNotes } from './harness.js'

test('fuzz notes: every operation of its OpenAPI document, on real PostgreSQL and Redis', {
  skip: await fuzzUnavailable(),
}, async () => {
  // A limit the run never reaches: the fuzzer is one client, and a wall of 429s tests nothing.
  const notes = await startNotes({ RATE_LIMIT_PER_MINUTE: '1000000' })
  try {
    const report = await fuzzOpenApi({
      name: 'notes',
      url: await notes.app.listen({ host: '127.0.0.1', port: 0 }),
    })
    console.log(report.summary)
    assert.equal(report.problems.length, 0, report.problems.join('\n\n'))
  } finally {
    await notes.close()
  }
})
