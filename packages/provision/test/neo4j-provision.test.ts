import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { openGraph } from '@flotilla/data'
import {
  constraintName,
  constraintStatement,
  createDatabaseStatement,
  createRoleStatement,
  createUserStatement,
  grantRoleStatement,
  grantStatements,
  neo4jPrincipal,
  provisionNeo4j,
  setPasswordStatement,
} from '@flotilla/data/neo4j/provision'
import { type Neo4jServer, startNeo4j } from '@flotilla/data/neo4j/test-server'
import neo4j, { type Driver } from 'neo4j-driver'
import { targetFor } from '../../data/test/qdrant-recorder.js'

const notes = targetFor('my_notes', undefined, true).resources.neo4j
if (!notes) throw new Error('resourcesFor gave no neo4j resources')

describe('neo4j provisioning statements (documented administration syntax)', () => {
  test('names come from resourcesFor; role and user are the label, never a built-in role', () => {
    assert.deepEqual(notes, { database: 'app-my-notes', label: 'App_my_notes' })
    assert.deepEqual(neo4jPrincipal(notes), { role: 'App_my_notes', user: 'App_my_notes' })
    assert.deepEqual(
      neo4jPrincipal(targetFor('editor', undefined, true).resources.neo4j ?? notes),
      {
        role: 'App_editor',
        user: 'App_editor',
      },
    )
  })

  test('uniqueness constraint on (label, id), idempotent', () => {
    assert.equal(
      constraintStatement('App_my_notes').text,
      'CREATE CONSTRAINT `App_my_notes_id_unique` IF NOT EXISTS FOR (n:`App_my_notes`) REQUIRE n.id IS UNIQUE',
    )
  })

  test('enterprise: database, role, grants on that database only, user with home database', () => {
    const { database } = notes
    const { role, user } = neo4jPrincipal(notes)
    assert.equal(
      createDatabaseStatement(database).text,
      'CREATE DATABASE `app-my-notes` IF NOT EXISTS WAIT',
    )
    assert.equal(createRoleStatement(role).text, 'CREATE ROLE `App_my_notes` IF NOT EXISTS')
    assert.deepEqual(
      grantStatements(database, role).map((s) => s.text),
      [
        'GRANT ACCESS ON DATABASE `app-my-notes` TO `App_my_notes`',
        'GRANT MATCH {*} ON GRAPH `app-my-notes` TO `App_my_notes`',
        'GRANT WRITE ON GRAPH `app-my-notes` TO `App_my_notes`',
        'GRANT NAME MANAGEMENT ON DATABASE `app-my-notes` TO `App_my_notes`',
      ],
    )
    const all = [...grantStatements(database, role), createDatabaseStatement(database)]
      .map((s) => s.text)
      .join('\n')
    assert.ok(!/\*\s+TO|GRAPHS? \*|DATABASES? \*|DBMS/.test(all), 'no privilege on * or the DBMS')
    assert.equal(
      createUserStatement(user, database).text,
      'CREATE USER `App_my_notes` IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED SET HOME DATABASE `app-my-notes`',
    )
    assert.equal(
      setPasswordStatement(user).text,
      'ALTER USER `App_my_notes` SET PASSWORD $password CHANGE NOT REQUIRED',
    )
    assert.equal(grantRoleStatement(role, user).text, 'GRANT ROLE `App_my_notes` TO `App_my_notes`')
  })

  test('passwords are parameters, never in statement text', () => {
    for (const s of [createUserStatement('u', 'd'), setPasswordStatement('u')]) {
      assert.match(s.text, /SET PASSWORD \$password /)
    }
  })

  test('a name cannot break out of its quotes', () => {
    assert.equal(
      createDatabaseStatement('x` IF NOT EXISTS; DROP DATABASE neo4j //').text,
      'CREATE DATABASE `x`` IF NOT EXISTS; DROP DATABASE neo4j //` IF NOT EXISTS WAIT',
    )
  })

  test('enterprise mode without a password for every app is refused before connecting', async () => {
    const admin = { url: 'bolt://127.0.0.1:1', user: 'neo4j', password: 'x' }
    const apps = [
      targetFor('alpha', undefined, true),
      targetFor('beta', undefined, true),
      targetFor('gamma', ['d']),
    ]
    await assert.rejects(
      provisionNeo4j(admin, apps, 'enterprise', {
        passwords: { alpha: { password: 'p', isNew: true } },
      }),
      /needs a password for beta$/,
    )
    await assert.rejects(provisionNeo4j(admin, apps, 'other' as never), /unknown mode "other"/)
  })

  test('openGraph: enterprise needs the database; unknown modes are refused', () => {
    const base = { url: 'bolt://127.0.0.1:1', user: 'u', password: 'p', label: notes.label }
    assert.throws(() => openGraph({ ...base, mode: 'enterprise' }), /needs the app database/)
    assert.throws(() => openGraph({ ...base, mode: 'cluster' as never }), /unknown mode/)
  })
})

describe('community provisioning on a real Neo4j', () => {
  let server: Neo4jServer
  let driver: Driver
  const app = targetFor(`prov${randomBytes(3).toString('hex')}`, undefined, true)
  const label = app.resources.neo4j?.label ?? ''
  const other = `${label}_other`
  const user = `prov_user_${randomBytes(3).toString('hex')}`

  before(async () => {
    server = await startNeo4j()
    driver = neo4j.driver(server.url, neo4j.auth.basic(server.user, server.password))
  })
  after(async () => {
    if (!driver) return
    try {
      for (const l of [label, other])
        await driver.executeQuery(`MATCH (n:\`${l}\`) DETACH DELETE n`)
      await driver.executeQuery(`DROP CONSTRAINT \`${constraintName(label)}\` IF EXISTS`)
      await driver.executeQuery(`DROP USER \`${user}\` IF EXISTS`, {}, { database: 'system' })
    } finally {
      await driver.close()
      await server.stop()
    }
  })

  test('creates the (label, id) uniqueness constraint once; it holds for that label only', async () => {
    const admin = { url: server.url, user: server.user, password: server.password }
    assert.deepEqual(await provisionNeo4j(admin, [app], 'community'), [
      {
        store: 'neo4j',
        app: app.name,
        action: 'create constraint',
        detail: constraintName(label),
      },
    ])
    assert.deepEqual(await provisionNeo4j(admin, [app], 'community'), [], 'second run: no change')
    const { records } = await driver.executeQuery(
      'SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties WHERE name = $name RETURN *',
      { name: constraintName(label) },
    )
    assert.equal(records.length, 1)
    assert.equal(records[0]?.get('type'), 'UNIQUENESS')
    assert.deepEqual(records[0]?.get('labelsOrTypes'), [label])
    assert.deepEqual(records[0]?.get('properties'), ['id'])

    await driver.executeQuery(`CREATE (:\`${label}\` {id: 'same'})`)
    await assert.rejects(
      driver.executeQuery(`CREATE (:\`${label}\` {id: 'same'})`),
      (error: { code?: string }) =>
        error.code === 'Neo.ClientError.Schema.ConstraintValidationFailed',
    )
    await driver.executeQuery(`CREATE (:\`${other}\` {id: 'same'})`)
  })

  test('the password statement takes the password as a parameter, and it works', async () => {
    const first = randomBytes(18).toString('hex')
    const second = randomBytes(18).toString('hex')
    await driver.executeQuery(
      `CREATE USER \`${user}\` SET PASSWORD $password CHANGE NOT REQUIRED`,
      { password: first },
      { database: 'system' },
    )
    const statement = setPasswordStatement(user)
    assert.ok(!statement.text.includes(second))
    await driver.executeQuery(statement.text, { password: second }, { database: 'system' })
    const login = async (password: string) => {
      const session = neo4j.driver(server.url, neo4j.auth.basic(user, password))
      try {
        await session.executeQuery('RETURN 1')
      } finally {
        await session.close()
      }
    }
    await login(second)
    await assert.rejects(login(first), /authentication failure|Unauthorized/i)
  })
})
