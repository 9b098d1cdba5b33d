/**
 * One fault of the fault suite (../faults.ts): a bounded write load through nginx, a kill -9
 * of one service's main process from inside its container, the load kept going until the
 * service is back, then every acknowledged write read back.
 */
import { execFile } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { Stack } from '../../stack-handle.js'
import { type Answer, ok } from './http.js'

const exec = promisify(execFile)

/** The write load's pace: modest, and under notes' 600 requests a minute with the probes. */
const WRITE_INTERVAL_MS = 300
const MAX_WRITES_IN_FLIGHT = 4
const OTHERS_INTERVAL_MS = 1_000
const PROBE_INTERVAL_MS = 250
/** Before the kill the load must be acknowledged on the healthy stack (kb indexes inline). */
const BASELINE_BOUND_MS = 30_000
/** Load kept going after recovery, so writes right after it are checked too. */
const TAIL_MS = 1_000

/** Writes that prove, for one fault, that nothing acknowledged is lost. */
export interface WriteLoad<Ack> {
  name: string
  /** One write; `ack` only when the stack acknowledged it (2xx). */
  write(seq: number): Promise<{ answer: Answer; ack?: Ack }>
  /** The acknowledged writes that cannot be read back. */
  missing(acks: Ack[]): Promise<Ack[]>
}

export interface Fault<Ack> {
  /** The compose service whose main process is killed. */
  target: string
  load: WriteLoad<Ack>
  /** The faulted service's own path: 2xx again once it has recovered. */
  probe: () => Promise<Answer>
  /** The apps that must keep answering throughout, each with its probe. */
  others: Record<string, () => Promise<Answer>>
  recoveryBoundMs: number
  /** State of the killed store that must survive it besides the writes (Redis: expiries). */
  kept?: KeptState
}

export interface KeptState {
  /** Printed as `<name>=<how many items were not kept>`. */
  name: string
  /** Taken before the kill; the check it returns lists what did not survive. */
  snapshot(): Promise<() => Promise<string[]>>
}

export interface FaultResult {
  target: string
  restarted: boolean
  acknowledged: number
  lost: number
  /** Every answer of the load, the probes and the other apps, by status. */
  statuses: Record<number, number>
  fiveXXNot503: number
  /** Seconds from the kill until the service answered and a write after it was acknowledged. */
  recoveryS: number | undefined
  othersAnswered: boolean
  /** What `Fault.kept` found not kept. */
  notKept?: { name: string; items: string[] }
  /** Samples, for the findings: 5xx other than 503, other apps not answering, lost writes. */
  evidence: string[]
}

export function summary(result: FaultResult): string {
  return (
    `fault ${result.target}: acknowledged=${result.acknowledged} lost=${result.lost} ` +
    `5xx_not_503=${result.fiveXXNot503} recovery_s=${result.recoveryS?.toFixed(1) ?? 'never'} ` +
    `others_answered=${result.othersAnswered ? 'yes' : 'no'} restarted=${result.restarted ? 'yes' : 'no'} ` +
    (result.notKept ? `${result.notKept.name}=${result.notKept.items.length} ` : '') +
    `statuses=${JSON.stringify(result.statuses)}`
  )
}

export async function runFault<Ack>(stack: Stack, fault: Fault<Ack>): Promise<FaultResult> {
  const id = await containerId(stack, fault.target)
  const restartsBefore = await restartCount(id)
  const statuses: Record<number, number> = {}
  const evidence: string[] = []
  const record = (source: string, answer: Answer) => {
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1
    if (answer.status >= 500 && answer.status !== 503 && evidence.length < 10) {
      evidence.push(`${source}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)
    }
  }

  const acks: Ack[] = []
  let lastAckStartedAt = 0
  let writing = true
  const inFlight = new Set<Promise<void>>()
  const load = (async () => {
    for (let seq = 0; writing; seq++) {
      if (inFlight.size < MAX_WRITES_IN_FLIGHT) {
        const startedAt = Date.now()
        const write = fault.load.write(seq).then(({ answer, ack }) => {
          record(fault.load.name, answer)
          if (ack !== undefined) {
            acks.push(ack)
            lastAckStartedAt = Math.max(lastAckStartedAt, startedAt)
          }
        })
        inFlight.add(write)
        void write.finally(() => inFlight.delete(write))
      }
      await sleep(WRITE_INTERVAL_MS)
    }
    await Promise.all(inFlight)
  })()

  let probingOthers = true
  const othersFailed: string[] = []
  const others = (async () => {
    while (probingOthers) {
      await Promise.all(
        Object.entries(fault.others).map(async ([name, probe]) => {
          const answer = await probe()
          record(name, answer)
          if (!ok(answer)) othersFailed.push(`${name}: ${answer.status}`)
        }),
      )
      await sleep(OTHERS_INTERVAL_MS)
    }
  })()

  let restarted = false
  let recoveryS: number | undefined
  let keptCheck: (() => Promise<string[]>) | undefined
  try {
    const baselineEnd = Date.now() + BASELINE_BOUND_MS
    while (acks.length === 0 && Date.now() < baselineEnd) await sleep(PROBE_INTERVAL_MS)
    if (acks.length === 0) {
      throw new Error(
        `${fault.load.name}: no write acknowledged before the kill: ${JSON.stringify(statuses)}`,
      )
    }
    keptCheck = await fault.kept?.snapshot()
    const killedAt = Date.now()
    await killMainProcess(id)
    const deadline = killedAt + fault.recoveryBoundMs
    while (Date.now() < deadline && !restarted) {
      restarted = (await restartCount(id)) > restartsBefore
      if (!restarted) await sleep(PROBE_INTERVAL_MS)
    }
    const restartedAt = Date.now()
    while (restarted && Date.now() < deadline) {
      const answer = await fault.probe()
      record(`${fault.target} probe`, answer)
      if (ok(answer) && lastAckStartedAt >= restartedAt) {
        recoveryS = (Date.now() - killedAt) / 1000
        break
      }
      await sleep(PROBE_INTERVAL_MS)
    }
    await sleep(TAIL_MS)
  } finally {
    writing = false
    probingOthers = false
    await Promise.all([load, others])
  }
  if (othersFailed.length > 0)
    evidence.push(`other apps not answering: ${othersFailed.slice(0, 10).join(', ')}`)
  const missing = await fault.load.missing(acks)
  if (missing.length > 0) evidence.push(`lost: ${JSON.stringify(missing.slice(0, 10))}`)
  const notKept = fault.kept && keptCheck && { name: fault.kept.name, items: await keptCheck() }
  if (notKept?.items.length)
    evidence.push(`${notKept.name}: ${notKept.items.slice(0, 10).join(', ')}`)
  return {
    target: fault.target,
    restarted,
    acknowledged: acks.length,
    lost: missing.length,
    statuses,
    fiveXXNot503: Object.entries(statuses)
      .filter(([status]) => Number(status) >= 500 && Number(status) !== 503)
      .reduce((sum, [, count]) => sum + count, 0),
    recoveryS,
    othersAnswered: othersFailed.length === 0,
    notKept,
    evidence,
  }
}

async function docker(args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { encoding: 'utf8' })
  return stdout.trim()
}

export async function containerId(stack: Stack, service: string): Promise<string> {
  const [file, ...args] = stack.compose()
  if (!file) throw new Error('the stack is not up')
  const { stdout } = await exec(file, [...args, 'ps', '-q', service], { env: stack.env })
  const id = stdout.trim()
  if (!id) throw new Error(`no container for ${service}`)
  return id
}

async function restartCount(id: string): Promise<number> {
  return Number(await docker(['inspect', '-f', '{{.RestartCount}}', id]))
}

/** docker-init is compose's `init: true`. */
const INITS = ['tini', 'docker-init', 'dumb-init']

/**
 * kill -9 of the service's main process, sent from inside its container. PID 1 ignores a
 * SIGKILL sent from its own PID namespace, so every service runs under an init (tini,
 * dumb-init, compose's `init: true`) and the main process is its child: killed, it takes
 * the container down and the restart policy, not the test, brings it back. `docker kill`
 * would not do: Docker counts it as a stop by hand, to which the policy does not apply.
 */
async function killMainProcess(id: string): Promise<void> {
  const [init = '', children = ''] = (
    await docker(['exec', id, 'cat', '/proc/1/comm', '/proc/1/task/1/children'])
  ).split('\n')
  if (!INITS.includes(init) || !/^\d+( \d+)*$/.test(children)) {
    throw new Error(
      `${id}: PID 1 is ${init} with children [${children}]: the main process must be the child of an init`,
    )
  }
  // The exec may end with the container, before it reports.
  await docker(['exec', id, 'sh', '-c', 'kill -9 "$@"', 'sh', ...children.split(' ')]).catch(
    () => undefined,
  )
}

/** Until every running container of the stack is healthy (or has no healthcheck). */
export async function waitHealthy(stack: Stack, timeoutMs: number): Promise<void> {
  const [file, ...args] = stack.compose()
  if (!file) throw new Error('the stack is not up')
  const deadline = Date.now() + timeoutMs
  let unhealthy: string[] = []
  while (Date.now() < deadline) {
    const { stdout } = await exec(file, [...args, '--profile', 'ml', 'ps', '-q'], {
      env: stack.env,
    })
    const ids = stdout.split('\n').filter(Boolean)
    const states = await docker([
      'inspect',
      '-f',
      '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
      ...ids,
    ])
    unhealthy = states.split('\n').filter((line) => {
      const [, status, health] = line.split(' ')
      return (
        status !== 'exited' &&
        (status !== 'running' || (health !== undefined && health !== '' && health !== 'healthy'))
      )
    })
    if (unhealthy.length === 0) return
    await sleep(1_000)
  }
  throw new Error(`not healthy after ${timeoutMs / 1000}s: ${unhealthy.join(', ')}`)
}
