/**
 * The identity matrix: every route that touches per-app data, called through nginx (the
 * stack's only door) with no credentials, with another app's real credentials and with
 * forged ones. The victim is kb: its records in the embedder's collections, planted with
 * its own caller token, hold a canary no other caller may ever see. notes and kb serve
 * their own data to the public: an identity header or another app's token must change
 * nothing there. The guards and stores must not be reachable through nginx at all.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { appTokenClaims } from '@flotilla/stack'
import { run } from '../compose.js'
import type { Stack } from '../stack-handle.js'

interface Answer {
  status: number
  body: string
}

interface Attempt {
  /** `<route> <credentials>`: what was tried. */
  name: string
  answer: Answer
  /** Why this answer is a leak, or undefined when it gave the caller nothing of another's. */
  leak: string | undefined
}

const COLLECTION = '/embedder/collections/memories'

export default function identity(stack: Stack): void {
  const attempts: Attempt[] = []
  const canary = `identity-canary-${randomBytes(8).toString('hex')}`

  /** One request through nginx; a rate-limited one is sent again (429 proves nothing). */
  async function send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${stack.base}${path}`, {
        method,
        headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      if (response.status !== 429 || attempt === 20) return { status: response.status, body: text }
      await sleep(500)
    }
  }

  /** The credential file compose hands `app`, read inside its own container as its own uid. */
  async function credentials(app: string): Promise<Record<string, string>> {
    const text = await run(
      [...stack.compose(), 'exec', '-T', app, 'cat', `/run/flotilla/secrets/apps/${app}.env`],
      { env: stack.env },
    )
    return Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
  }

  function record(name: string, answer: Answer, leak: string | undefined): void {
    attempts.push({ name, answer, leak })
  }

  /** A refusal in the one error shape: 4xx and `{"error":{"code","message"}}`. */
  function refusal(answer: Answer): string | undefined {
    if (answer.status < 400 || answer.status >= 500) return `answered ${answer.status}`
    try {
      const { error } = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } }
      if (typeof error?.code === 'string' && typeof error.message === 'string') return undefined
    } catch {}
    return `a ${answer.status} outside the error shape`
  }

  const both = stack.hasApp('embedder') && stack.hasApp('kb') && stack.hasApp('notes')

  test('identity: no credentials, another app’s and forged ones reach nothing of another app', {
    skip: both ? false : 'needs the embedder, kb and notes',
  }, async () => {
    const kb = await credentials('kb')
    const notes = await credentials('notes')
    const embedder = await credentials('embedder')
    const kbToken = kb.EMBEDDER_TOKEN ?? ''
    const notesToken = notes.EMBEDDER_TOKEN ?? ''
    // Read without the secret (only the embedder holds it): each app's token names that app.
    assert.equal(appTokenClaims('embedder', kbToken)?.app, 'kb', 'kb has its caller token')
    assert.equal(appTokenClaims('embedder', notesToken)?.app, 'notes', 'notes has its caller token')
    assert.equal(notes.EMBEDDER_CALLER_SECRET, undefined, 'only the embedder holds the secret')
    assert.ok(embedder.EMBEDDER_CALLER_SECRET, 'the embedder holds the caller secret')

    // The victim's records, written the only way there is: with kb's own token.
    const planted = await send(
      'POST',
      `${COLLECTION}/records`,
      { authorization: `Bearer ${kbToken}` },
      { ids: [canary], documents: [`kb's private memory ${canary}`], metadatas: [{ canary }] },
    )
    assert.equal(planted.status, 200, planted.body)
    const own = await send(
      'POST',
      `${COLLECTION}/query`,
      { authorization: `Bearer ${kbToken}` },
      { query: `kb's private memory ${canary}`, n_results: 100 },
    )
    assert.ok(own.body.includes(canary), `kb reads its own records: ${own.body.slice(0, 300)}`)

    // The tokens are JWTs: header.claims.signature.
    const [kbHeader = '', kbClaims = '', kbMac = ''] = kbToken.split('.')
    const [, , notesMac = ''] = notesToken.split('.')
    const flip = (mac: string) => `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`
    const encode = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url')
    const identityHeaders = {
      'x-flotilla-app': 'kb',
      'X-Flotilla-Caller': 'kb',
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
    }
    /** Credentials that are not kb's: none, notes' real ones, forged, other services'. */
    const strangers: [string, Record<string, string>][] = [
      ['no credentials', {}],
      ['identity headers only', identityHeaders],
      [
        "kb's token with a changed signature",
        { authorization: `Bearer ${kbHeader}.${kbClaims}.${flip(kbMac)}` },
      ],
      [
        "kb's claims with notes' signature",
        { authorization: `Bearer ${kbHeader}.${kbClaims}.${notesMac}` },
      ],
      [
        "kb's claims unsigned (alg none)",
        { authorization: `Bearer ${encode({ alg: 'none' })}.${kbClaims}.` },
      ],
      ["kb's token without its signature", { authorization: `Bearer ${kbHeader}.${kbClaims}.` }],
      ['garbage', { authorization: 'Bearer %%%.&&&' }],
      ['a huge token', { authorization: `Bearer ${kbHeader}.${'A'.repeat(6_000)}.${kbMac}` }],
      [
        "kb's token as Basic",
        { authorization: `Basic ${Buffer.from(kbToken).toString('base64')}` },
      ],
      ["kb's token in x-chroma-token", { 'x-chroma-token': kbToken }],
      ["the embedder's Chroma token", { authorization: `Bearer ${embedder.CHROMA_TOKEN ?? 'x'}` }],
      ["kb's Neo4j guard token", { authorization: `Bearer ${kb.NEO4J_TOKEN ?? 'x'}` }],
    ]
    const notesAs: [string, Record<string, string>][] = [
      ["notes' real token", { authorization: `Bearer ${notesToken}` }],
      [
        "notes' real token claiming kb",
        { authorization: `Bearer ${notesToken}`, ...identityHeaders },
      ],
    ]

    // Embedder collections: a stranger is refused outright; notes gets only notes' records.
    for (const [who, headers] of strangers) {
      const read = await send('POST', `${COLLECTION}/query`, headers, {
        query: `kb's private memory ${canary}`,
        n_results: 100,
      })
      record(
        `query ${who}`,
        read,
        refusal(read) ?? (read.body.includes(canary) ? 'canary' : undefined),
      )
      const write = await send('POST', `${COLLECTION}/records`, headers, {
        ids: [`${canary}-intruder`],
        documents: [`written by a stranger ${canary}`],
      })
      record(`records ${who}`, write, refusal(write))
    }
    for (const [who, headers] of notesAs) {
      const read = await send('POST', `${COLLECTION}/query`, headers, {
        query: `kb's private memory ${canary}`,
        n_results: 100,
        where: { canary },
      })
      record(
        `query ${who}`,
        read,
        read.status !== 200
          ? `answered ${read.status}`
          : read.body.includes(canary)
            ? 'canary'
            : undefined,
      )
      const write = await send('POST', `${COLLECTION}/records`, headers, {
        ids: [`${canary}-planted`],
        documents: [`planted by notes ${canary}`],
      })
      record(`records ${who}`, write, write.status === 200 ? undefined : `answered ${write.status}`)
    }
    // Nothing any of them wrote reached kb's records.
    const after = await send(
      'POST',
      `${COLLECTION}/query`,
      { authorization: `Bearer ${kbToken}` },
      { query: `written by a stranger planted by notes ${canary}`, n_results: 100 },
    )
    assert.equal(after.status, 200, after.body)
    assert.doesNotMatch(after.body, /-intruder|-planted/, 'a foreign record reached kb')

    // notes and kb: their own data, the same whoever claims to be calling.
    const publicReads = [
      ['GET', '/notes/'],
      ['GET', '/kb/documents/'],
      ['GET', `/kb/search/?q=${encodeURIComponent(canary)}`],
    ] as const
    for (const [method, path] of publicReads) {
      const baseline = await send(method, path)
      for (const [who, headers] of [...strangers.slice(1), ...notesAs]) {
        const answer = await send(method, path, headers)
        const leak = answer.body.includes(canary)
          ? 'canary'
          : answer.status !== baseline.status || answer.body !== baseline.body
            ? `differs from the anonymous answer (${baseline.status} → ${answer.status})`
            : undefined
        record(`${path} ${who}`, answer, leak)
      }
    }

    // The guards and stores behind nginx: no path, Host or request line reaches them.
    const storeSignature = /nanosecond heartbeat|"tenant"|"databases?"|neo4j_version|"collections"/i
    const storeProbes: [string, string, Record<string, string>, unknown?][] = [
      ['GET', '/api/v2/heartbeat', { 'x-chroma-token': embedder.CHROMA_TOKEN ?? '' }],
      ['GET', '/api/v2/tenants/embedder', { 'x-chroma-token': embedder.CHROMA_TOKEN ?? '' }],
      ['GET', '/chroma-guard/api/v2/heartbeat', {}],
      ['GET', '/embedder/../api/v2/heartbeat', {}],
      ['POST', '/v1/nodes/count', { authorization: `Bearer ${kb.NEO4J_TOKEN ?? ''}` }, {}],
      ['GET', '/db/neo4j/tx', {}],
      ['GET', '/collections', { 'api-key': kb.QDRANT_API_KEY ?? '' }],
    ]
    for (const [method, path, headers, body] of storeProbes) {
      const answer = await send(method, path, headers, body)
      const leak =
        answer.status < 400 && storeSignature.test(answer.body)
          ? `a store answered ${answer.status}`
          : answer.status < 400
            ? `answered ${answer.status}`
            : undefined
      record(`${method} ${path} ${JSON.stringify(Object.keys(headers))}`, answer, leak)
    }
    // A store's name as Host, or an absolute-form request line naming it: nginx routes by
    // its own locations, never by what the client names.
    const named = [
      'http://chroma-guard:8000/api/v2/heartbeat',
      'http://chroma:8000/api/v2/heartbeat',
      'http://neo4j-guard:7475/v1/ready',
      'http://qdrant:6333/collections',
    ]
    for (const url of named) {
      for (const form of ['host', 'absolute'] as const) {
        const answer = await rawGet(stack.base, url, form)
        const leak =
          answer.status < 400
            ? storeSignature.test(answer.body)
              ? `a store answered ${answer.status}`
              : `answered ${answer.status}`
            : undefined
        record(`${form} ${url}`, answer, leak)
      }
    }

    const leaked = attempts.filter((a) => a.leak !== undefined)
    const summary = `identity matrix: attempts=${attempts.length} refused=${attempts.length - leaked.length} leaked=${leaked.length}`
    console.log(`# ${summary}`)
    // What the refusals were: a stranger's 401s, nginx's and the apps' 404s, notes' own 200s.
    const answers = new Map<number, number>()
    for (const { answer } of attempts)
      answers.set(answer.status, (answers.get(answer.status) ?? 0) + 1)
    console.log(
      `# identity answers: ${[...answers]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ')}`,
    )
    for (const a of leaked) {
      console.log(
        `#   LEAK ${a.name}: ${a.leak} — ${a.answer.status} ${a.answer.body.slice(0, 200)}`,
      )
    }
    assert.deepEqual(
      leaked.map((a) => `${a.name}: ${a.leak}`),
      [],
      summary,
    )
  })
}

/**
 * GET `url` through nginx at `base`, naming its host in the Host header or as an absolute URI
 * in the request line (fetch can do neither).
 */
function rawGet(base: string, url: string, form: 'host' | 'absolute'): Promise<Answer> {
  const target = new URL(url)
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
    })
    socket.on('error', reject)
    socket.on('close', () => {
      const status = Number(text.split(' ')[1])
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) })
    })
    const line = form === 'absolute' ? target.href : target.pathname
    socket.write(`GET ${line} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`)
  })
}
