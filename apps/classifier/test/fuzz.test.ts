import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fuzzOpenApi, fuzzUnavailable } from '@flotilla/testkit'
import { startClassifier } from './harness.js'

test('fuzz classifier: every operation of its OpenAPI document, on real Redis', {
  skip: await fuzzUnavailable(),
}, async () => {
  const classifier = await startClassifier()
  try {
    const report = await fuzzOpenApi({
      name: 'classifier',
      url: await classifier.app.listen({ host: '127.0.0.1', port: 0 }),
    })
    console.log(report.summary)
    assert.equal(report.problems.length, 0, report.problems.join('\n\n'))
  } finally {
    await classifier.close()
  }
})
