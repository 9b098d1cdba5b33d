import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { embedderApp } from './app.js'
import { embedderConfigSchema } from './config.js'

const config = loadConfigOrExit(embedderConfigSchema)
const app = await createService({ name: 'embedder', version: manifest.version, config })
await app.register(embedderApp, { config })
await startService(app, config)
