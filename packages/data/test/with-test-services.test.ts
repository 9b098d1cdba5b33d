import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isPortOpen } from '@flotilla/testkit'

const cli = fileURLToPath(new URL('../src/with-test-services.ts', import.meta.url))
const PRINT_URLS = `console.log(JSON.stringify({
  pg: process.env.TEST_POSTGRES_URL,
  redis: process.env.TEST_REDIS_URL,
  neo4j: process.env.TEST_NEO4J_URL,
  neo4jUser: process.env.TEST_NEO4J_USER,
  neo4jPassword: process.env.TEST_NEO4J_PASSWORD,
}))`

interface Printed {
  pg: string
  redis: string
  neo4j: string
  neo4jUser: string
  neo4jPassword: string
}

const NAMED_SERVER = /^(TEST_)?(POSTGRES|REDIS|NEO4J)_/

function withoutTestUrls(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !NAMED_SERVER.test(key)))
}

function runCli(args: string[], env = withoutTestUrls()): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

async function firstLine(child: ChildProcess): Promise<Printed> {
  if (!child.stdout) throw new Error('no stdout')
  for await (const line of createInterface({ input: child.stdout })) return JSON.parse(line)
  throw new Error('the command printed nothing')
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  const [code] = await once(child, 'exit')
  return code
}

const ports = (urls: Printed) => [
  Number(new URL(urls.pg).port),
  Number(new URL(urls.redis).port),
  Number(new URL(urls.neo4j).port),
]

describe('with-test-services', () => {
  it('gives the command every URL, passes on its exit code and stops the servers', async () => {
    const child = runCli([process.execPath, '-e', `${PRINT_URLS}; process.exit(3)`])
    const [urls, code] = await Promise.all([firstLine(child), exitCode(child)])
    assert.equal(code, 3)
    assert.match(urls.pg, /^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/postgres$/)
    assert.match(urls.redis, /^redis:\/\/:[0-9a-f]+@127\.0\.0\.1:\d+$/)
    assert.match(urls.neo4j, /^bolt:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(urls.neo4jUser, 'neo4j')
    assert.match(urls.neo4jPassword, /^[0-9a-f]{48}$/)
    for (const port of ports(urls)) assert.equal(await isPortOpen(port), false)
  })

  it('keeps URLs that are already set and starts nothing', async () => {
    const preset = {
      pg: 'postgres://u:p@127.0.0.1:1/db',
      redis: 'redis://:p@127.0.0.1:2',
      neo4j: 'bolt://127.0.0.1:3',
      neo4jUser: 'u',
      neo4jPassword: 'p',
    }
    const env = {
      ...withoutTestUrls(),
      TEST_POSTGRES_URL: preset.pg,
      TEST_REDIS_URL: preset.redis,
      TEST_NEO4J_URL: preset.neo4j,
      TEST_NEO4J_USER: preset.neo4jUser,
      TEST_NEO4J_PASSWORD: preset.neo4jPassword,
    }
    const child = runCli([process.execPath, '-e', PRINT_URLS], env)
    const [urls, code] = await Promise.all([firstLine(child), exitCode(child)])
    assert.equal(code, 0)
    assert.deepEqual(urls, preset)
  })

  it('on SIGTERM stops the command and the servers', async () => {
    const child = runCli([process.execPath, '-e', `${PRINT_URLS}; setInterval(() => {}, 1000)`])
    const urls = await firstLine(child)
    for (const port of ports(urls)) assert.equal(await isPortOpen(port), true)
    const exited = exitCode(child)
    child.kill('SIGTERM')
    assert.equal(await exited, 128 + 15)
    for (const port of ports(urls)) assert.equal(await isPortOpen(port), false)
  })

  it('explains its usage when given no command', async () => {
    const child = runCli([])
    let stderr = ''
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    assert.equal(await exitCode(child), 2)
    assert.match(stderr, /usage: with-test-services <command>/)
  })
})
