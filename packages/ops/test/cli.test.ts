import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { COMPOSE_NEEDED } from '@flotilla/stack'
import type { Runner } from '../src/run.js'
import { stackTarget } from '../src/stack-target.js'

const cli = join(import.meta.dirname, '../src/cli.ts')
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' })

const COMMANDS = ['new-app', 'deploy', 'backup', 'restore', 'healthcheck', 'image-report']

test('every command refuses an option that is not its own: one line, exit 2, nothing done', () => {
  // Each is an option another command has, so a shared option table would have let it through.
  const foreign: Record<string, string> = {
    'new-app': '--json',
    deploy: '--keep=3',
    backup: '--timeout=5',
    restore: '--prune',
    healthcheck: '--tier=base',
    'image-report': '--env',
  }
  for (const command of COMMANDS) {
    const result = run(command, 'x', foreign[command] as string)
    assert.equal(result.status, 2, `${command}: ${result.stderr}`)
    const lines = result.stderr.trim().split('\n')
    assert.equal(lines.length, 1, `${command}: ${result.stderr}`)
    assert.match(lines[0] ?? '', new RegExp(`^${command}: Unknown option '--\\w+'`))
  }
})

test('an argument too many is refused the same way', () => {
  const result = run('healthcheck', 'notes')
  assert.equal(result.status, 2, result.stderr)
  assert.equal(
    result.stderr.trim(),
    'healthcheck: unexpected argument "notes" (scripts/healthcheck --help)',
  )
})

test('every command answers --help, the stack commands with how the stack is found', () => {
  for (const command of COMMANDS) {
    const result = run(command, '--help')
    assert.equal(result.status, 0, `${command}: ${result.stderr}`)
    assert.match(result.stdout, new RegExp(`^usage: scripts/${command} `))
    if (command !== 'new-app')
      assert.match(result.stdout, /-p\/--project NAME, else COMPOSE_PROJECT_NAME/)
  }
  assert.match(
    run('healthcheck', '--help').stdout,
    /^ {2}3 {2}none failed, but one is still starting/m,
  )
})

const dir = mkdtempSync(join(tmpdir(), 'flotilla-target-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const v2: Runner = async () => ({ code: 0, stdout: '2.40.3\n', stderr: '' })

test("the stack: name: of the checkout's compose file; COMPOSE_PROJECT_NAME and -p override it", async () => {
  const file = join(dir, 'docker-compose.yml')
  writeFileSync(file, 'name: flotilla\nservices:\n  a:\n    image: x\n')
  const named = await stackTarget(dir, {}, {}, v2)
  assert.equal(named.project, 'flotilla')
  assert.equal(named.projectFrom, `name: in ${file}`)
  assert.deepEqual(named.compose.slice(-6), [
    '-p',
    'flotilla',
    '-f',
    file,
    '--project-directory',
    dir,
  ])
  const fromEnv = await stackTarget(dir, {}, { COMPOSE_PROJECT_NAME: 'staging' }, v2)
  assert.equal(fromEnv.project, 'staging')
  const fromFlag = await stackTarget(
    dir,
    { project: 'other' },
    { COMPOSE_PROJECT_NAME: 'staging' },
    v2,
  )
  assert.deepEqual([fromFlag.project, fromFlag.projectFrom], ['other', '--project'])
})

test("no name: compose's default, the folder name; COMPOSE_FILE names the files", async () => {
  const root = join(dir, 'My.Checkout-1')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(root)
  writeFileSync(join(root, 'docker-compose.yml'), 'services: {}\n')
  writeFileSync(join(root, 'extra.yml'), 'services: {}\n')
  const target = await stackTarget(root, {}, {}, v2)
  assert.equal(target.project, 'mycheckout-1')
  const files = await stackTarget(
    root,
    {},
    { COMPOSE_FILE: `docker-compose.yml:${join(root, 'extra.yml')}` },
    v2,
  )
  assert.deepEqual(files.files, [join(root, 'docker-compose.yml'), join(root, 'extra.yml')])
  await assert.rejects(stackTarget(join(dir, 'none'), {}, {}, v2), /no compose file/)
})

test('only Compose v2.34+ is used: v1 alone or an older v2 is refused with the version needed', async () => {
  const v1: Runner = async () => ({
    code: 1,
    stdout: '',
    stderr: "docker: 'compose' is not a docker command.",
  })
  await assert.rejects(stackTarget(dir, { project: 'x' }, {}, v1), (error: Error) =>
    error.message.startsWith(`${COMPOSE_NEEDED}; \`docker compose\` is not installed`),
  )
  const old: Runner = async () => ({ code: 0, stdout: '2.26.1-4\n', stderr: '' })
  await assert.rejects(stackTarget(dir, { project: 'x' }, {}, old), {
    message: `${COMPOSE_NEEDED}; found 2.26.1-4`,
  })
})
