import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bucketDelta, histogramQuantile } from '../src/window.js'

const INF = Number.POSITIVE_INFINITY

describe('histogramQuantile', () => {
  it('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    // 100 requests: 50 ≤ 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1]
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: INF, count: 100 },
    ]
    // rank 95 is the 5th of 10 in (0.5, 1]: 0.5 + 0.5 × 5/10
    assert.equal(histogramQuantile(0.95, buckets), 0.75)
    // rank 50 is the last of the first bucket, which starts at 0
    assert.equal(histogramQuantile(0.5, buckets), 0.1)
    assert.equal(histogramQuantile(0.25, buckets), 0.05)
  })

  it('reports the highest finite bound when the rank is in +Inf', () => {
    const buckets = [
      { le: 0.1, count: 1 },
      { le: 1, count: 2 },
      { le: INF, count: 10 },
    ]
    assert.equal(histogramQuantile(0.95, buckets), 1)
  })

  it('is null without requests and refuses a quantile outside [0, 1]', () => {
    assert.equal(histogramQuantile(0.95, [{ le: INF, count: 0 }]), null)
    assert.equal(histogramQuantile(0.95, []), null)
    assert.throws(() => histogramQuantile(95, [{ le: INF, count: 1 }]), /quantile must be within/)
  })
})

describe('bucketDelta', () => {
  it('subtracts the older cumulative counts bound by bound', () => {
    const older = [
      { le: 0.1, count: 10 },
      { le: INF, count: 12 },
    ]
    const newer = [
      { le: 0.05, count: 3 },
      { le: 0.1, count: 15 },
      { le: INF, count: 20 },
    ]
    assert.deepEqual(bucketDelta(older, newer), [
      { le: 0.05, count: 3 },
      { le: 0.1, count: 5 },
      { le: INF, count: 8 },
    ])
  })
})
