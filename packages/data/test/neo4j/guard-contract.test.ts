import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { appToken } from '@flotilla/stack'
import { SignJWT } from 'jose'
import { appDataConfigFromEnv } from '../../src/config.js'
import {
  GraphInputError,
  GUARD_ROUTES,
  neo4jGuardToken,
  verifyNeo4jGuardToken,
} from '../../src/neo4j/index.js'
import {
  denyStatements,
  grantStatements,
  neo4jPrincipal,
  provisionNeo4j,
} from '../../src/neo4j/provision.js'
import { targetFor } from '../qdrant-recorder.js'
import { unsigned, withClaims } from '../token-forgery.js'

const SECRET = 'n'.repeat(40)

describe('neo4j-guard tokens', () => {
  test('name the app and the label they were minted with, under the guard secret only', async () => {
    const token = await neo4jGuardToken(SECRET, 'notes', 'App_notes')
    assert.deepEqual(await verifyNeo4jGuardToken(token, SECRET), {
      app: 'notes',
      label: 'App_notes',
    })
    assert.equal(await verifyNeo4jGuardToken(token, 'm'.repeat(40)), undefined)
  })

  test('are refused when forged, tampered, unsigned, expired or truncated', async () => {
    const token = await neo4jGuardToken(SECRET, 'notes', 'App_notes')
    const [header, payload, signature = ''] = token.split('.')
    const key = new TextEncoder().encode(SECRET)
    const signed = (claims: Record<string, unknown>, sub = 'notes') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience('neo4j')
    const forged = [
      withClaims(token, { label: 'App_kb' }),
      withClaims(token, { sub: 'kb', label: 'App_kb' }),
      withClaims(token, { aud: 'chroma' }),
      unsigned(token),
      `${header}.${payload}.${signature.slice(0, -2)}`,
      `${header}.${payload}.`,
      `${header}.${payload}`,
      await signed({ label: 'App_notes' }).setExpirationTime('-1 minute').sign(key),
      // Signed under the secret, but a label no app has, or a name the registry refuses.
      await signed({ label: 'Secret' }).sign(key),
      await signed({ label: 'App_notes' }, 'Notes').sign(key),
      await signed({}).sign(key),
      'notes',
      '',
    ]
    for (const candidate of forged) {
      assert.equal(await verifyNeo4jGuardToken(candidate, SECRET), undefined, candidate)
    }
  })

  test("a Chroma token opens nothing at the Neo4j guard (a guard's own secret)", async () => {
    const chroma = await appToken('chroma', SECRET, 'notes', { tenant: 'notes', database: 'main' })
    assert.equal(await verifyNeo4jGuardToken(chroma, SECRET), undefined)
  })
})

describe('credentials: community apps get the guard and a token, never a login', () => {
  test('a token means the guard client; a database means enterprise Bolt', () => {
    assert.deepEqual(
      appDataConfigFromEnv({
        NEO4J_URL: 'http://neo4j-guard:7475',
        NEO4J_TOKEN: 'kb.sig',
        NEO4J_LABEL: 'App_kb',
      }).graph,
      { url: 'http://neo4j-guard:7475', token: 'kb.sig', label: 'App_kb' },
    )
    assert.deepEqual(
      appDataConfigFromEnv({
        NEO4J_URL: 'bolt://neo4j:7687',
        NEO4J_USER: 'App_kb',
        NEO4J_PASSWORD: 'p',
        NEO4J_DATABASE: 'app-kb',
        NEO4J_LABEL: 'App_kb',
      }).graph,
      {
        url: 'bolt://neo4j:7687',
        user: 'App_kb',
        password: 'p',
        mode: 'enterprise',
        label: 'App_kb',
        database: 'app-kb',
      },
    )
  })

  test('a community login without a token is refused, not used', () => {
    assert.throws(
      () =>
        appDataConfigFromEnv({
          NEO4J_URL: 'bolt://neo4j:7687',
          NEO4J_USER: 'neo4j',
          NEO4J_PASSWORD: 'admin',
          NEO4J_LABEL: 'App_kb',
        }),
      /NEO4J_TOKEN \(community, through neo4j-guard\) or NEO4J_DATABASE \(enterprise\)/,
    )
    assert.throws(
      () => appDataConfigFromEnv({ NEO4J_URL: 'http://g', NEO4J_TOKEN: 't' }),
      /NEO4J_LABEL is required/,
    )
  })
})

describe('enterprise: what an app role is denied (Neo4j 5 privilege syntax)', () => {
  const resources = targetFor('my_notes', undefined, true).resources.neo4j
  if (!resources) throw new Error('no neo4j resources')
  const { role } = neo4jPrincipal(resources)

  test('LOAD CSV, procedures and user-defined functions, boosted or not', () => {
    assert.deepEqual(
      denyStatements(role).map((s) => s.text),
      [
        'DENY LOAD ON ALL DATA TO `App_my_notes`',
        'DENY EXECUTE PROCEDURE * ON DBMS TO `App_my_notes`',
        'DENY EXECUTE BOOSTED PROCEDURE * ON DBMS TO `App_my_notes`',
        'DENY EXECUTE USER DEFINED FUNCTION * ON DBMS TO `App_my_notes`',
        'DENY EXECUTE BOOSTED USER DEFINED FUNCTION * ON DBMS TO `App_my_notes`',
      ],
    )
  })

  test('nothing granted reaches beyond the app database, and nothing executes or loads', () => {
    const granted = grantStatements(resources.database, role).map((s) => s.text)
    for (const text of granted) {
      assert.match(text, /^GRANT /)
      assert.doesNotMatch(text, /EXECUTE|LOAD|DBMS|ALL DATA|\*\s+TO/, text)
    }
    assert.ok(denyStatements(role).every((s) => s.text.startsWith('DENY ')))
  })

  test('a role name cannot break out of its quotes', () => {
    assert.throws(() => denyStatements('App_a\\u0060 TO PUBLIC //'), /backslash/)
    assert.equal(
      denyStatements('x` TO PUBLIC //')[0]?.text,
      'DENY LOAD ON ALL DATA TO `x`` TO PUBLIC //`',
    )
  })
})

describe('provisioning refuses a label that is not an app label', () => {
  test('before connecting to anything', async () => {
    const admin = { url: 'bolt://127.0.0.1:1', user: 'neo4j', password: 'x' }
    for (const label of ['App_a`) DETACH DELETE n //', 'App_a\\u0060', 'Other']) {
      const target = { name: 'evil', resources: { neo4j: { label, database: 'app-evil' } } }
      await assert.rejects(provisionNeo4j(admin, [target], 'community'), GraphInputError, label)
    }
  })
})

describe('the guard contract', () => {
  test('one route per AppGraph primitive, values only in bodies', () => {
    const paths = Object.values(GUARD_ROUTES).map((r) => `${r.method} ${r.path}`)
    assert.equal(new Set(paths).size, paths.length)
    for (const route of Object.values(GUARD_ROUTES)) {
      assert.match(route.path, /^\/v1(\/[a-z]+)+$/, 'fixed paths: no parameters to decode')
      if (route.method === 'GET') assert.ok(!('body' in route), route.path)
      else assert.ok('body' in route, route.path)
    }
  })
})
