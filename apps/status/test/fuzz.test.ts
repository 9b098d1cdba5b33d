import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fuzzOpenApi, fuzzUnavailable } from '@flotilla/testkit'
import { fleetApp, startMember, startStatus, tcpService } from './helpers.js'

test('fuzz status: every operation of its OpenAPI document, on real PostgreSQL', {
  skip: await fuzzUnavailable(),
}, async () => {
  const member = await startMember('alpha')
  const status = await startStatus({
    apps: [fleetApp(member)],
    services: [tcpService('postgres', member.port)],
  })
  try {
    const report = await fuzzOpenApi({
      name: 'status',
      url: status.url,
      // Names the fleet knows, so history queries reach the stored series.
      values: { 'query.service': ['alpha', 'postgres'] },
    })
    console.log(report.summary)
    assert.equal(report.problems.length, 0, report.problems.join('\n\n'))
  } finally {
    await status.close()
    await member.close()
  }
})
