import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AppError } from '@flotilla/service'
import { checkInputs } from '../src/input-limits.js'

const limits = { maxInputs: 2, maxInputChars: 5 }

const refusals = [
  { name: 'no inputs', texts: [], status: 400, code: 'EMPTY_INPUT' },
  { name: 'an empty input', texts: ['ok', ''], status: 400, code: 'EMPTY_INPUT' },
  { name: 'too many inputs', texts: ['a', 'b', 'c'], status: 400, code: 'TOO_MANY_INPUTS' },
  { name: 'an input over the limit', texts: ['a', 'abcdef'], status: 413, code: 'INPUT_TOO_LONG' },
]
for (const { name, texts, status, code } of refusals) {
  test(`${name} → ${status} ${code}`, () => {
    assert.throws(
      () => checkInputs(texts, limits),
      (error) => error instanceof AppError && error.statusCode === status && error.code === code,
    )
  })
}

test('inputs within the limits pass', () => {
  assert.doesNotThrow(() => checkInputs(['abcde', 'x'], limits))
})
