import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isPortOpen } from '../src/free-port.js'

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const PRINT_URLS =
  'console.log(JSON.stringify({ pg: process.env.TEST_POSTGRES_URL, redis: process.env.TEST_REDIS_URL }))'

function withoutTestUrls(): NodeJS.ProcessEnv {
  const { TEST_POSTGRES_URL: _pg, TEST_REDIS_URL: _redis, ...rest } = process.env
  return rest
}

function runCli(args: string[], env = withoutTestUrls()): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

async function firstLine(child: ChildProcess): Promise<{ pg: string; redis: string }> {
  if (!child.stdout) throw new Error('no stdout')
  for await (const line of createInterface({ input: child.stdout })) return JSON.parse(line)
  throw new Error('the command printed nothing')
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  const [code] = await once(child, 'exit')
  return code
}

const ports = (urls: { pg: string; redis: string }) => [
  Number(new URL(urls.pg).port),
  Number(new URL(urls.redis).port),
]

describe('with-test-services', () => {
  it('gives the command both URLs, passes on its exit code and stops the servers', async () => {
    const child = runCli([process.execPath, '-e', `${PRINT_URLS}; process.exit(3)`])
    const [urls, code] = await Promise.all([firstLine(child), exitCode(child)])
    assert.equal(code, 3)
    assert.match(urls.pg, /^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/postgres$/)
    assert.match(urls.redis, /^redis:\/\/:[0-9a-f]+@127\.0\.0\.1:\d+$/)
    for (const port of ports(urls)) assert.equal(await isPortOpen(port), false)
  })

  it('keeps URLs that are already set and starts nothing', async () => {
    const preset = { pg: 'postgres://u:p@127.0.0.1:1/db', redis: 'redis://:p@127.0.0.1:2' }
    const env = { ...withoutTestUrls(), TEST_POSTGRES_URL: preset.pg, TEST_REDIS_URL: preset.redis }
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
