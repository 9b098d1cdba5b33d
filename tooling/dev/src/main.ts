import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { STORE_NAMES, type StoreName } from '@flotilla/stack'
import { type Dev, startDev } from './dev.js'

const HELP = `Usage: npm run dev [-- [--port <n>] [--app <name>]... [--skip <store>]... [--data <dir>]]

Local development without Docker: starts PostgreSQL, Redis and Neo4j (the stores' test servers,
data kept in <data>), provisions them as the stack does, runs every app with reload on change
(its \`dev\` script) and serves them all on one port, each under its route as nginx does.

Options:
  --port <n>       the one local port (default DEV_PORT or 8080)
  --app <name>     run only this app (repeatable; default every app)
  --skip <store>   do not start this store (neo4j, …): its apps see it down (repeatable)
  --data <dir>     stores' data, secrets, credentials and logs (default .dev, git-ignored)
  -h, --help       this text

Chroma and Qdrant run only where CHROMA_URL (a Chroma; the guard runs here) or QDRANT_URL
and QDRANT_API_KEY name one. Ctrl-C stops everything it started.
`

function parse() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      app: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      data: { type: 'string' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const port = Number(values.port ?? process.env.DEV_PORT ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port: expected a port number, got "${values.port ?? process.env.DEV_PORT}"`)
  }
  const skip = values.skip ?? []
  const unknown = skip.filter((store) => !(STORE_NAMES as readonly string[]).includes(store))
  if (unknown.length > 0) throw new Error(`--skip: unknown store(s): ${unknown.join(', ')}`)
  // --root: a registry of its own, for tests.
  const root = resolve(values.root ?? fileURLToPath(new URL('../../../', import.meta.url)))
  return {
    help: values.help === true,
    root,
    port,
    apps: values.app,
    skipStores: skip as StoreName[],
    dataDir: resolve(root, values.data ?? '.dev'),
  }
}

let options: ReturnType<typeof parse>
try {
  options = parse()
} catch (error) {
  process.stderr.write(`dev: ${(error as Error).message}\n\n${HELP}`)
  process.exit(2)
}
if (options.help) {
  process.stdout.write(HELP)
  process.exit(0)
}

const say = (line: string) => process.stdout.write(`dev: ${line}\n`)
let dev: Dev | undefined
let stopping = false
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return
  stopping = true
  // Before startDev returns nothing is ours to stop in order: the test servers' and the apps'
  // watchdogs end every server and app once this process is gone.
  if (!dev) process.exit(130)
  say(`${signal}: stopping apps and stores`)
  await dev.stop()
  say('stopped')
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)

try {
  dev = await startDev({ ...options, log: say })
} catch (error) {
  process.stderr.write(`dev: ${(error as Error).message}\n`)
  process.exit(1)
}
const column = (values: string[]) => Math.max(...values.map((value) => value.length))
const nameWidth = column(dev.apps.map((app) => app.name))
const urlWidth = column(dev.apps.map((app) => app.url))
for (const app of dev.apps) {
  const where = app.log ? `  log: ${relative(process.cwd(), app.log)}` : ''
  say(`${app.name.padEnd(nameWidth)}  ${app.url.padEnd(urlWidth)}  ${app.state}${where}`)
}
say(`${dev.url} — every app behind one port; Ctrl-C stops everything`)
if (stopping) await shutdown('SIGTERM')
