import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sessionOptions } from '../src/session-options.js'

test('the memory arena is off only where glibc returns large buffers (fixed mmap threshold)', () => {
  assert.equal(sessionOptions(1, {}).enableCpuMemArena, true)
  assert.equal(sessionOptions(1, { MALLOC_MMAP_THRESHOLD_: '65536' }).enableCpuMemArena, false)
  assert.equal(sessionOptions(2, {}).intraOpNumThreads, 2)
  assert.equal(sessionOptions(2, {}).enableMemPattern, false)
})
