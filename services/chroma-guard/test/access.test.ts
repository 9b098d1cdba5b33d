import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { appToken } from '@flotilla/stack'
import { decideAccess } from '../src/access.js'
import { identify, tokenFromHeaders } from '../src/token.js'

const secrets = { guardSecret: 's'.repeat(40), adminToken: 'a'.repeat(40) }
const alpha = { kind: 'app', app: 'alpha' } as const
const id = '9f00aca0-aced-4ad5-bf99-7428aa72aaed'
const db = '/api/v2/tenants/alpha/databases/main'

describe('app tokens', () => {
  it('identify the app they were minted for', () => {
    assert.deepEqual(identify(appToken('chroma', secrets.guardSecret, 'alpha'), secrets), alpha)
  })

  it('are refused when the app part or the signature is changed', () => {
    const [, signature] = appToken('chroma', secrets.guardSecret, 'alpha').split('.')
    assert.equal(identify(`beta.${signature}`, secrets), undefined)
    assert.equal(identify(appToken('chroma', 'another secret', 'alpha'), secrets), undefined)
    assert.equal(identify('alpha', secrets), undefined)
    assert.equal(identify('', secrets), undefined)
    // Another service's token for the same app, even under the same secret.
    assert.equal(identify(appToken('embedder', secrets.guardSecret, 'alpha'), secrets), undefined)
  })

  it('recognise the admin token', () => {
    assert.deepEqual(identify(secrets.adminToken, secrets), { kind: 'admin' })
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
        app: 'alpha',
        collectionId: id,
      })
    })
  }

  it('answers the identity request itself', () => {
    assert.deepEqual(decideAccess('GET', '/api/v2/auth/identity', alpha), {
      action: 'identity',
      app: 'alpha',
    })
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
