import { fuzzTest } from '@flotilla/testkit'
import { startClassifier } from './harness.js'

fuzzTest('classifier', 'on real Redis', async () => {
  const classifier = await startClassifier()
  return {
    url: await classifier.app.listen({ host: '127.0.0.1', port: 0 }),
    close: () => classifier.close(),
  }
})
