import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InferenceError, InputTooLongError, QueueFullError } from '@flotilla/ml'
import { AppError } from '@flotilla/service'
import { toAppError } from '../src/ml-errors.js'

test('a full queue → 503 QUEUE_FULL with Retry-After', () => {
  const error = toAppError(new QueueFullError(2))
  assert.ok(error instanceof AppError)
  assert.equal(error.statusCode, 503)
  assert.equal(error.code, 'QUEUE_FULL')
  assert.deepEqual(error.headers, { 'retry-after': '2' })
})

test('an input over the token limit → 413 INPUT_TOO_LONG naming the input', () => {
  const error = toAppError(new InputTooLongError(3, 128))
  assert.ok(error instanceof AppError)
  assert.equal(error.statusCode, 413)
  assert.equal(error.code, 'INPUT_TOO_LONG')
  assert.match(error.message, /input 3 .* 128 tokens/)
  assert.deepEqual(error.headers, {})
})

test('a failed run → 500 INFERENCE_FAILED', () => {
  const error = toAppError(new InferenceError('worker crashed'))
  assert.ok(error instanceof AppError)
  assert.equal(error.statusCode, 500)
  assert.equal(error.code, 'INFERENCE_FAILED')
})

test('any other error passes through unchanged', () => {
  const original = new TypeError('a bug')
  assert.equal(toAppError(original), original)
})
