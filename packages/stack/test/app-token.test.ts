import assert from 'node:assert/strict'
import { test } from 'node:test'
import { appOfToken, appToken, bearerToken } from '../src/app-token.js'

const SECRET = 'a-secret-of-sufficient-length-0123456789'

test('a token names its app for its audience and secret only', () => {
  const token = appToken('embedder', SECRET, 'notes')
  assert.match(token, /^notes\.[A-Za-z0-9_-]{43}$/)
  assert.equal(appOfToken('embedder', SECRET, token), 'notes')
  assert.equal(appOfToken('chroma', SECRET, token), undefined)
  assert.equal(appOfToken('neo4j', SECRET, token), undefined)
  assert.equal(appOfToken('embedder', `${SECRET}x`, token), undefined)
  assert.equal(appOfToken('embedder', '', token), undefined)
})

test('forged tokens name nobody', () => {
  const [, mac] = appToken('embedder', SECRET, 'notes').split('.') as [string, string]
  const forged = [
    `kb.${mac}`,
    `notes.${mac.slice(1)}`,
    `notes.${mac}=`,
    `notes.${mac}.`,
    `.${mac}`,
    'notes',
    'notes.',
    '',
    `Notes.${mac}`,
    `no\u0000tes.${mac}`,
    `notes.${'A'.repeat(100_000)}`,
  ]
  for (const token of forged) assert.equal(appOfToken('embedder', SECRET, token), undefined, token)
})

test('only registry-valid app names and non-empty secrets get a token', () => {
  assert.throws(() => appToken('chroma', SECRET, 'Alpha'), /invalid app name "Alpha"/)
  assert.throws(() => appToken('chroma', SECRET, 'a.b'), /invalid app name/)
  assert.throws(() => appToken('chroma', '', 'alpha'), /secret is empty/)
})

test('the bearer token of an Authorization header', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def')
  assert.equal(bearerToken('bearer  abc'), 'abc')
  assert.equal(bearerToken('Basic abc'), undefined)
  assert.equal(bearerToken('Bearer a b'), undefined)
  assert.equal(bearerToken(undefined), undefined)
  assert.equal(bearerToken(['Bearer a']), undefined)
})
