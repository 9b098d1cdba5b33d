/**
 * The second node of the two-node swarm test, from TypeScript: scripts/ci/second-node.sh
 * (a dockerd of its own in a network namespace of its own, reached through a veth) brought up,
 * joined to this machine's swarm as a worker labelled flotilla.tier=ml, and removed.
 */
import { join } from 'node:path'
import { run } from '../compose.js'

export interface SecondNode {
  /** Its dockerd: `docker -H <dockerHost> …` talks to the node, not to the manager. */
  dockerHost: string
  /** The veth's host side: the only address of this machine the node reaches. */
  managerAddr: string
}

const script = (root: string) => join(root, 'scripts/ci/second-node.sh')

/** Brings the node up (idempotent); the swarm must then advertise `managerAddr`. */
export async function secondNodeUp(root: string): Promise<SecondNode> {
  const lines = await run(['bash', script(root), 'up'], { cwd: root })
  const value = (key: string) => {
    const found = new RegExp(`^${key}=(.+)$`, 'm').exec(lines)?.[1]
    if (!found) throw new Error(`second-node.sh up printed no ${key}:\n${lines}`)
    return found
  }
  return {
    dockerHost: value('SECOND_NODE_DOCKER_HOST'),
    managerAddr: value('SECOND_NODE_MANAGER_ADDR'),
  }
}

/** `docker swarm join` as a worker, then labelled flotilla.tier=ml on the manager. */
export async function joinSecondNode(root: string): Promise<void> {
  await run(['bash', script(root), 'join'], { cwd: root })
}

/** Leaves the swarm, stops its dockerd, deletes its namespace, veth, data root and cgroups. */
export async function secondNodeDown(root: string): Promise<void> {
  await run(['bash', script(root), 'down'], { cwd: root })
}

/** A docker command on the second node. */
export function onSecondNode(node: SecondNode, args: string[]): Promise<string> {
  return run(['docker', '-H', node.dockerHost, ...args])
}
