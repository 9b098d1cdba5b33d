import { fuzzTest } from '@flotilla/testkit'
import { fleetApp, startMember, startStatus, tcpService } from './helpers.js'

fuzzTest('status', 'on real PostgreSQL', async () => {
  const member = await startMember('alpha')
  const status = await startStatus({
    apps: [fleetApp(member)],
    services: [tcpService('postgres', member.port)],
  })
  return {
    url: status.url,
    // Names the fleet knows, so history queries reach the stored series.
    values: { 'query.service': ['alpha', 'postgres'] },
    close: async () => {
      await status.close()
      await member.close()
    },
  }
})
