import { createService, loadConfigOrExit, startService } from '@flotilla/service'
import manifest from '../package.json' with { type: 'json' }
import { notesApp } from './app.js'
import { notesConfigSchema } from './config.js'

const config = loadConfigOrExit(notesConfigSchema)
const app = await createService({ name: 'notes', version: manifest.version, config })
await app.register(notesApp, { config })
await startService(app, config)
