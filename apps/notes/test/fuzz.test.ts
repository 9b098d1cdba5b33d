import { fuzzTest } from '@flotilla/testkit'
import { startNotes } from './harness.js'

fuzzTest('notes', 'on real PostgreSQL and Redis', async () => {
  // A limit the run never reaches: the fuzzer is one client, and a wall of 429s tests nothing.
  const notes = await startNotes({ RATE_LIMIT_PER_MINUTE: '1000000' })
  return {
    url: await notes.app.listen({ host: '127.0.0.1', port: 0 }),
    close: () => notes.close(),
  }
})
