import assert from 'node:assert/strict'
import { test } from 'node:test'
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose'
import { appToken, appTokenClaims, bearerToken, verifyAppToken } from '../src/app-token.js'

const SECRET = 'a-secret-of-sufficient-length-0123456789'
const key = new TextEncoder().encode(SECRET)
const NOTES = { tenant: 'notes', database: 'main' }

/** `token` with its payload replaced and its signature kept. */
function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.')
  return `${header}.${base64url.encode(JSON.stringify(payload))}.${signature}`
}

test('a token is an HS256 JWT naming its app, its audience and its names there', async () => {
  const token = await appToken('chroma', SECRET, 'notes', NOTES)
  assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' })
  // No exp, no iat: a long-lived credential, the same each time it is provisioned.
  assert.deepEqual(decodeJwt(token), { ...NOTES, sub: 'notes', aud: 'chroma' })
  assert.equal(await appToken('chroma', SECRET, 'notes', NOTES), token)
  assert.deepEqual(await verifyAppToken('chroma', SECRET, token), { app: 'notes', ...NOTES })
  const neo4j = await appToken('neo4j', SECRET, 'notes', { label: 'App_notes' })
  assert.deepEqual(await verifyAppToken('neo4j', SECRET, neo4j), {
    app: 'notes',
    label: 'App_notes',
  })
})

test('a token opens nothing under another audience or secret', async () => {
  const token = await appToken('embedder', SECRET, 'notes', {})
  assert.deepEqual(await verifyAppToken('embedder', SECRET, token), { app: 'notes' })
  assert.equal(await verifyAppToken('chroma', SECRET, token), undefined)
  assert.equal(await verifyAppToken('neo4j', SECRET, token), undefined)
  assert.equal(await verifyAppToken('embedder', `${SECRET}x`, token), undefined)
  assert.equal(await verifyAppToken('embedder', '', token), undefined)
})

test('forged, tampered, unsigned, expired and garbled tokens name nobody', async () => {
  const token = await appToken('chroma', SECRET, 'notes', NOTES)
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const sign = (claims: Record<string, unknown>, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg }).setSubject('notes').setAudience('chroma')
  const forged = [
    // Another app's tenant, or another app, under notes' signature.
    withPayload(token, { ...NOTES, tenant: 'kb', sub: 'notes', aud: 'chroma' }),
    withPayload(token, { ...NOTES, sub: 'kb', aud: 'chroma' }),
    withPayload(token, { ...NOTES, sub: 'notes', aud: ['chroma', 'neo4j'] }),
    `${header}.${payload}.${signature.slice(1)}`,
    `${header}.${payload}.`,
    `${header}.${payload}`,
    new UnsecuredJWT({ ...NOTES }).setSubject('notes').setAudience('chroma').encode(),
    // alg none with the real payload and signature.
    `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${payload}.${signature}`,
    await sign({ ...NOTES })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key),
    await sign({ ...NOTES }, 'HS512').sign(key),
    // Signed with the right secret but not the audience's names.
    await sign({ tenant: 'notes' }).sign(key),
    await sign({ ...NOTES, tenant: 'no/tes' }).sign(key),
    await sign({ ...NOTES, extra: 'x' }).sign(key),
    await new SignJWT({ ...NOTES })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('Notes')
      .setAudience('chroma')
      .sign(key),
    'notes',
    '',
    `no\u0000tes.${payload}.${signature}`,
    `${header}.${'A'.repeat(100_000)}.${signature}`,
  ]
  for (const candidate of forged) {
    assert.equal(await verifyAppToken('chroma', SECRET, candidate), undefined, candidate)
  }
})

test("an app reads its token's claims without the secret, to check its credential file", async () => {
  const token = await appToken('chroma', SECRET, 'notes', NOTES)
  assert.deepEqual(appTokenClaims('chroma', token), { app: 'notes', ...NOTES })
  assert.equal(appTokenClaims('neo4j', token), undefined)
  assert.equal(appTokenClaims('chroma', 'notes.abc'), undefined)
})

test('only registry-valid app names, names and non-empty secrets get a token', async () => {
  await assert.rejects(appToken('chroma', SECRET, 'Alpha', NOTES), /invalid app name "Alpha"/)
  await assert.rejects(appToken('chroma', SECRET, 'a.b', NOTES), /invalid app name/)
  await assert.rejects(appToken('chroma', '', 'alpha', NOTES), /secret is empty/)
  await assert.rejects(
    appToken('chroma', SECRET, 'alpha', { tenant: 'a/b', database: 'main' }),
    /invalid chroma token claims/,
  )
})

test('the bearer token of an Authorization header', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def')
  assert.equal(bearerToken('bearer  abc'), 'abc')
  assert.equal(bearerToken('Basic abc'), undefined)
  assert.equal(bearerToken('Bearer a b'), undefined)
  assert.equal(bearerToken(undefined), undefined)
  assert.equal(bearerToken(['Bearer a']), undefined)
})
