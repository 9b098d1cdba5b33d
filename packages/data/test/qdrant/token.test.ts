import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import {
  collectionsInQdrantToken,
  DEFAULT_QDRANT_TOKEN_POLICY,
  isQdrantTokenCurrent,
  mintQdrantToken,
  qdrantTokenExpiry,
} from '../../src/qdrant/index.js'
import { targetFor } from '../qdrant-recorder.js'

const KEY = 'qdrant-api-key-for-tests'
const secret = new TextEncoder().encode(KEY)
const DAY = 86_400
const NOW = Date.UTC(2030, 0, 1)

describe('mintQdrantToken', () => {
  const collections = targetFor('kb', ['docs', 'chunks']).resources.qdrant?.collections ?? []

  test('collection names are app__name from resourcesFor', () => {
    assert.deepEqual(collections, ['kb__docs', 'kb__chunks'])
  })

  test('header and claims have the shape jwt_rbac reads, with exp 30 days out by default', async () => {
    const token = await mintQdrantToken(KEY, collections, { now: NOW })
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' })
    assert.deepEqual(decodeJwt(token), {
      access: [
        { collection: 'kb__docs', access: 'rw' },
        { collection: 'kb__chunks', access: 'rw' },
      ],
      exp: NOW / 1000 + 30 * DAY,
    })
    assert.equal(DEFAULT_QDRANT_TOKEN_POLICY.lifetimeSeconds, 30 * DAY)
  })

  test('the signature verifies with the API key (jose, as Qdrant does) and not with another', async () => {
    const token = await mintQdrantToken(KEY, collections)
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] })
    assert.deepEqual(payload.access, decodeJwt(token).access)
    await assert.rejects(
      jwtVerify(token, new TextEncoder().encode('other-key'), { algorithms: ['HS256'] }),
    )
  })

  test('lifetime and read-only access can be asked for; a bad lifetime is refused', async () => {
    const token = await mintQdrantToken(KEY, ['kb__docs'], {
      lifetimeSeconds: 3600,
      access: 'r',
      now: NOW,
    })
    assert.deepEqual(decodeJwt(token), {
      access: [{ collection: 'kb__docs', access: 'r' }],
      exp: NOW / 1000 + 3600,
    })
    assert.equal(qdrantTokenExpiry(token), NOW / 1000 + 3600)
    for (const lifetimeSeconds of [0, -1, 1.5]) {
      await assert.rejects(mintQdrantToken(KEY, collections, { lifetimeSeconds }), /lifetime/)
    }
  })

  test('never a token without access nor one with an empty list: no collections is refused', async () => {
    await assert.rejects(mintQdrantToken(KEY, []), /empty access list grants nothing/)
  })

  test('bad input is refused with the reason', async () => {
    await assert.rejects(mintQdrantToken('', collections), /API key .* empty/)
    await assert.rejects(mintQdrantToken(KEY, ['kb__docs', 'kb__docs']), /listed twice/)
    await assert.rejects(mintQdrantToken(KEY, ['']), /invalid collection/)
  })
})

describe('collectionsInQdrantToken', () => {
  test('reads the collections of a scoped token', async () => {
    assert.deepEqual(collectionsInQdrantToken(await mintQdrantToken(KEY, ['a__x', 'a__y'])), [
      'a__x',
      'a__y',
    ])
  })

  test('refuses a raw API key, a token without access (full access) and a global one', () => {
    const unsigned = (claims: object) =>
      `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
    assert.throws(() => collectionsInQdrantToken(KEY), /not a JWT/)
    assert.throws(() => collectionsInQdrantToken(unsigned({ exp: 1 })), /full access/)
    assert.throws(() => collectionsInQdrantToken(unsigned({ access: 'm' })), /full access/)
  })
})

describe('isQdrantTokenCurrent', () => {
  test('true for the same key and collections; false when anything differs', async () => {
    const token = await mintQdrantToken(KEY, ['a__x', 'a__y'])
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__y', 'a__x']), true)
    assert.equal(await isQdrantTokenCurrent(token, 'rotated-key', ['a__x', 'a__y']), false)
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__x']), false)
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__x', 'a__y', 'a__z']), false)
    const readOnly = await mintQdrantToken(KEY, ['a__x'], { access: 'r' })
    assert.equal(await isQdrantTokenCurrent(readOnly, KEY, ['a__x']), false)
    assert.equal(await isQdrantTokenCurrent('garbage', KEY, ['a__x']), false)
  })

  test('due for renewal once less than renewBeforeSeconds is left (default 10 of 30 days)', async () => {
    const token = await mintQdrantToken(KEY, ['a__x'], { now: NOW })
    const at = (days: number) => ({ now: NOW + days * DAY * 1000 })
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__x'], at(19)), true)
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__x'], at(20)), false)
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__x'], at(31)), false, 'expired')
    const early = { ...at(5), renewBeforeSeconds: 26 * DAY }
    assert.equal(await isQdrantTokenCurrent(token, KEY, ['a__x'], early), false)
  })

  test('a token without exp (minted before tokens expired) is replaced', async () => {
    const eternal = await new SignJWT({ access: [{ collection: 'a__x', access: 'rw' }] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret)
    assert.equal(await isQdrantTokenCurrent(eternal, KEY, ['a__x']), false)
  })
})
