import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { isPortOpen } from '../src/free-port.js'
import { type ServerStart, startOnFreePort } from '../src/start-server.js'

/** A stand-in server: node listening on the port it is given (argv[1]) until SIGTERM. */
const LISTEN = `require('node:net').createServer((s) => s.end()).listen(Number(process.argv[1]), '127.0.0.1')`

function standIn(overrides: Partial<ServerStart> = {}): ServerStart {
  return {
    what: 'stand-in',
    dir: { tempPrefix: 'flotilla-testkit-start-server-' },
    command: (dir, port) => ({
      command: process.execPath,
      args: ['-e', LISTEN, String(port)],
      logFile: join(dir, 'server.log'),
      stopSignal: 'SIGTERM',
    }),
    probe: async (port) => {
      if (!(await isPortOpen(port))) throw new Error('not listening yet')
    },
    readyTimeoutMs: 10_000,
    ...overrides,
  }
}

describe('startOnFreePort', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flotilla-testkit-start-server-test-'))
  after(() => rmSync(scratch, { recursive: true, force: true }))

  it('prepares the dir, starts on a free port once it answers, and stop() removes both', async () => {
    const {
      port,
      dir,
      process: server,
    } = await startOnFreePort(
      standIn({ prepare: (dir) => writeFileSync(join(dir, 'prepared'), 'yes') }),
    )
    assert.equal(await isPortOpen(port), true)
    assert.equal(readFileSync(join(dir, 'prepared'), 'utf8'), 'yes')
    await server.stop()
    assert.equal(await isPortOpen(port), false)
    assert.equal(existsSync(dir), false)
  })

  it('keeps a kept dir', async () => {
    const kept = join(scratch, 'kept')
    const { dir, process: server } = await startOnFreePort(standIn({ dir: { keep: kept } }))
    assert.equal(dir, kept)
    await server.stop()
    assert.ok(existsSync(join(kept, 'server.log')))
  })

  it('reports a server that exits with its log, and removes its temp dir', async () => {
    let tempDir = ''
    await assert.rejects(
      startOnFreePort(
        standIn({
          command: (dir) => {
            tempDir = dir
            return {
              command: process.execPath,
              args: ['-e', 'console.error("config is broken"); process.exit(3)'],
              logFile: join(dir, 'server.log'),
              stopSignal: 'SIGTERM',
            }
          },
        }),
      ),
      /stand-in on port \d+: .* exited with code 3:\nconfig is broken/,
    )
    assert.equal(existsSync(tempDir), false)
  })

  it('starts again on a fresh port when the port was taken', async () => {
    const attempts = join(scratch, 'attempts')
    writeFileSync(attempts, '')
    // The first start finds "its" port taken, as when another process binds it in between.
    const takenOnce = `const fs = require('node:fs');
      if (fs.readFileSync(${JSON.stringify(attempts)}, 'utf8') === '') {
        fs.writeFileSync(${JSON.stringify(attempts)}, 'x'); console.error('bind: Address already in use'); process.exit(1)
      }
      ${LISTEN}`
    const { port, process: server } = await startOnFreePort(
      standIn({
        command: (dir, port) => ({
          command: process.execPath,
          args: ['-e', takenOnce, String(port)],
          logFile: join(dir, 'server.log'),
          stopSignal: 'SIGTERM',
        }),
      }),
    )
    assert.equal(readFileSync(attempts, 'utf8'), 'x')
    assert.equal(await isPortOpen(port), true)
    await server.stop()
  })
})
