import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { appToken } from '@flotilla/stack'
import { base64url } from 'jose'
import { decideAccess } from '../src/access.js'
import { identify, tokenFromHeaders } from '../src/token.js'

const secrets = { guardSecret: 's'.repeat(40), adminToken: 'a'.repeat(40) }
const place = { tenant: 'alpha', database: 'main' }
const alpha = { kind: 'app', app: 'alpha', ...place } as const
const id = '9f00aca0-aced-4ad5-bf99-7428aa72aaed'
const db = '/api/v2/tenants/alpha/databases/main'

describe('app tokens', () => {
  it('identify the app they were minted for, with the tenant and database they name', async () => {
    const token = await appToken('chroma', secrets.guardSecret, 'alpha', place)
    assert.deepEqual(await identify(token, secrets), alpha)
  })

  it('are refused when a claim or the signature is changed', async () => {
    const token = await appToken('chroma', secrets.guardSecret, 'alpha', place)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
    const tampered = (change: object) =>
      `${header}.${base64url.encode(JSON.stringify({ ...claims, ...change }))}.${signature}`
    const refused = [
      tampered({ tenant: 'beta' }),
      tampered({ database: 'other' }),
      tampered({ sub: 'beta' }),
      `${header}.${payload}.${signature.slice(2)}`,
      `${base64url.encode('{"alg":"none"}')}.${payload}.`,
      await appToken('chroma', 'another secret', 'alpha', place),
      // Another service's token for the same app, even under the same secret.
      await appToken('embedder', secrets.guardSecret, 'alpha', {}),
      'alpha',
      '',
    ]
    for (const candidate of refused) {
      assert.equal(await identify(candidate, secrets), undefined, candidate)
    }
  })

  it('recognise the admin token', async () => {
    assert.deepEqual(await identify(secrets.adminToken, secrets), { kind: 'admin' })
  })

  it('are read from x-chroma-token or a Bearer authorization', () => {
    assert.equal(tokenFromHeaders({ 'x-chroma-token': 't1' }), 't1')
    assert.equal(tokenFromHeaders({ authorization: 'Bearer t2' }), 't2')
    assert.equal(tokenFromHeaders({ authorization: 'Basic dDI=' }), undefined)
  })
})

describe('decideAccess for an app token', () => {
  const allowed: Array<[string, string]> = [
    ['GET', '/api/v2/heartbeat'],
    ['GET', '/api/v2/pre-flight-checks'],
    ['GET', '/api/v2/tenants/alpha'],
    ['GET', db],
    ['GET', `${db}/collections?limit=10&offset=0`],
    ['POST', `${db}/collections`],
    ['GET', `${db}/collections_count`],
    ['GET', `${db}/collections/notes`],
    ['DELETE', `${db}/collections/notes`],
  ]
  for (const [method, url] of allowed) {
    it(`forwards ${method} ${url}`, () => {
      assert.deepEqual(decideAccess(method, url, alpha), { action: 'forward' })
    })
  }

  for (const [method, operation] of [
    ['POST', 'add'],
    ['POST', 'query'],
    ['GET', 'count'],
  ] as const) {
    it(`checks ownership of the collection for ${operation}`, () => {
      assert.deepEqual(decideAccess(method, `${db}/collections/${id}/${operation}`, alpha), {
        action: 'forward-if-owned',
        place,
        collectionId: id,
      })
    })
  }

  it('answers the identity request itself', () => {
    assert.deepEqual(decideAccess('GET', '/api/v2/auth/identity', alpha), {
      action: 'identity',
      app: 'alpha',
      place,
    })
  })

  it("follows the token's tenant and database, not the app's name", () => {
    const elsewhere = { kind: 'app', app: 'alpha', tenant: 't_one', database: 'd_two' } as const
    const own = '/api/v2/tenants/t_one/databases/d_two/collections'
    assert.deepEqual(decideAccess('GET', own, elsewhere), { action: 'forward' })
    assert.equal(decideAccess('GET', `${db}/collections`, elsewhere).action, 'refuse')
    const other = '/api/v2/tenants/t_one/databases/main/collections'
    assert.equal(decideAccess('GET', other, elsewhere).action, 'refuse')
  })

  const refused: Array<[string, string]> = [
    ['GET', '/api/v2/tenants/beta'],
    ['POST', `${db.replace('alpha', 'beta')}/collections`],
    ['POST', '/api/v2/tenants'],
    ['POST', '/api/v2/tenants/alpha/databases'],
    ['DELETE', db],
    ['GET', '/api/v2/tenants/alpha/databases/other/collections'],
    ['POST', '/api/v2/reset'],
    ['GET', '/api/v1/heartbeat'],
    ['GET', '/api/v2/collections/beta:main:notes'],
    ['GET', `${db}/../../beta/databases/main/collections`],
    ['GET', `${db}/./collections`],
    ['GET', '/api/v2/tenants/alpha%2F..%2Fbeta/databases/main/collections'],
    ['GET', '/api/v2/tenants/alpha/databases/main//collections'],
    ['GET', '//api/v2/tenants/beta'],
    ['GET', '/API/v2/tenants/alpha'],
    ['GET', '/api/v2/tenants/ALPHA/databases/main/collections'],
    ['POST', `${db}/collections/${id}/fork`],
    ['POST', `${db}/collections/${id.toUpperCase()}/add`],
    ['GET', `${db}/collections/${id}/add`],
  ]
  for (const [method, url] of refused) {
    it(`refuses ${method} ${url}`, () => {
      assert.equal(decideAccess(method, url, alpha).action, 'refuse')
    })
  }
})

describe('decideAccess for the admin token', () => {
  it('forwards tenant creation and reset', () => {
    assert.equal(decideAccess('POST', '/api/v2/tenants', { kind: 'admin' }).action, 'forward')
    assert.equal(decideAccess('POST', '/api/v2/reset', { kind: 'admin' }).action, 'forward')
  })

  it('still refuses non-canonical paths', () => {
    assert.equal(decideAccess('GET', '/api/v2/a/../b', { kind: 'admin' }).action, 'refuse')
  })
})
