// Idle and peak resident memory of one ML app on its served model, alone (bench:ml measures
// it beside transformers.js too), for its compose memory limit (flotilla.resources.memory).
// A script, not a test. Usage (after `npx turbo build`):
//   npm run bench:memory -w @flotilla/embedder              the embedder on the real MiniLM
//   npm run bench:memory -w @flotilla/embedder -- classifier  the classifier (apps.ts says on
//     which model; MODEL_DIR=<dir> for another)
// Peak: one worker under 32 concurrent clients sending inputs long enough to be truncated to
// the model's limit, so every batch is as large as MAX_BATCH_TOKENS lets it be.
import { basename } from 'node:path'
import { startRedis } from '@flotilla/data/redis/test-server'
import { ML_APPS, type MlAppName } from './apps.js'
import { runLoad } from './load.js'
import { startServerProcess } from './server.js'
import { longTexts } from './texts.js'

const appName = (process.argv[2] ?? 'embedder') as MlAppName
const app = ML_APPS[appName]
if (!app) throw new Error(`usage: memory.ts [${Object.keys(ML_APPS).join('|')}]`)
const modelDir = process.env.MODEL_DIR ?? (await app.model()).dir
const text = longTexts()

const redis = await startRedis()
const server = await startServerProcess(appName, [app.main], {
  MODEL_DIR: modelDir,
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: `${appName}:`,
  POOL_SIZE: '1',
})
try {
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const idleMb = await server.rssMb()
  const load = await runLoad({
    origin: server.origin,
    path: app.path,
    connections: 32,
    seconds: 15,
    body: () => app.body(text(), basename(modelDir)),
  })
  if (load.requests === 0) throw new Error(`every request failed (${load.failures})`)
  console.log(`${appName} on ${modelDir}`)
  console.log(`idle RSS ${idleMb.toFixed(0)} MB`)
  console.log(
    `peak RSS ${(await server.peakRssMb()).toFixed(0)} MB under 32 clients × truncated inputs (${load.requests} requests, ${load.failures} failed, ${load.perSecond.toFixed(1)}/s)`,
  )
  console.log(`RSS after the load ${(await server.rssMb()).toFixed(0)} MB`)
} finally {
  await server.stop()
  await redis.stop()
}
