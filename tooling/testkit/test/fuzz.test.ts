import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { fuzzOpenApi, fuzzUnavailable } from '../src/fuzz.js'

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
}
const json = (schema: object) => ({ content: { 'application/json': { schema } } })
const described = (schema?: object) => ({ description: 'answer', ...(schema ? json(schema) : {}) })

/** An API with one planted defect per check, and one operation that is right. */
const document = {
  openapi: '3.0.3',
  info: { title: 'planted', version: '1' },
  paths: {
    '/echo': {
      post: {
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['text'],
            properties: { text: { type: 'string', maxLength: 50 } },
            additionalProperties: false,
          }),
        },
        responses: {
          '201': described({ type: 'object' }),
          '400': described(errorBody),
          '500': described(errorBody),
        },
      },
    },
    '/wrong-type': {
      get: {
        responses: {
          '200': described({ type: 'object', properties: { id: { type: 'integer' } } }),
        },
      },
    },
    '/teapot': { get: { responses: { '200': described({ type: 'object' }) } } },
    '/things/{name}': {
      get: {
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': described({ type: 'object', required: ['count'] }),
          '404': described(errorBody),
        },
      },
    },
    '/plain': { get: { responses: { '400': described() } } },
    '/fine': {
      get: {
        parameters: [{ name: 'n', in: 'query', schema: { type: 'integer' } }],
        responses: { '200': described({ type: 'object' }), '400': described(errorBody) },
      },
    },
  },
}

function send(response: ServerResponse, status: number, body: unknown, type = 'application/json') {
  response.writeHead(status, { 'content-type': type })
  response.end(type === 'application/json' ? JSON.stringify(body) : String(body))
}

const error = (code: string, message: string) => ({ error: { code, message } })

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://x')
  const route = `${request.method} ${url.pathname}`
  if (route === 'GET /openapi.json') return send(response, 200, document)
  if (route === 'POST /echo') {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    let text: unknown
    try {
      text = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.text
    } catch {
      return send(response, 400, error('BAD_REQUEST', 'not JSON'))
    }
    if (typeof text !== 'string' || text.length > 50) {
      return send(response, 400, error('BAD_REQUEST', 'text'))
    }
    // The defect issue 12 found in three apps: a store that cannot hold NUL, unguarded.
    if (text.includes('\0')) return send(response, 500, error('INTERNAL_ERROR', 'store refused'))
    return send(response, 201, { text })
  }
  // Behind a name random text never hits: only the fuzz run's `values` reach this defect.
  if (route === 'GET /things/known') return send(response, 200, { name: 'known' })
  if (url.pathname.startsWith('/things/')) return send(response, 404, error('NOT_FOUND', 'thing'))
  if (route === 'GET /wrong-type') return send(response, 200, { id: 'seven' })
  if (route === 'GET /teapot') return send(response, 418, error('TEAPOT', 'undocumented status'))
  if (route === 'GET /plain') return send(response, 400, 'not the error shape', 'text/plain')
  if (route === 'GET /fine') {
    const n = url.searchParams.get('n')
    if (n !== null && !/^-?\d+$/.test(n)) return send(response, 400, error('BAD_REQUEST', 'n'))
    return send(response, 200, { n })
  }
  return send(response, 404, error('NOT_FOUND', route))
}

test('a fuzz run names each planted defect by operation and check, and nothing else', {
  skip: await fuzzUnavailable(),
}, async () => {
  const server = createServer((request, response) => void handle(request, response))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as AddressInfo
    const report = await fuzzOpenApi({
      name: 'planted',
      url: `http://127.0.0.1:${port}`,
      documentPath: '/openapi.json',
      maxExamples: 20,
      values: { 'path.name': ['known'] },
    })
    const found = report.problems.map((problem) => problem.split(' (')[0]).sort()
    assert.deepEqual(
      found,
      [
        'GET /plain: one_error_shape',
        'GET /teapot: status_code_conformance',
        'GET /things/{name}: response_schema_conformance',
        'GET /wrong-type: response_schema_conformance',
        'POST /echo: not_a_server_error',
      ],
      report.problems.join('\n\n'),
    )
    const echo = report.problems.find((problem) => problem.startsWith('POST /echo'))
    assert.match(echo ?? '', /request: curl -X POST '[^']+\/echo' .*\\u0000/)
    assert.match(echo ?? '', /response: 500 \{"error"/)
    assert.equal(report.operations, 6)
    assert.ok(report.examples > 5, `${report.examples} examples`)
    // 2xx: /echo, /wrong-type, /things/known, /fine; never /teapot nor /plain.
    assert.equal(report.succeeded, 4)
    assert.equal(
      report.summary,
      `fuzz planted: operations=6 examples=${report.examples} failures=5 (operations that answered 2xx: 4)`,
    )
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})
