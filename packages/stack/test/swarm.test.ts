import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import {
  appSecretKey,
  appSecretVariable,
  appUid,
  generatedFiles,
  loadRegistry,
  swarmStack,
} from '../src/index.js'

const repoRoot = resolve(import.meta.dirname, '../../..')

interface StackService {
  image: string
  build?: unknown
  profiles?: unknown
  depends_on?: unknown
  mem_limit?: unknown
  cpus?: unknown
  security_opt?: unknown
  ports?: { mode: string; target: number }[]
  volumes?: (string | { type: string; target: string })[]
  secrets?: { source: string; target: string; uid: string; gid: string; mode: number }[]
  deploy: {
    endpoint_mode: string
    resources: { limits: { memory?: string; cpus?: string } }
    placement?: { constraints: string[] }
    update_config: { order: string; failure_action: string }
  }
}

interface StackFile {
  services: Record<string, StackService>
  networks: Record<string, { driver: string; internal?: boolean; attachable?: boolean }>
  secrets: Record<string, { external: boolean; name: string }>
}

async function generated() {
  const registry = await loadRegistry(repoRoot)
  const files = await generatedFiles(registry)
  const compose = files.find((file) => file.path === 'docker-compose.yml')?.content ?? ''
  const stack = files.find((file) => file.path === 'docker-stack.yml')?.content ?? ''
  return { registry, compose, stack: parse(stack) as StackFile, text: stack }
}

test('swarm: every app of the registry, none of the tiers or one-shots; no compose-only keys', async () => {
  const { registry, stack } = await generated()
  for (const app of registry.apps) assert.ok(stack.services[app.name], app.name)
  for (const absent of ['build', 'base', 'ml', 'secrets', 'provision']) {
    assert.equal(stack.services[absent], undefined, absent)
  }
  for (const [name, service] of Object.entries(stack.services)) {
    for (const key of ['build', 'profiles', 'depends_on', 'mem_limit', 'cpus', 'security_opt']) {
      assert.equal(service[key as keyof StackService], undefined, `${name}.${key}`)
    }
    assert.equal(service.deploy.endpoint_mode, 'dnsrr', name)
    assert.equal(service.deploy.update_config.failure_action, 'rollback', name)
  }
})

test('swarm: flotilla images come from the registry; limits move under deploy.resources', async () => {
  const { registry, stack } = await generated()
  for (const app of registry.apps) {
    const service = stack.services[app.name]
    assert.equal(
      service?.image,
      `\${FLOTILLA_REGISTRY:-127.0.0.1:5000}/flotilla/${app.name}:\${FLOTILLA_TAG:-local}`,
    )
    assert.deepEqual(service?.deploy.resources.limits, {
      cpus: app.resources.cpus,
      memory: app.resources.memory,
      pids: 256,
    })
    assert.equal(service?.deploy.update_config.order, 'start-first', app.name)
  }
  assert.equal(stack.services.postgres?.image, 'postgres:17-bookworm')
  assert.equal(stack.services.postgres?.deploy.update_config.order, 'stop-first')
})

test('swarm: apps read their credentials from their own secret, owned by their uid, 0400', async () => {
  const { registry, stack } = await generated()
  for (const app of registry.apps) {
    const service = stack.services[app.name]
    const uid = String(appUid(app))
    assert.deepEqual(service?.secrets, [
      {
        source: appSecretKey(app),
        target: `/run/flotilla/secrets/apps/${app.name}.env`,
        uid,
        gid: uid,
        mode: 0o400,
      },
    ])
    assert.ok(
      !service?.volumes?.some((volume) => typeof volume === 'string' && volume.startsWith('app_')),
      `${app.name} mounts no app_secrets volume`,
    )
    assert.deepEqual(stack.secrets[appSecretKey(app)], {
      external: true,
      name: `\${${appSecretVariable(app)}:?the swarm deploy sets it}`,
    })
  }
})

test('swarm: state and the public port on the stores node; ML apps where the deploy says', async () => {
  const { registry, stack } = await generated()
  const stores = 'node.labels.flotilla.stores==true'
  for (const name of ['postgres', 'redis', 'chroma', 'neo4j', 'chroma-guard', 'neo4j-guard']) {
    assert.deepEqual(stack.services[name]?.deploy.placement?.constraints, [stores], name)
  }
  assert.deepEqual(stack.services.nginx?.deploy.placement?.constraints, [stores])
  assert.equal(stack.services.nginx?.ports?.[0]?.mode, 'host')
  for (const app of registry.apps.filter((a) => a.tier === 'ml')) {
    assert.deepEqual(stack.services[app.name]?.deploy.placement?.constraints, [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: stack interpolation
      '${FLOTILLA_ML_PLACEMENT:-node.platform.os==linux}',
    ])
  }
  assert.deepEqual(
    stack.services.notes?.deploy.placement?.constraints,
    ['node.labels.flotilla.tier!=ml'],
    'notes runs anywhere but an ML node',
  )
})

test('swarm: overlay networks; the backends internal; one-shots may attach where they join', async () => {
  const { stack } = await generated()
  assert.deepEqual(stack.networks, {
    flotilla: { driver: 'overlay', attachable: true },
    chroma_backend: { driver: 'overlay', internal: true },
    neo4j_backend: { driver: 'overlay', internal: true, attachable: true },
  })
})

test('swarm: a compose port Swarm cannot publish is refused, naming it', async () => {
  const { registry } = await generated()
  const compose =
    'services:\n  web:\n    image: x\n    ports: ["80-81:80-81"]\nnetworks: {}\nvolumes: {}\n'
  await assert.rejects(
    swarmStack(registry, compose, 'resolver 127.0.0.11 valid=5s;'),
    /a port Swarm cannot publish: 80-81:80-81/,
  )
})

test('swarm: docker stack config accepts the file on disk, paths resolved from the checkout', async () => {
  const { registry } = await generated()
  const env = { ...process.env }
  for (const app of registry.apps) env[appSecretVariable(app)] = `test_${app.name}`
  const text = readFileSync(join(repoRoot, 'docker-stack.yml'), 'utf8')
  const config = execFileSync('docker', ['stack', 'config', '-c', '-'], {
    cwd: repoRoot,
    env,
    input: text,
    encoding: 'utf8',
  })
  const rendered = parse(config) as {
    services: Record<string, { volumes?: { source?: string }[] }>
    secrets: Record<string, { name: string }>
  }
  assert.equal(rendered.secrets.notes_env?.name, 'test_notes')
  const sources = rendered.services.nginx?.volumes?.map((volume) => volume.source)
  assert.ok(sources?.includes(join(repoRoot, 'nginx/nginx.conf')), String(sources))
})

test('swarm: a replaced app keeps serving past the time nginx caches its address', async () => {
  const { registry, stack } = await generated()
  for (const app of registry.apps) {
    const service = stack.services[app.name] as StackService & {
      environment: Record<string, string>
      stop_grace_period: string
    }
    // nginx.conf: resolver … valid=5s.
    assert.equal(service.environment.SHUTDOWN_DRAIN_MS, '6000', app.name)
    assert.equal(service.stop_grace_period, '16s', app.name)
  }
  const compose = 'services: {}\nnetworks: {}\nvolumes: {}\n'
  await assert.rejects(
    swarmStack(registry, compose, 'resolver 127.0.0.11;'),
    /no `resolver … valid=/,
  )
})
