import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import {
  bodyLimitBytes,
  nginxUpstreams,
  parseStoreCompose,
  readStoreComposes,
  STORE_SERVICE,
  StoreComposeError,
  storeComposeFile,
} from '../src/generate/index.js'
import {
  appUid,
  composeAppAnchor,
  composeAppServices,
  envExampleApps,
  loadRegistry,
  MarkerError,
  nginxRoutes,
  replaceBlock,
  STORE_NAMES,
  staleFiles,
  writeGenerated,
} from '../src/index.js'
import { appPackage, fakeRoot } from './fixtures.js'

const repoRoot = resolve(import.meta.dirname, '../../..')
// biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not JavaScript
const TAG = '${FLOTILLA_TAG:-local}'

interface ComposeService {
  image: string
  user: string
  mem_limit: string
  cpus: string
  read_only: boolean
  cap_drop: string[]
  security_opt: string[]
  restart: string
  ports?: string[]
  profiles?: string[]
  command: string[]
  environment: Record<string, string>
  volumes: string[]
  pids_limit: number
  healthcheck: { test: string[] }
  build: {
    dockerfile: string
    args: Record<string, string>
    additional_contexts: Record<string, string>
  }
  depends_on: Record<string, { condition: string }>
}

/** The generated app services as compose reads them: the x-app anchor merged into each. */
function composeServices(registry: Parameters<typeof composeAppServices>[0]) {
  const text = `x-logging: &logging {}\n${composeAppAnchor()}${composeAppServices(registry)}`
  return parse(text, { merge: true }) as Record<string, ComposeService>
}

async function twoApps(t: import('node:test').TestContext) {
  const root = await fakeRoot(t, {
    notes: appPackage('notes', {
      port: 3001,
      stores: { postgres: true, redis: true },
      env: { WEBHOOK_URL: 'where notes posts changes' },
    }),
    embedder: appPackage('embedder', {
      tier: 'ml',
      route: '/embedder/',
      port: 3101,
      profile: 'ml',
      model: 'embedding',
      stores: { chroma: ['memories'] },
      resources: { memory: '512M', cpus: '1.00' },
    }),
  })
  return loadRegistry(root)
}

test('compose: each app runs as its own uid with its limits, hardening and dependencies', async (t) => {
  const registry = await twoApps(t)
  const services = composeServices(registry)
  const notes = services.notes as ComposeService
  assert.equal(notes.image, `flotilla/notes:${TAG}`)
  assert.equal(notes.user, `${appUid({ port: 3001 })}:${appUid({ port: 3001 })}`)
  assert.notEqual(appUid({ port: 3001 }), appUid({ port: 3101 }))
  assert.equal(notes.mem_limit, '192M')
  assert.equal(notes.cpus, '0.50')
  assert.equal(notes.read_only, true)
  assert.deepEqual(notes.cap_drop, ['ALL'])
  assert.deepEqual(notes.security_opt, ['no-new-privileges:true'])
  assert.equal(notes.restart, 'unless-stopped')
  assert.equal(notes.pids_limit, 256)
  assert.deepEqual(notes.volumes, ['app_secrets:/run/flotilla/secrets:ro'])
  // One healthcheck for every app: it reads the port from the service's environment.
  assert.match(notes.healthcheck.test.join(' '), /process\.env\.PORT \+ '\/readyz'/)
  assert.equal(notes.environment.PORT, '3001')
  assert.equal(notes.ports, undefined, 'only nginx publishes ports')
  assert.deepEqual(Object.keys(notes.depends_on), ['provision', 'postgres', 'redis'])
  assert.equal(notes.depends_on.provision?.condition, 'service_completed_successfully')
  assert.equal(notes.depends_on.postgres?.condition, 'service_healthy')
  assert.equal(notes.environment.NODE_OPTIONS, '--max-old-space-size=144')
  assert.ok(notes.command.includes('--env-file-if-exists=/run/flotilla/secrets/apps/notes.env'))
  // One Dockerfile for every app, told which one by APP.
  assert.equal(notes.build.dockerfile, 'images/app/Dockerfile')
  assert.deepEqual(notes.build.args, { APP: 'apps/notes' })
  assert.equal(notes.environment.MODEL_DIR, undefined, 'a base-tier app has no model')
  // The tiers are named contexts: compose builds service:build and service:base first.
  assert.deepEqual(notes.build.additional_contexts, {
    workspace: 'service:build',
    tier: 'service:base',
  })
  assert.equal(notes.profiles, undefined)
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation
  assert.equal(notes.environment.WEBHOOK_URL, '${NOTES_WEBHOOK_URL:-}', 'from .env, empty if unset')
  assert.match(
    envExampleApps(registry),
    /# notes: where notes posts changes\n# NOTES_WEBHOOK_URL=\n/,
  )

  const embedder = services.embedder as ComposeService
  assert.deepEqual(embedder.profiles, ['ml'])
  assert.equal(embedder.build.additional_contexts.tier, 'service:ml')
  assert.equal(embedder.build.dockerfile, 'images/app/Dockerfile')
  assert.equal(embedder.environment.MODEL_DIR, '/opt/models/embedding', "its manifest's model")
  assert.equal(embedder.read_only, true, 'the anchor merged into every app')
  assert.deepEqual(Object.keys(embedder.depends_on), ['provision', 'chroma-guard'])
})

test('compose file: one project, tiers built before what names them and never run, images pinned', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as {
    name: string
    services: Record<string, Partial<ComposeService> & { scale?: number; build?: object }>
  }
  assert.equal(compose.name, 'flotilla')
  const { services } = compose
  for (const tier of ['build', 'base', 'ml']) assert.equal(services[tier]?.scale, 0, tier)
  for (const [name, service] of Object.entries(services)) {
    // Ours by tag; everyone else's by a version (a major at least), never latest/stable.
    const image = (service.image ?? '').replace(/^\$\{[A-Z0-9_]+:-(.+)\}$/, '$1')
    assert.match(
      image,
      /^(flotilla\/[a-z0-9-]+:\$\{FLOTILLA_TAG:-local\}|[a-z0-9/._-]+:(\$\{[A-Z0-9_]+:-)?v?\d[\w.-]*\}?)$/,
      name,
    )
    const contexts = Object.values(
      (service.build as ComposeService['build'] | undefined)?.additional_contexts ?? {},
    )
    for (const context of contexts.filter((value) => value.startsWith('service:'))) {
      const tier = services[context.slice('service:'.length)]
      assert.equal(tier?.scale, 0, `${name} builds on ${context}, a tier`)
    }
  }
  assert.ok(services.provision?.build, 'provision runs on an image of its own, not the build tier')
})

test('nginx: a location per app passing the path unchanged, internal endpoints refused', async (t) => {
  const registry = await twoApps(t)
  const routes = nginxRoutes(registry)
  assert.match(
    routes,
    /location \^~ \/notes\/ \{\n\s+set \$flotilla_app notes;\n\s+limit_req zone=app_notes burst=100 nodelay;\n\s+client_max_body_size 1048576;\n\s+proxy_pass http:\/\/app_notes;\n/,
  )
  assert.match(
    routes,
    /limit_req zone=app_embedder burst=40 nodelay;\n\s+client_max_body_size 4194304;/,
  )
  for (const path of ['/healthz', '/readyz', '/metrics', '/docs/json']) {
    assert.ok(routes.includes(`location = ${path} { return 404; }`), path)
  }
  // No app claims "/": the front page answers 503 rather than some app's 404.
  assert.match(routes, /location \/ \{\n\s+set \$flotilla_app front-page;\n\s+return 503;/)
})

test('nginx: an upstream group per app, resolved while nginx runs, with pooled connections', async (t) => {
  const registry = await twoApps(t)
  const upstreams = nginxUpstreams(registry)
  for (const [name, port] of [
    ['notes', 3001],
    ['embedder', 3101],
  ] as const) {
    const block = new RegExp(`upstream app_${name} \\{([^}]*)\\}`).exec(upstreams)?.[1] ?? ''
    assert.match(block, new RegExp(`\\n\\s+zone upstream_${name} \\d+k;`), name)
    assert.match(block, new RegExp(`\\n\\s+server ${name}:${port} resolve max_fails=0;`), name)
    assert.match(block, /\n\s+keepalive \d+;/, name)
  }
  // nginx lets an idle connection go before the app does: Fastify's keepAliveTimeout is 72 s.
  const timeout = /keepalive_timeout (\d+)s;/.exec(upstreams)?.[1]
  assert.ok(Number(timeout) > 0 && Number(timeout) < 72, `keepalive_timeout ${timeout}s`)
})

test("body limit: nginx's client_max_body_size for an app is the BODY_LIMIT_BYTES its service gets", async (t) => {
  const registry = await twoApps(t)
  const services = composeServices(registry)
  const routes = nginxRoutes(registry)
  for (const app of registry.apps) {
    const limit = bodyLimitBytes(app)
    assert.equal(services[app.name]?.environment.BODY_LIMIT_BYTES, String(limit), app.name)
    const location = new RegExp(`location \\^~ ${app.route} \\{([^}]*)\\}`).exec(routes)?.[1]
    assert.match(location ?? '', new RegExp(`client_max_body_size ${limit};`), app.name)
  }
  assert.notEqual(bodyLimitBytes({ tier: 'base' }), bodyLimitBytes({ tier: 'ml' }))
})

test('markers: the block between the markers is replaced, the rest kept', () => {
  const text =
    'a\n  # >>> generated: apps (npm run generate; do not edit by hand)\n  old\n  # <<< generated: apps\nz\n'
  assert.equal(
    replaceBlock('f.yml', text, 'apps', 'x:\n  y: 1\n'),
    'a\n  # >>> generated: apps (npm run generate; do not edit by hand)\n  x:\n    y: 1\n  # <<< generated: apps\nz\n',
  )
  assert.throws(
    () => replaceBlock('f.yml', 'no markers', 'apps', ''),
    (error: unknown) => {
      assert.ok(error instanceof MarkerError)
      assert.match(error.message, /^f\.yml: generated block "apps": missing marker lines/)
      return true
    },
  )
})

test('check: a stale generated file is named, and generate makes it current', async (t) => {
  const registry = await twoApps(t)
  execFileSync('mkdir', ['-p', join(registry.root, 'nginx/generated')])
  const stores = STORE_NAMES.map(storeComposeFile)
  for (const path of ['docker-compose.yml', '.env.example', 'nginx/nginx.conf', ...stores]) {
    mkdirSync(dirname(join(registry.root, path)), { recursive: true })
    writeFileSync(join(registry.root, path), readFileSync(join(repoRoot, path), 'utf8'))
  }
  assert.deepEqual(await staleFiles(registry), [
    'docker-compose.yml',
    'docker-stack.yml',
    '.env.example',
    'nginx/generated/limits.conf',
    'nginx/generated/upstreams.conf',
    'nginx/generated/routes.conf',
  ])
  await writeGenerated(registry)
  assert.deepEqual(await staleFiles(registry), [])
  const compose = parse(readFileSync(join(registry.root, 'docker-compose.yml'), 'utf8'))
  assert.deepEqual(
    Object.keys(compose.services).filter((name) => ['notes', 'embedder'].includes(name)),
    ['notes', 'embedder'],
  )
  assert.ok(compose.services.nginx.ports, 'hand-written services kept')
  assert.ok(compose.services['chroma-guard'], "a store's services spliced in")
})

test('check: the committed generated files match the repository registry', async () => {
  assert.deepEqual(await staleFiles(await loadRegistry(repoRoot)), [], 'run npm run generate')
})

test("stores: each store's compose.yml is spliced in the registry's store order, as written", async () => {
  const text = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')
  const compose = parse(text, { merge: true }) as {
    services: Record<string, unknown>
    volumes: Record<string, unknown>
  }
  const stores = await readStoreComposes(repoRoot)
  assert.deepEqual(
    stores.map((store) => store.store),
    STORE_NAMES,
  )
  const names = Object.keys(compose.services)
  const storeServices = stores.flatMap((store) => store.serviceNames)
  // One run of services in store order, copied line for line (comments included).
  const first = names.indexOf(storeServices[0] ?? '')
  assert.deepEqual(names.slice(first, first + storeServices.length), storeServices)
  for (const store of stores) {
    assert.ok(
      text.includes(store.services.map((line) => (line === '' ? '' : `  ${line}`)).join('\n')),
      store.store,
    )
    assert.ok(store.serviceNames.includes(STORE_SERVICE[store.store]), store.store)
    for (const line of store.volumes) {
      const volume = line.replace(/:$/, '')
      assert.ok(volume in compose.volumes, `${store.store} owns the volume ${volume}`)
    }
  }
  assert.deepEqual(
    stores.find((store) => store.store === 'chroma')?.serviceNames,
    ['chroma', 'chroma-guard'],
    'the guard is part of its store',
  )
})

test("stores: a fragment that is missing, has a stray key or lacks its apps' service is refused", async (t) => {
  const root = await fakeRoot(t, {})
  await assert.rejects(readStoreComposes(root), (error: unknown) => {
    assert.ok(error instanceof StoreComposeError)
    assert.equal(
      error.message,
      'packages/data/src/postgres/compose.yml: not found; every store has one',
    )
    return true
  })
  assert.throws(
    () =>
      parseStoreCompose('redis', '# about\nservices:\n  redis:\n    image: x\nnetworks:\n  a:\n'),
    /^StoreComposeError: packages\/data\/src\/redis\/compose\.yml: line 5: "networks" is not services or volumes$/,
  )
  assert.throws(
    () => parseStoreCompose('redis', 'services:\n  redis:\n# a comment out of place\n'),
    /line 3: expected "services:", "volumes:" or a line indented under them/,
  )
  assert.throws(
    () => parseStoreCompose('chroma', 'services:\n  chroma:\n    image: x\n'),
    /chroma\/compose\.yml: no service "chroma-guard", the one its apps wait for/,
  )
  const parsed = parseStoreCompose(
    'qdrant',
    '# about\nservices:\n  # why\n  qdrant:\n    image: x\n\nvolumes:\n  qdrant_data:\n',
  )
  assert.deepEqual(parsed.services, ['# why', 'qdrant:', '  image: x'])
  assert.deepEqual(parsed.volumes, ['qdrant_data:'])
})
