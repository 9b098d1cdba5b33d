import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { readEnvFile } from '@flotilla/data'
import { formatEnvFile } from '../src/secret-file.js'

const values = {
  DATABASE_URL: 'postgres://app_notes:pw-_A9@postgres:5432/notes?sslmode=disable',
  QDRANT_API_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJhY2Nlc3MiOltdfQ.c2ln',
  EMPTY: '',
  INNER_SPACE: 'a b=c',
}

describe('credential files', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'env-file-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('reads back what it wrote, exactly as the app process started with --env-file does', async () => {
    const path = join(dir, 'app.env')
    await writeFile(path, formatEnvFile('test credentials', values))
    assert.deepEqual(await readEnvFile(path), values)

    const { stdout } = await promisify(execFile)(process.execPath, [
      `--env-file=${path}`,
      '-e',
      `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(Object.keys(values))}.map((k) => [k, process.env[k]]))))`,
    ])
    assert.deepEqual(JSON.parse(stdout), values)
  })

  it('refuses a value --env-file would read differently instead of writing it altered', () => {
    for (const value of ['pw#tail', '"quoted"', "'quoted'", ' padded', 'two\nlines', 'cr\r']) {
      assert.throws(
        () => formatEnvFile('test', { SECRET: value }),
        /SECRET: the value would not read back as written/,
        JSON.stringify(value),
      )
    }
  })

  it('is undefined for a file that does not exist', async () => {
    assert.equal(await readEnvFile(join(dir, 'absent.env')), undefined)
  })
})
