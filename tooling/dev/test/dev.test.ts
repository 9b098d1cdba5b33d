/**
 * `npm run dev` as a person runs it: the real command in its own process, on a registry of
 * notes, kb (the real apps) and a scratch app written here, with real PostgreSQL, Redis and
 * Neo4j from the testkit. Through the one port: a note and a kb document are created and read
 * back; an edit to the scratch app's source adds a route that then answers; a second run finds
 * the first run's data; SIGTERM leaves no process behind.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const MAIN = join(REPO, 'tooling', 'dev', 'src', 'main.ts')
const STARTED = /every app behind one port/
/** A first Neo4j start on a busy 2-core machine, plus three apps under tsx. */
const START_TIMEOUT_MS = 600_000

const SCRATCH_MAIN = `import { createService, loadConfigOrExit, serviceConfig, startService } from '@flotilla/service'

const config = loadConfigOrExit(serviceConfig({}))
const app = await createService({ name: 'scratch', version: '0.0.0', config })
app.get('/scratch/', async () => ({ version: 1 }))
// ROUTES
await startService(app, config)
`

let root: string

before(() => {
  root = mkdtempSync(join(tmpdir(), 'flotilla-dev-test-'))
  // PostgreSQL runs as its own user when we are root: it must reach its data folder.
  chmodSync(root, 0o755)
  mkdirSync(join(root, 'apps', 'scratch', 'src'), { recursive: true })
  for (const app of ['notes', 'kb']) symlinkSync(join(REPO, 'apps', app), join(root, 'apps', app))
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'))
  writeFileSync(
    join(root, 'apps', 'scratch', 'package.json'),
    JSON.stringify({
      name: '@flotilla/scratch',
      version: '0.0.0',
      private: true,
      type: 'module',
      scripts: { dev: 'node --watch --import tsx src/main.ts' },
      flotilla: {
        tier: 'base',
        route: '/scratch/',
        port: 3950,
        stores: {},
        resources: { memory: '128M', cpus: '0.25' },
        profile: null,
      },
    }),
  )
  writeFileSync(join(root, 'apps', 'scratch', 'src', 'main.ts'), SCRATCH_MAIN)
})
after(() => rmSync(root, { recursive: true, force: true }))

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

interface Run {
  child: ChildProcess
  url: string
  output: () => string
}

async function startDevCommand(): Promise<Run> {
  const env = { ...process.env }
  // Only what the test chooses: no Chroma or Qdrant from the caller's environment.
  for (const name of ['CHROMA_URL', 'QDRANT_URL', 'QDRANT_API_KEY', 'DEV_PORT']) delete env[name]
  const port = await freePort()
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--root', root, '--port', String(port)],
    { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!STARTED.test(output)) {
    if (child.exitCode !== null) assert.fail(`npm run dev exited ${child.exitCode}:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      assert.fail(`npm run dev did not start:\n${output}`)
    }
    await sleep(200)
  }
  return { child, url: `http://127.0.0.1:${port}`, output: () => output }
}

/** Every process below `pid`, from the kernel's own child lists. */
function descendants(pid: number): number[] {
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
  return children.flatMap((child) => [child, ...descendants(child)])
}

function isAlive(pid: number): boolean {
  try {
    // A zombie has ended; only its entry waits for a parent to collect it.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
  } catch {
    return ''
  }
}

/**
 * SIGTERM, as Ctrl-C's sibling. Resolves with the exit code, what ran below the command just
 * before (so a test can see the servers and apps were there to stop) and what outlived it.
 */
async function stopDevCommand(
  run: Run,
): Promise<{ code: number | null; family: string[]; survivors: string[] }> {
  const pid = run.child.pid as number
  const family = descendants(pid).map((p) => ({ pid: p, command: commandLine(p) }))
  const exited = once(run.child, 'exit')
  run.child.kill('SIGTERM')
  const [code] = (await exited) as [number | null]
  return {
    code,
    family: family.map((p) => p.command),
    survivors: family.filter((p) => isAlive(p.pid)).map((p) => `${p.pid}: ${p.command}`),
  }
}

/** The stores' servers, every app's watcher and the apps themselves ran below the command. */
function assertWholeFamily(family: string[]): void {
  for (const server of [/\/postgres -D /, /redis-server /, /^java .* Launcher /]) {
    assert.ok(
      family.some((command) => server.test(command)),
      `${server} in ${family.join('\n')}`,
    )
  }
  assert.equal(
    family.filter((command) => /^node --watch /.test(command)).length,
    3,
    family.join('\n'),
  )
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

test('npm run dev serves notes, kb and an edited app through one port, keeps data, leaves nothing running', {
  timeout: 3 * START_TIMEOUT_MS,
}, async (t) => {
  let run = await startDevCommand()
  let noteId: unknown
  let documentId: unknown
  try {
    const lines = run.output()
    assert.match(lines, /notes +http:\/\/127\.0\.0\.1:\d+\/notes\/ +running +log: /)
    assert.match(lines, /kb +http:\/\/127\.0\.0\.1:\d+\/kb\/ +running +log: /)
    assert.match(lines, /qdrant: not running/)

    await t.test('a note through the one port', async () => {
      const created = await post(`${run.url}/notes/`, { title: 'dev', body: 'from npm run dev' })
      assert.equal(created.status, 201)
      noteId = (await json(created)).id
      const read = await fetch(`${run.url}/notes/${noteId}`)
      assert.equal(read.status, 200)
      assert.equal((await json(read)).body, 'from npm run dev')
    })

    await t.test(
      'a kb document through the one port; Neo4j indexes it; no Qdrant: search 503',
      async () => {
        const created = await post(`${run.url}/kb/documents/`, { title: 'dev doc', body: 'hello' })
        assert.equal(created.status, 201)
        documentId = (await json(created)).id
        const read = await fetch(`${run.url}/kb/documents/${documentId}`)
        assert.equal(read.status, 200)
        assert.equal((await json(read)).title, 'dev doc')
        // The graph index goes through neo4j-guard to Neo4j: provisioned and reachable.
        let pending: unknown
        for (let i = 0; i < 600; i++) {
          pending = (await json(await fetch(`${run.url}/kb/documents/${documentId}`))).pendingIndex
          if (Array.isArray(pending) && !pending.includes('graph')) break
          await sleep(200)
        }
        assert.deepEqual(pending, ['vector'])
        const search = await fetch(`${run.url}/kb/search?q=hello`)
        assert.equal(search.status, 503)
        assert.equal(
          ((await json(search)).error as { code: string }).code,
          'DEPENDENCY_UNAVAILABLE',
        )
      },
    )

    await t.test('the gateway refuses what nginx refuses, in the one error shape', async () => {
      for (const path of ['/healthz', '/metrics', '/nowhere']) {
        const response = await fetch(`${run.url}${path}`)
        assert.equal(response.status, 404, path)
        assert.equal(((await json(response)).error as { code: string }).code, 'NOT_FOUND')
      }
    })

    await t.test('an edit to an app file restarts it with the change', async () => {
      assert.deepEqual(await json(await fetch(`${run.url}/scratch/`)), { version: 1 })
      assert.equal((await fetch(`${run.url}/scratch/added`)).status, 404)
      const file = join(root, 'apps', 'scratch', 'src', 'main.ts')
      writeFileSync(
        file,
        SCRATCH_MAIN.replace(
          '// ROUTES',
          "app.get('/scratch/added', async () => ({ added: true }))",
        ),
      )
      let status = 0
      for (let i = 0; i < 600 && status !== 200; i++) {
        status = await fetch(`${run.url}/scratch/added`).then(
          (response) => response.status,
          () => 0,
        )
        if (status !== 200) await sleep(200)
      }
      assert.equal(status, 200)
      assert.deepEqual(await json(await fetch(`${run.url}/scratch/added`)), { added: true })
    })
  } finally {
    const stopped = await stopDevCommand(run)
    assert.equal(stopped.code, 0, run.output())
    assertWholeFamily(stopped.family)
    assert.deepEqual(stopped.survivors, [])
  }

  await t.test(
    "a second run finds the first run's data; SIGTERM again leaves nothing",
    async () => {
      run = await startDevCommand()
      try {
        const note = await fetch(`${run.url}/notes/${noteId}`)
        assert.equal(note.status, 200)
        assert.equal((await json(note)).title, 'dev')
        const document = await fetch(`${run.url}/kb/documents/${documentId}`)
        assert.equal(document.status, 200)
        assert.equal((await json(document)).title, 'dev doc')
      } finally {
        const stopped = await stopDevCommand(run)
        assert.equal(stopped.code, 0, run.output())
        assert.deepEqual(stopped.survivors, [])
      }
    },
  )
})
