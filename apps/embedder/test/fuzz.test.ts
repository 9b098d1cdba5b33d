import assert from 'node:assert/strict'
import { buildGuard, guardConfigSchema } from '@flotilla/chroma-guard'
import { DockerUnavailableError, startChroma } from '@flotilla/data/chroma/test-server'
import { loadConfig } from '@flotilla/service'
import { appToken } from '@flotilla/stack'
import { fuzzTest } from '@flotilla/testkit'
import { CHROMA, chromaCredentials, startEmbedder } from './harness.js'

const GUARD_SECRET = 'guard-secret-for-fuzzing-0123456789abcdef'
const ADMIN = 'admin-token-for-fuzzing-0123456789abcdef'
const CALLER_SECRET = 'caller-secret-for-fuzzing-0123456789abcdef'

fuzzTest('embedder', 'on real Redis and Chroma', async () => {
  // Without Docker (a developer's machine) the collection routes are fuzzed answering 503;
  // CI starts Docker, and there they reach Chroma through the real guard.
  const chroma = await startChroma().catch((error: unknown) => {
    if (!(error instanceof DockerUnavailableError)) throw error
    console.log(`# fuzz embedder without Chroma: ${error.message}`)
    return undefined
  })
  const guard = chroma
    ? await buildGuard(
        loadConfig(guardConfigSchema, {
          LOG_LEVEL: 'silent',
          CHROMA_UPSTREAM_URL: chroma.url,
          CHROMA_GUARD_SECRET: GUARD_SECRET,
          CHROMA_ADMIN_TOKEN: ADMIN,
        }),
      )
    : undefined
  const guardUrl = await guard?.listen({ host: '127.0.0.1', port: 0 })
  // The provisioner's part: the embedder's tenant and database.
  for (const [path, name] of [
    ['/api/v2/tenants', CHROMA.tenant],
    [`/api/v2/tenants/${CHROMA.tenant}/databases`, CHROMA.database],
  ] as const) {
    if (!guardUrl) break
    const created = await fetch(`${guardUrl}${path}`, {
      method: 'POST',
      headers: { 'x-chroma-token': ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    })
    assert.equal(created.status, 200, await created.text())
  }
  const embedder = await startEmbedder({
    EMBEDDER_CALLER_SECRET: CALLER_SECRET,
    ...(guardUrl && (await chromaCredentials(guardUrl, GUARD_SECRET))),
  })
  return {
    url: await embedder.app.listen({ host: '127.0.0.1', port: 0 }),
    // A real caller, so the collection routes do their work rather than answer 401.
    headers: { authorization: `Bearer ${await appToken('embedder', CALLER_SECRET, 'notes', {})}` },
    // The offered collections, and the harness's model by its name and its alias.
    values: {
      'path.collection': [...CHROMA.collections],
      'body.model': ['tiny-encoder', 'test-alias'],
    },
    async close() {
      await embedder.close()
      await guard?.close()
      await chroma?.stop()
    },
  }
})
