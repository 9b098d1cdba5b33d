import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import {
  collectionsInQdrantToken,
  isQdrantTokenCurrent,
  mintQdrantToken,
} from '../src/qdrant/index.js'
import { targetFor } from './qdrant-recorder.js'

const KEY = 'qdrant-api-key-for-tests'
const secret = new TextEncoder().encode(KEY)

describe('mintQdrantToken', () => {
  const collections = targetFor('kb', ['docs', 'chunks']).resources.qdrant?.collections ?? []

  test('collection names are app__name from resourcesFor', () => {
    assert.deepEqual(collections, ['kb__docs', 'kb__chunks'])
  })

  test('header and claims have the shape jwt_rbac documents, and nothing more', () => {
    const token = mintQdrantToken(KEY, collections)
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' })
    assert.deepEqual(decodeJwt(token), {
      access: [
        { collection: 'kb__docs', access: 'rw' },
        { collection: 'kb__chunks', access: 'rw' },
      ],
    })
  })

  test('the signature verifies with the API key (independently, with jose) and not with another', async () => {
    const token = mintQdrantToken(KEY, collections)
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] })
    assert.deepEqual(payload.access, decodeJwt(token).access)
    await assert.rejects(
      jwtVerify(token, new TextEncoder().encode('other-key'), { algorithms: ['HS256'] }),
    )
  })

  test('exp is set from a Date or unix seconds, and read-only access can be asked for', () => {
    const at = new Date('2030-01-01T00:00:00Z')
    assert.equal(decodeJwt(mintQdrantToken(KEY, collections, { expiresAt: at })).exp, 1893456000)
    const token = mintQdrantToken(KEY, ['kb__docs'], { expiresAt: 1893456000, access: 'r' })
    assert.deepEqual(decodeJwt(token), {
      access: [{ collection: 'kb__docs', access: 'r' }],
      exp: 1893456000,
    })
    assert.throws(() => mintQdrantToken(KEY, collections, { expiresAt: 1.5 }), /expiresAt/)
  })

  test('never a token without access: no collections is refused', () => {
    assert.throws(() => mintQdrantToken(KEY, []), /master token/)
  })

  test('bad input is refused with the reason', () => {
    assert.throws(() => mintQdrantToken('', collections), /API key .* empty/)
    assert.throws(() => mintQdrantToken(KEY, ['kb__docs', 'kb__docs']), /listed twice/)
    assert.throws(() => mintQdrantToken(KEY, ['']), /invalid collection/)
  })
})

describe('collectionsInQdrantToken', () => {
  test('reads the collections of a scoped token', () => {
    assert.deepEqual(collectionsInQdrantToken(mintQdrantToken(KEY, ['a__x', 'a__y'])), [
      'a__x',
      'a__y',
    ])
  })

  test('refuses a raw API key, a master token and a global-access token', () => {
    const unsigned = (claims: object) =>
      `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
    assert.throws(() => collectionsInQdrantToken(KEY), /not a JWT/)
    assert.throws(() => collectionsInQdrantToken(unsigned({ exp: 1 })), /master token/)
    assert.throws(() => collectionsInQdrantToken(unsigned({ access: 'm' })), /master token/)
  })
})

describe('isQdrantTokenCurrent', () => {
  test('true for the same key and collections; false when anything differs', () => {
    const token = mintQdrantToken(KEY, ['a__x', 'a__y'])
    assert.equal(isQdrantTokenCurrent(token, KEY, ['a__y', 'a__x']), true)
    assert.equal(isQdrantTokenCurrent(token, 'rotated-key', ['a__x', 'a__y']), false)
    assert.equal(isQdrantTokenCurrent(token, KEY, ['a__x']), false)
    assert.equal(isQdrantTokenCurrent(token, KEY, ['a__x', 'a__y', 'a__z']), false)
    assert.equal(
      isQdrantTokenCurrent(mintQdrantToken(KEY, ['a__x'], { access: 'r' }), KEY, ['a__x']),
      false,
    )
    assert.equal(isQdrantTokenCurrent('garbage', KEY, ['a__x']), false)
  })

  test('false when the token expires within the margin', () => {
    const now = Date.UTC(2030, 0, 1)
    const token = mintQdrantToken(KEY, ['a__x'], { expiresAt: now / 1000 + 3600 })
    assert.equal(isQdrantTokenCurrent(token, KEY, ['a__x'], { now, minRemainingSeconds: 60 }), true)
    assert.equal(
      isQdrantTokenCurrent(token, KEY, ['a__x'], { now, minRemainingSeconds: 7200 }),
      false,
    )
  })
})
