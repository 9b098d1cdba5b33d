import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { isPortOpen } from '@flotilla/testkit'
import neo4j from 'neo4j-driver'
import { type Neo4jServer, probeNeo4j, startNeo4j } from '../../src/neo4j/test-server.js'

describe('startNeo4j from Maven Central’s Neo4j Community', () => {
  let server: Neo4jServer

  before(async () => {
    server = await startNeo4j({ env: {} })
  })
  after(() => server?.stop())

  it('answers Cypher over Bolt on 127.0.0.1 with its credentials', async () => {
    assert.equal(server.source, 'maven')
    assert.match(server.url, /^bolt:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(server.user, 'neo4j')
    const driver = neo4j.driver(server.url, neo4j.auth.basic(server.user, server.password))
    try {
      const { records } = await driver.executeQuery(
        'CREATE (n:TestkitCheck {name: $name}) RETURN n.name AS name',
        { name: 'hello' },
      )
      assert.equal(records[0]?.get('name'), 'hello')
      const info = await driver.getServerInfo()
      assert.match(info.agent ?? '', /^Neo4j\/5\.26\./)
      const { records: editions } = await driver.executeQuery(
        'CALL dbms.components() YIELD edition RETURN edition',
      )
      assert.equal(editions[0]?.get('edition'), 'community')
    } finally {
      await driver.close()
    }
  })

  it('has auth on: a wrong password, the default one and no credentials are refused', async () => {
    for (const password of ['not-the-password', 'neo4j', '', 'x'.repeat(48)]) {
      await assert.rejects(
        probeNeo4j(server.url, server.user, password),
        (error: { code?: string }) => error.code === 'Neo.ClientError.Security.Unauthorized',
      )
    }
    // More failures than Neo4j's default lockout allows: a shared server must not lock out.
    await probeNeo4j(server.url, server.user, server.password)
    const anonymous = neo4j.driver(server.url, neo4j.auth.custom('', '', '', 'none'))
    try {
      await assert.rejects(anonymous.executeQuery('RETURN 1'), /Unauthorized|authentication/i)
    } finally {
      await anonymous.close()
    }
  })

  it('keeps the password out of its home once started', () => {
    const home = server.tempDir ?? ''
    assert.ok(existsSync(join(home, 'conf', 'neo4j.conf')))
    assert.equal(existsSync(join(home, 'initial-password')), false)
    assert.ok(!readFileSync(join(home, 'conf', 'neo4j.conf'), 'utf8').includes(server.password))
  })

  it('hands back the server TEST_NEO4J_URL names without starting another', async () => {
    const fromEnv = await startNeo4j({
      env: {
        TEST_NEO4J_URL: server.url,
        TEST_NEO4J_USER: server.user,
        TEST_NEO4J_PASSWORD: server.password,
        NEO4J_URL: 'bolt://127.0.0.1:1',
      },
    })
    assert.equal(fromEnv.source, 'env')
    assert.equal(fromEnv.port, server.port)
    await fromEnv.stop()
    await probeNeo4j(fromEnv.url, fromEnv.user, fromEnv.password)
  })

  it('also honours NEO4J_URL / NEO4J_USER / NEO4J_PASSWORD', async () => {
    const fromEnv = await startNeo4j({
      env: { NEO4J_URL: server.url, NEO4J_PASSWORD: server.password },
    })
    assert.deepEqual([fromEnv.source, fromEnv.user, fromEnv.port], ['env', 'neo4j', server.port])
    await probeNeo4j(fromEnv.url, fromEnv.user, fromEnv.password)
  })

  it('names the variable when the URL is wrong or the password missing', async () => {
    await assert.rejects(
      startNeo4j({ env: { TEST_NEO4J_URL: 'http://127.0.0.1:7474', TEST_NEO4J_PASSWORD: 'x' } }),
      /TEST_NEO4J_URL must start with bolt:\/\/ or neo4j:\/\//,
    )
    await assert.rejects(
      startNeo4j({ env: { NEO4J_URL: server.url } }),
      /NEO4J_URL is set but NEO4J_PASSWORD is not/,
    )
  })
})

describe('stopping Neo4j', () => {
  it('closes the port and deletes its home with the data', async () => {
    const server = await startNeo4j({ env: {} })
    assert.ok(server.tempDir && existsSync(join(server.tempDir, 'data')))
    await server.stop()
    assert.equal(await isPortOpen(server.port), false)
    assert.equal(existsSync(server.tempDir), false)
  })
})
