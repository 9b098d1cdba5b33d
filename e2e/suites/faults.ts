/**
 * The fault suite: kill -9 of each store, guard and app in turn, from inside its container,
 * under a bounded write load through nginx; the restart policy brings it back. Per fault it
 * prints one line — writes acknowledged, acknowledged but lost, 5xx other than 503, seconds
 * to recovery, whether every app not needing the killed service kept answering — and fails
 * on any loss, any such 5xx, no recovery within a generous bound (against "never", not a
 * timing target) or another app not answering.
 *
 * Neo4j itself is left out: its JVM took 3 minutes to come back on the loaded 2-core machine,
 * more than this suite's whole budget; its guard's fault covers kb's graph writes.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseEnv, promisify } from 'node:util'
import { resourcesFor } from '@flotilla/data/names'
import { APP_SECRETS_DIR, type App, loadRegistry } from '@flotilla/stack'
import type { Stack } from '../stack-handle.js'
import {
  containerId,
  type Fault,
  type KeptState,
  runFault,
  summary,
  type WriteLoad,
  waitHealthy,
} from './lib/fault-run.js'
import { type Answer, type Call, caller, ok } from './lib/http.js'

const exec = promisify(execFile)

/** A bound against "never", not a timing target. */
const RECOVERY_BOUND_MS = 120_000
/** kb indexes into Neo4j in the background, backing off up to a minute while it is away. */
const GRAPH_CATCH_UP_MS = 90_000

type StoreName = keyof App['stores']

/** The store each shared service is, for the apps that need it. */
const STORE_OF: Record<string, StoreName> = {
  postgres: 'postgres',
  redis: 'redis',
  chroma: 'chroma',
  'chroma-guard': 'chroma',
  'neo4j-guard': 'neo4j',
}

export default function faults(stack: Stack): void {
  const run = randomUUID().slice(0, 8)
  const http = caller(stack.base)
  const embedderAsKb = asKb(stack)

  const loads = {
    notes: (target: string) => notesLoad(http, `${run}-${target}`),
    kb: (target: string) => kbLoad(http, `${run}-${target}`),
    kbGraph: (target: string) => kbLoad(http, `${run}-${target}`, stack),
    embedder: (target: string) => embedderLoad(embedderAsKb, `${run}-${target}`),
  }
  const appProbes: Record<string, () => Promise<Answer>> = {
    notes: () => http('GET', '/notes/?limit=1'),
    kb: () => http('GET', '/kb/documents/?limit=1'),
    status: () => http('GET', '/'),
    embedder: () => http('POST', '/embedder/v1/embeddings', { input: 'x', model: 'embedding' }),
    classifier: () => http('POST', '/classifier/predict', { inputs: 'x' }),
  }
  const related = relatedProbe(http)
  const storeProbes: Record<StoreName, (() => Promise<Answer>) | undefined> = {
    postgres: appProbes.notes,
    // notes counts its rate limit in Redis.
    redis: appProbes.notes,
    chroma: () =>
      embedderAsKb('POST', '/embedder/collections/memories/query', {
        query: 'probe',
        n_results: 1,
        where: { fault: 'probe' },
      }),
    neo4j: related,
    qdrant: undefined,
  }

  // Apps first, Redis last: a fault that wedges notes would fail every later notes load.
  const plan: [target: string, load: keyof typeof loads][] = [
    ['classifier', 'notes'],
    ['status', 'notes'],
    ['notes', 'notes'],
    ['kb', 'kb'],
    ['embedder', 'embedder'],
    ['chroma-guard', 'embedder'],
    ['chroma', 'embedder'],
    ['neo4j-guard', 'kbGraph'],
    ['postgres', 'notes'],
    ['redis', 'notes'],
  ]

  const registry = loadRegistry(stack.root)
  for (const [target, loadName] of plan) {
    const store = STORE_OF[target]
    const loadApp = loadName === 'kbGraph' ? 'kb' : loadName
    const skip =
      (store ? stack.missing().includes(target) : !stack.hasApp(target)) || !stack.hasApp(loadApp)
    test(`faults: kill -9 ${target} under a ${loadApp} write load`, { skip }, async () => {
      const { apps } = await registry
      const needs = (app: App) => (store ? Boolean(app.stores[store]) : app.name === target)
      const others = Object.fromEntries(
        apps
          .filter((app) => !needs(app) && appProbes[app.name])
          .map((app) => [app.name, appProbes[app.name] as () => Promise<Answer>]),
      )
      const probe = store ? storeProbes[store] : appProbes[target]
      assert.ok(probe, `no probe for ${target}`)
      const fault: Fault<unknown> = {
        target,
        load: loads[loadName](target) as WriteLoad<unknown>,
        probe,
        others,
        recoveryBoundMs: RECOVERY_BOUND_MS,
        ...(target === 'redis' && { kept: redisExpiries(stack) }),
      }
      // Each fault starts from a healthy stack: the last one's restarts are over.
      await waitHealthy(stack, 180_000)
      const result = await runFault(stack, fault)
      console.log(summary(result))
      for (const line of result.evidence) console.log(`#   ${line}`)

      assert.ok(result.restarted, `${target}: the restart policy did not restart it`)
      assert.equal(result.lost, 0, `${target}: acknowledged writes lost`)
      assert.equal(result.fiveXXNot503, 0, `${target}: 5xx other than 503`)
      assert.ok(result.recoveryS !== undefined, `${target}: no recovery within the bound`)
      assert.ok(result.othersAnswered, `${target}: another app stopped answering`)
      assert.deepEqual(result.notKept?.items ?? [], [], `${target}: state not kept`)
    })
  }
}

/**
 * Every key with an expiry, in every Redis DB, comes back with it: a TTL is part of what an
 * app wrote (a rate-limit counter without one never resets). Read as the admin, inside the
 * container; ttl -1 is a key without expiry.
 */
function redisExpiries(stack: Stack): KeptState {
  const ttls = async () => {
    const listing = await exec(
      'docker',
      [
        'exec',
        await containerId(stack, 'redis'),
        'sh',
        '-c',
        `a() { redis-cli --no-auth-warning --user admin --pass "$(cat /run/flotilla/admin/redis_admin_password)" "$@"; }
keys=$(mktemp); n=$(a config get databases | tail -n 1); db=0
while [ "$db" -lt "$n" ]; do
  a -n "$db" --scan > "$keys"
  [ -s "$keys" ] && sed "s/^/TTL /" "$keys" | a -n "$db" | paste -d " " - "$keys" | sed "s/^/$db /"
  db=$((db + 1))
done; rm -f "$keys"`,
      ],
      { encoding: 'utf8' },
    )
    const byKey = new Map<string, number>()
    for (const [, db, ttl, key] of listing.stdout.matchAll(/^(\d+) (-?\d+) (.+)$/gm)) {
      byKey.set(`db${db} ${key}`, Number(ttl))
    }
    return byKey
  }
  return {
    name: 'expiry_lost',
    async snapshot() {
      const expiring = [...(await ttls())].filter(([, ttl]) => ttl > 0).map(([key]) => key)
      assert.ok(expiring.length > 0, 'some app key has an expiry before the kill')
      return async () => {
        const after = await ttls()
        return expiring.filter((key) => after.get(key) === -1)
      }
    },
  }
}

/** Calls as kb: with the embedder caller token the provisioner put in kb's credential file. */
function asKb(stack: Stack): Call {
  let call: Promise<Call> | undefined
  const credentials = async () => {
    const { stdout } = await exec('docker', [
      'exec',
      await containerId(stack, 'kb'),
      'cat',
      `${APP_SECRETS_DIR}/apps/kb.env`,
    ])
    const token = parseEnv(stdout).EMBEDDER_TOKEN
    assert.ok(token, "kb's credential file has its EMBEDDER_TOKEN")
    return caller(stack.base, { authorization: `Bearer ${token}` })
  }
  return async (method, path, body) => {
    call ??= credentials()
    return (await call)(method, path, body)
  }
}

type NoteAck = { id: number; title: string }

/** Notes in PostgreSQL: read back from the list, newest first (reads are rate-limited too). */
function notesLoad(http: Call, tag: string): WriteLoad<NoteAck> {
  return {
    name: 'notes',
    async write(seq) {
      const title = `fault ${tag} ${seq}`
      const answer = await http('POST', '/notes/', { title, body: 'written under a fault' })
      const id = (answer.body as { id?: number } | null)?.id
      return { answer, ack: answer.status === 201 && id ? { id, title } : undefined }
    },
    async missing(acks) {
      const stored = await listed(http, '/notes/', Math.min(...acks.map((ack) => ack.id)))
      return acks.filter((ack) => stored.get(ack.id) !== ack.title)
    },
  }
}

type DocAck = { id: number; title: string }

/**
 * kb documents in PostgreSQL. With `graph` (a Neo4j fault) a write also counts as lost
 * unless its node reaches Neo4j once it is back: kb indexes there in the background.
 */
function kbLoad(http: Call, tag: string, graph?: Stack): WriteLoad<DocAck> {
  return {
    name: 'kb',
    async write(seq) {
      const title = `fault ${tag} ${seq}`
      const answer = await http('POST', '/kb/documents/', { title, body: 'written under a fault' })
      const id = (answer.body as { id?: number } | null)?.id
      return { answer, ack: answer.status === 201 && id ? { id, title } : undefined }
    },
    async missing(acks) {
      const stored = await listed(http, '/kb/documents/', Math.min(...acks.map((ack) => ack.id)))
      const lost = acks.filter((ack) => stored.get(ack.id) !== ack.title)
      if (!graph) return lost
      const kept = acks.filter((ack) => !lost.includes(ack))
      const deadline = Date.now() + GRAPH_CATCH_UP_MS
      let pending = kept
      while (pending.length > 0 && Date.now() < deadline) {
        await sleep(2_000)
        const next: DocAck[] = []
        for (const ack of pending) {
          const doc = await http('GET', `/kb/documents/${ack.id}`)
          const index = (doc.body as { pendingIndex?: string[] } | null)?.pendingIndex
          if (!ok(doc) || index?.includes('graph')) next.push(ack)
        }
        pending = next
      }
      const inGraph = await graphNodes(
        graph,
        kept.map((ack) => ack.id),
      )
      return [...lost, ...kept.filter((ack) => !inGraph.has(ack.id))]
    },
  }
}

type RecordAck = { id: string; bucket: string }

/** At most this many records share a bucket: one query (n_results ≤ 100) reads a bucket. */
const BUCKET = 100

/** Records in the embedder's Chroma collections, read back by metadata, a bucket a query. */
function embedderLoad(http: Call, tag: string): WriteLoad<RecordAck> {
  const path = '/embedder/collections/memories'
  return {
    name: 'embedder',
    async write(seq) {
      const id = `${tag}-${seq}`
      const bucket = `${tag}-${Math.floor(seq / BUCKET)}`
      const answer = await http('POST', `${path}/records`, {
        ids: [id],
        documents: [`a record written under a fault, number ${seq}`],
        metadatas: [{ fault: bucket }],
      })
      return { answer, ack: ok(answer) ? { id, bucket } : undefined }
    },
    async missing(acks) {
      const found = new Set<string>()
      for (const bucket of new Set(acks.map((ack) => ack.bucket))) {
        const answer = await http('POST', `${path}/query`, {
          query: 'a record written under a fault',
          n_results: BUCKET,
          where: { fault: bucket },
        })
        assert.ok(ok(answer), `query of ${bucket}: ${answer.status} ${JSON.stringify(answer.body)}`)
        for (const hit of (answer.body as { results: { id: string }[] }).results) found.add(hit.id)
      }
      return acks.filter((ack) => !found.has(ack.id))
    },
  }
}

/** id → title of every item of a newest-first list down to `lowest`. */
async function listed(http: Call, path: string, lowest: number): Promise<Map<number, string>> {
  const items = new Map<number, string>()
  let before: number | null = null
  do {
    const answer = await http('GET', `${path}?limit=100${before ? `&before=${before}` : ''}`)
    assert.ok(ok(answer), `${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
    const page = answer.body as {
      items: { id: number; title: string }[]
      nextBefore: number | null
    }
    for (const item of page.items) items.set(item.id, item.title)
    before = page.nextBefore
  } while (before !== null && before > lowest)
  return items
}

/** kb's related documents come from Neo4j: a document of its own, written on first use. */
function relatedProbe(http: Call): () => Promise<Answer> {
  let id: number | undefined
  return async () => {
    if (id === undefined) {
      const created = await http('POST', '/kb/documents/', { title: 'fault probe' })
      if (!ok(created)) return created
      id = (created.body as { id: number }).id
    }
    return http('GET', `/kb/documents/${id}/related`)
  }
}

/** The kb documents among `ids` whose node is in Neo4j, asked as the admin inside its container. */
async function graphNodes(stack: Stack, ids: number[]): Promise<Set<number>> {
  const kb = (await loadRegistry(stack.root)).apps.find((app) => app.name === 'kb')
  const label = kb && resourcesFor(kb).neo4j?.label
  assert.ok(label, 'kb has a Neo4j label')
  const [file, ...args] = stack.compose()
  assert.ok(file)
  const { stdout } = await exec(
    file,
    [
      ...args,
      'exec',
      '-T',
      'neo4j',
      'bash',
      '-c',
      'cypher-shell -u neo4j -p "$(cat /run/flotilla/admin/neo4j_password)" --format plain "$0"',
      `MATCH (n:${label}) WHERE n.id IN [${ids.map((id) => `'doc:${id}'`).join(',')}] RETURN n.id`,
    ],
    { env: stack.env },
  )
  return new Set([...stdout.matchAll(/^"doc:(\d+)"$/gm)].map((match) => Number(match[1])))
}
