import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadRegistry } from '@flotilla/stack'
import { fleetFromRegistry, SHARED_SERVICES } from '../scripts/fleet-from-registry.js'
import { type Fleet, readFleet } from '../src/fleet.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')

describe('fleetFromRegistry over the real registry', () => {
  it('lists every app at http://<name>:<port>, this one at "/", and the shared services', async () => {
    const registry = await loadRegistry(repoRoot)
    const fleet = fleetFromRegistry(registry)
    assert.deepEqual(
      fleet.apps.map((app) => app.name),
      registry.apps.map((app) => app.name),
    )
    const status = fleet.apps.find((app) => app.name === 'status')
    assert.deepEqual(status, {
      name: 'status',
      tier: 'base',
      route: '/',
      port: 3000,
      profile: null,
      memoryLimitBytes: 128 * 1024 ** 2,
      url: 'http://status:3000',
      backedUp: true,
    })
    assert.deepEqual(
      fleet.services.map((service) => service.name),
      ['postgres', 'redis', 'qdrant', 'chroma', 'neo4j', 'nginx'],
    )
  })
})

describe('readFleet', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-fleet-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  const fleet: Fleet = {
    apps: [
      {
        name: 'notes',
        tier: 'base',
        route: '/notes/',
        port: 3001,
        profile: null,
        memoryLimitBytes: 192 * 1024 ** 2,
        url: 'http://notes:3001',
        backedUp: true,
      },
    ],
    services: [...SHARED_SERVICES],
  }

  it('applies STATUS_TARGET_<NAME> overrides to app URLs and probe URLs', async () => {
    const file = join(dir, 'fleet.json')
    await writeFile(file, JSON.stringify(fleet))
    const read = await readFleet(file, {
      STATUS_TARGET_NOTES: 'http://127.0.0.1:4001',
      STATUS_TARGET_CHROMA: 'http://127.0.0.1:8000/readyz',
    })
    assert.equal(read.apps[0]?.url, 'http://127.0.0.1:4001')
    assert.equal(
      read.services.find((s) => s.name === 'chroma')?.probe,
      'http://127.0.0.1:8000/readyz',
    )
    assert.equal(read.services.find((s) => s.name === 'postgres')?.probe, 'tcp://postgres:5432')
  })

  it('names the file and every broken field', async () => {
    const file = join(dir, 'bad.json')
    const bad = {
      apps: [{ ...fleet.apps[0], port: 'x', url: 'notes:3001' }],
      services: [{ name: 'pg', description: '', probe: 'ftp://x' }],
    }
    await writeFile(file, JSON.stringify(bad))
    await assert.rejects(readFleet(file, {}), (error: Error) => {
      assert.match(error.message, /invalid fleet file .*bad\.json/)
      assert.match(error.message, /\/apps\/0\/port/)
      assert.match(error.message, /\/apps\/0\/url/)
      assert.match(error.message, /\/services\/0\/probe/)
      return true
    })
  })

  it('refuses a bad override and a missing file with what to do', async () => {
    const file = join(dir, 'fleet.json')
    await assert.rejects(
      readFleet(file, { STATUS_TARGET_NOTES: 'notes' }),
      /STATUS_TARGET_NOTES is not a URL/,
    )
    await assert.rejects(readFleet(join(dir, 'missing.json'), {}), /run the build to generate it/)
  })
})
