import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AdminConfigError, adminConfigFromEnv } from '../src/admin-config.js'

const SECRET = 'n'.repeat(40)

describe('the Neo4j admin settings', () => {
  test('the provisioner needs the guard in community mode, not in enterprise', () => {
    const base = { NEO4J_ADMIN_URL: 'bolt://neo4j:7687', NEO4J_ADMIN_PASSWORD: 'p' }
    assert.throws(
      () => adminConfigFromEnv(base),
      (error: unknown) => {
        assert.ok(error instanceof AdminConfigError)
        assert.deepEqual(error.problems, [
          'NEO4J_GUARD_URL is required when Neo4j Community is configured',
          'NEO4J_GUARD_SECRET (or NEO4J_GUARD_SECRET_FILE) is required when Neo4j Community is configured',
        ])
        return true
      },
    )
    assert.deepEqual(
      adminConfigFromEnv({
        ...base,
        NEO4J_GUARD_URL: 'http://neo4j-guard:7475',
        NEO4J_GUARD_SECRET: SECRET,
      }).neo4j?.guard,
      { url: 'http://neo4j-guard:7475', secret: SECRET },
    )
    assert.equal(adminConfigFromEnv({ ...base, NEO4J_MODE: 'enterprise' }).neo4j?.guard, undefined)
  })
})
