/**
 * Two nodes: a second Docker node (scripts/ci/second-node.sh: its own dockerd, network
 * namespace, veth and data root) joins the swarm as a worker labelled flotilla.tier=ml, and
 * the deploy run again moves the ML apps onto it. Proves the ML apps run there and nowhere
 * else, node 2 holds only their images, an embedding asked of nginx on node 1 is computed on
 * node 2, and `scripts/deploy embedder` rolls the embedder on node 2 under a bounded load
 * through nginx without losing a request.
 */
import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadRegistry } from '@flotilla/stack'
import { underLoad } from '../body-load.js'
import { run } from '../compose.js'
import type { SwarmStack } from '../stack-handle.js'
import {
  joinSecondNode,
  onSecondNode,
  type SecondNode,
  secondNodeDown,
  secondNodeUp,
} from '../swarm/second-node.js'

/** second-node.sh's hostname for the node: what `docker service ps` names it by. */
const NODE_NAME = 'flotilla-node2'
/** Under nginx's per-client limit for the embedder (20 r/s, nginx/generated/limits.conf). */
const RATE = 15
const { apps } = await loadRegistry(resolve(import.meta.dirname, '../..'))
const mlApps = apps.filter((app) => app.tier === 'ml').map((app) => app.name)

export default (swarm: SwarmStack) => {
  const service = (name: string) => `${swarm.stackName}_${name}`

  /** "<node> <state>" of each task of the service meant to be running. */
  const tasksOf = async (name: string) =>
    (
      await run([
        'docker',
        'service',
        'ps',
        service(name),
        '--filter',
        'desired-state=running',
        '--format',
        '{{.Node}} {{.CurrentState}}',
      ])
    )
      .trim()
      .split('\n')
      .filter(Boolean)
  const assertOnNode2 = async (name: string) => {
    const tasks = await tasksOf(name)
    assert.ok(tasks.length > 0, `${name} has a task`)
    for (const task of tasks) assert.match(task, new RegExp(`^${NODE_NAME} Running`), name)
  }

  describe('two-node', { skip: !mlApps.includes('embedder') }, () => {
    let node: SecondNode
    /**
     * The embedder's container on node 2. Right after a rolling update the replaced one is
     * still running out its drain (SHUTDOWN_DRAIN_MS, then its stop grace), so wait for it to go.
     */
    const embedderOnNode2 = async () => {
      const deadline = Date.now() + 60_000
      let ids: string[] = []
      do {
        if (ids.length > 0) await new Promise((resolve) => setTimeout(resolve, 1_000))
        ids = (
          await onSecondNode(node, [
            'ps',
            '-q',
            '--filter',
            `label=com.docker.swarm.service.name=${service('embedder')}`,
          ])
        )
          .trim()
          .split('\n')
          .filter(Boolean)
      } while (ids.length > 1 && Date.now() < deadline)
      assert.equal(ids.length, 1, 'one embedder container on node 2')
      return ids[0] ?? ''
    }

    before(async () => {
      // Up already when the entry made the swarm advertise the node's way in (idempotent).
      node = await secondNodeUp(swarm.root)
      await timed('docker swarm join + node label', () => joinSecondNode(swarm.root))
      await timed('redeploy onto two nodes', () => swarm.redeploy())
    })

    after(() => timed('second node down', () => secondNodeDown(swarm.root)))

    test('two-node: the ML apps run on node 2, which holds their images and nothing else', async () => {
      for (const name of mlApps) await assertOnNode2(name)
      const services = (
        await onSecondNode(node, ['ps', '--format', '{{.Label "com.docker.swarm.service.name"}}'])
      )
        .trim()
        .split('\n')
      assert.deepEqual(services.sort(), mlApps.map(service).sort(), 'node 2 runs only the ML apps')
      const repositories = (
        await onSecondNode(node, ['image', 'ls', '--format', '{{.Repository}}'])
      )
        .trim()
        .split('\n')
      const mlImages = await Promise.all(
        mlApps.map(async (name) =>
          // <registry>/flotilla/<app>:<tag>@<digest>: its repository is what a pull names.
          (
            await run([
              'docker',
              'service',
              'inspect',
              '--format',
              '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
              service(name),
            ])
          )
            .trim()
            .replace(/@.*$/, '')
            .replace(/:[^:/]+$/, ''),
        ),
      )
      assert.deepEqual(
        [...new Set(repositories)].sort(),
        mlImages.sort(),
        'node 2 pulled the ML apps only',
      )
    })

    test('two-node: an embedding asked of nginx on node 1 is computed on node 2', async () => {
      const manager = (await run(['docker', 'info', '--format', '{{.Name}}'])).trim()
      for (const task of await tasksOf('nginx')) assert.match(task, new RegExp(`^${manager} `))
      const response = await fetch(`${swarm.base}/embedder/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'one small vps, two nodes', model: 'embedding' }),
      })
      const body = await response.text()
      assert.equal(response.status, 200, body)
      const { data } = JSON.parse(body) as { data: { embedding: number[] }[] }
      assert.ok((data[0]?.embedding.length ?? 0) > 0)
      // nginx's request id is the app's: node 2's embedder logged this very request.
      const requestId = response.headers.get('x-request-id') ?? ''
      assert.match(requestId, /^[0-9a-f]{32}$/)
      const logs = await onSecondNode(node, ['logs', await embedderOnNode2()])
      assert.ok(logs.includes(requestId), `node 2's embedder logged request ${requestId}`)
    })

    test('two-node: scripts/deploy embedder rolls it on node 2 under load through nginx and loses no request', async () => {
      const before = await embedderOnNode2()
      const image = await swarm.rolloutImage('embedder')
      let output = ''
      const load = await underLoad(swarm.base, ['/embedder/v1/models'], RATE, async () => {
        output = await swarm.deployApp('embedder')
      })
      console.log(
        `# two-node rolling update of the embedder on node 2 (${load.seconds} s at ${RATE} req/s through nginx): sent ${load.sent}, ok ${load.ok}, failed ${load.failed} ${JSON.stringify(load.failures)}`,
      )
      assert.equal((JSON.parse(output) as { outcome: string }).outcome, 'deployed', output)
      assert.equal(load.failed, 0, JSON.stringify(load.failures))
      assert.equal(load.ok, load.sent)
      assert.ok(load.sent >= RATE, `the load ran during the update (${load.sent} sent)`)
      await assertOnNode2('embedder')
      const after = await embedderOnNode2()
      assert.notEqual(after, before, 'the embedder container was replaced')
      const running = (await onSecondNode(node, ['inspect', '-f', '{{.Image}}', after])).trim()
      assert.equal(running, image, 'node 2 runs the image just deployed')
    })
  })
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    return await work()
  } finally {
    console.log(`# two-node ${label}: ${((performance.now() - started) / 1000).toFixed(1)}s`)
  }
}
