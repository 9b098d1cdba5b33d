import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parsePrometheusText } from '../src/prometheus-text.js'

describe('parsePrometheusText', () => {
  it('reads labels with escapes, special values and timestamps, skipping comments', () => {
    const text = [
      '# HELP odd A metric with awkward labels',
      '# TYPE odd gauge',
      'odd{path="C:\\\\DIR",msg="say \\"hi\\"\\nbye",} 1.5e3 1395066363000',
      '',
      'plain 7',
      'lag{service="x"} Nan',
      'bucket{le="+Inf"} +Inf',
    ].join('\n')
    const [odd, plain, lag, bucket] = parsePrometheusText(text)
    assert.deepEqual(odd, {
      name: 'odd',
      labels: { path: 'C:\\DIR', msg: 'say "hi"\nbye' },
      value: 1500,
    })
    assert.deepEqual(plain, { name: 'plain', labels: {}, value: 7 })
    assert.ok(Number.isNaN(lag?.value))
    assert.equal(bucket?.value, Number.POSITIVE_INFINITY)
  })

  it('names the line and the problem of a malformed sample', () => {
    assert.throws(
      () => parsePrometheusText('ok 1\nbroken{a="x" 2'),
      /metrics line 2: expected , or \} after a/,
    )
    assert.throws(() => parsePrometheusText('nothing{a="x"} many'), /value is not a number: many/)
    assert.throws(() => parsePrometheusText('x{a="\\q"} 1'), /bad escape in value of a/)
  })
})
