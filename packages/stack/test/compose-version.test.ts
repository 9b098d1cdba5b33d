import assert from 'node:assert/strict'
import { test } from 'node:test'
import { COMPOSE_NEEDED, composeVersionProblem } from '../src/index.js'

test('compose version: v2.34 and newer run the stack; v1, older v2 and none are refused by name', () => {
  for (const short of ['2.34.0', 'v2.40.3', '2.40.3-3\n', '3.0.0']) {
    assert.equal(composeVersionProblem(short), undefined, short)
  }
  assert.equal(composeVersionProblem('2.26.1-4'), `${COMPOSE_NEEDED}; found 2.26.1-4`)
  assert.equal(composeVersionProblem('1.29.2'), `${COMPOSE_NEEDED}; found 1.29.2`)
  assert.match(
    composeVersionProblem(undefined) ?? '',
    /is not installed \(docker-compose v1 cannot/,
  )
  assert.match(
    COMPOSE_NEEDED,
    /^flotilla needs Docker Compose v2\.34 or newer \(`docker compose version`\)$/,
  )
})
