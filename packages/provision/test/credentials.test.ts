import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { verifyNeo4jGuardToken } from '@flotilla/data/neo4j'
import { neo4jCredentials } from '@flotilla/data/neo4j/credentials'
import { postgresCredentials } from '@flotilla/data/postgres/credentials'
import type { CredentialContext } from '@flotilla/data/provision-types'
import { makeRepo } from '../../data/test/fixtures.js'
import { appEnvPath, provisionRepository } from '../src/index.js'

// Each store's part of the credential file, where no live server can show it: Neo4j
// Enterprise cannot run here, so its part is checked as the provisioner calls it.
const context = (password?: string): CredentialContext => ({
  existing: {},
  ...(password === undefined ? {} : { password }),
  path: '/secrets/apps/notes.env',
  log: () => {},
})
const names = { database: 'app-notes', label: 'App_notes' }
const enterprise = {
  url: 'bolt://neo4j:7687',
  appUrl: 'bolt://db:7687',
  mode: 'enterprise' as const,
}
const community = {
  url: 'bolt://neo4j:7687',
  mode: 'community' as const,
  guard: { url: 'http://neo4j-guard:7475', secret: 'neo4j-guard-secret-for-the-test' },
}

describe('neo4j credentials', () => {
  test('enterprise keeps a password only beside its database; community has none', () => {
    const password = neo4jCredentials.password
    assert.ok(password)
    assert.deepEqual(password(enterprise, { NEO4J_PASSWORD: 'kept' }), { kept: undefined })
    assert.deepEqual(
      password(enterprise, { NEO4J_DATABASE: 'app-notes', NEO4J_PASSWORD: 'kept' }),
      {
        kept: 'kept',
      },
    )
    assert.equal(password(community, { NEO4J_DATABASE: 'x', NEO4J_PASSWORD: 'kept' }), undefined)
  })

  test('enterprise: the app’s own Bolt user, password and database', async () => {
    const part = await neo4jCredentials.forApp('notes', names, enterprise, context('pw-1'))
    assert.deepEqual(part, {
      env: {
        NEO4J_LABEL: 'App_notes',
        NEO4J_URL: 'bolt://db:7687',
        NEO4J_USER: 'App_notes',
        NEO4J_PASSWORD: 'pw-1',
        NEO4J_DATABASE: 'app-notes',
      },
      changes: [],
    })
  })

  test('community: the guard and a token naming the app and its label, no Bolt login', async () => {
    const { env } = await neo4jCredentials.forApp('notes', names, community, context())
    assert.deepEqual(Object.keys(env), ['NEO4J_LABEL', 'NEO4J_URL', 'NEO4J_TOKEN'])
    assert.equal(env.NEO4J_URL, 'http://neo4j-guard:7475')
    const claims = await verifyNeo4jGuardToken(env.NEO4J_TOKEN as string, community.guard.secret)
    assert.equal(claims?.app, 'notes')
    assert.equal(claims?.label, 'App_notes')
  })
})

describe('postgres credentials', () => {
  const admin = { url: 'postgres://admin:x@127.0.0.1:5432/postgres', appHost: 'postgres:5432' }
  const db = { database: 'notes', role: 'notes' }

  test('the password is read back from the DATABASE_URL the last run wrote', async () => {
    const { env } = await postgresCredentials.forApp('notes', db, admin, context('p@ss/wörd'))
    assert.equal(env.DATABASE_URL?.startsWith('postgres://notes:'), true)
    assert.equal(env.DATABASE_URL?.endsWith('@postgres:5432/notes'), true)
    assert.deepEqual(postgresCredentials.password?.(admin, env), { kept: 'p@ss/wörd' })
    assert.deepEqual(postgresCredentials.password?.(admin, {}), { kept: undefined })
  })

  test('without its password the part is refused, never written with an empty one', async () => {
    await assert.rejects(
      postgresCredentials.forApp('notes', db, admin, context()),
      /postgres: no password for app notes/,
    )
  })
})

describe('the credential file', () => {
  // No store: only the embedder's variables, so no server is needed.
  const apps = [
    { name: 'embedder', stores: {} },
    { name: 'plain', stores: {} },
  ]
  const admin = async () => ({
    secretsDir: await mkdtemp(join(tmpdir(), 'flotilla-credentials-')),
    embedderCallerSecret: 'embedder-caller-secret-for-the-credentials-test',
  })

  test('a file holding the same variables in another order is left as it is', async () => {
    const root = await makeRepo(apps)
    const config = await admin()
    const path = appEnvPath(config.secretsDir, 'plain')
    try {
      assert.equal((await provisionRepository(root, config)).length, 2)
      const [header, url, token] = (await readFile(path, 'utf8')).split('\n')
      assert.match(url ?? '', /^EMBEDDER_URL=/)
      const reordered = `${header}\n${token}\n${url}\n`
      await writeFile(path, reordered)
      assert.deepEqual(await provisionRepository(root, config), [])
      assert.equal(await readFile(path, 'utf8'), reordered)

      await writeFile(path, `${header}\n${url}\nEMBEDDER_TOKEN=stale\n`)
      assert.deepEqual(
        (await provisionRepository(root, config)).map((c) => c.action),
        ['write credentials'],
      )
      assert.equal(await readFile(path, 'utf8'), `${header}\n${url}\n${token}\n`)
    } finally {
      await rm(root, { recursive: true, force: true })
      await rm(config.secretsDir, { recursive: true, force: true })
    }
  })
})
