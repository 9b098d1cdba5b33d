import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { becomesGone } from './becomes-gone.js'

const fixture = fileURLToPath(new URL('./start-then-leave.ts', import.meta.url))

interface Report {
  postgres: { port: number; tempDir: string }
  redis: { port: number; tempDir: string }
  neo4j: { port: number; tempDir: string }
}

async function leave(how: 'crash' | 'exit'): Promise<Report> {
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture, how])
    .then((done) => ({ stdout: done.stdout, signal: null }))
    .catch((error: { stdout: string; signal: string | null }) => error)
  assert.equal(result.signal, how === 'crash' ? 'SIGKILL' : null)
  return JSON.parse(result.stdout) as Report
}

describe('servers whose test process goes away without stop()', () => {
  for (const how of ['crash', 'exit'] as const) {
    it(`are stopped and their temp dirs deleted when it ${how === 'crash' ? 'is SIGKILLed' : 'exits'}`, async () => {
      const report = await leave(how)
      for (const server of [report.postgres, report.redis, report.neo4j]) {
        assert.ok(server.tempDir.length > 0)
      }
      assert.ok(
        await becomesGone(report.postgres.port, report.postgres.tempDir),
        'PostgreSQL still running or its dir still there',
      )
      assert.ok(
        await becomesGone(report.redis.port, report.redis.tempDir),
        'Redis still running or its dir still there',
      )
      assert.ok(
        await becomesGone(report.neo4j.port, report.neo4j.tempDir),
        'Neo4j still running or its home (data) still there',
      )
      assert.equal(existsSync(report.postgres.tempDir), false)
    })
  }
})
