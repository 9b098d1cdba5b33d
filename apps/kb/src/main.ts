import { type AppDataConfig, appDataConfigFromEnv } from '@flotilla/data'
import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { kbApp } from './app.js'
import { kbConfigSchema } from './config.js'

const config = loadConfigOrExit(kbConfigSchema)
let data: AppDataConfig
try {
  data = appDataConfigFromEnv(process.env)
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`)
  process.exit(1)
}
const app = await createService({ name: 'kb', version: manifest.version, config })
await app.register(kbApp, { config, data })
await startService(app, config)
