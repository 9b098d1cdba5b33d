import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { cpuQuota } from '../src/cpu-quota.js'

async function cpuMax(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'flotilla-cgroup-')), 'cpu.max')
  await writeFile(path, content)
  return path
}

it('reads the cgroup v2 quota, rounded down, at least 1', async () => {
  assert.equal(cpuQuota(await cpuMax('100000 100000\n')), 1)
  assert.equal(cpuQuota(await cpuMax('50000 100000\n')), 1)
  assert.equal(cpuQuota(await cpuMax('150000 100000\n')), 1)
})

it('never exceeds the visible cores', async () => {
  assert.equal(cpuQuota(await cpuMax('6400000 100000\n')), availableParallelism())
})

it('falls back to the visible cores without a quota or without cgroup v2', async () => {
  assert.equal(cpuQuota(await cpuMax('max 100000\n')), availableParallelism())
  assert.equal(cpuQuota('/nonexistent/cpu.max'), availableParallelism())
})
