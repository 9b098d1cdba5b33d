import type { NeighbourOptions } from './cypher.js'
import type { Properties } from './identifiers.js'
import type { SnapshotPages } from './snapshot.js'

/** One call per AppGraph operation: what Bolt (boltOperations) and the guard's client provide. */
export interface GraphOperations extends SnapshotPages {
  upsertNode(id: string, props: Properties): Promise<Properties>
  getNode(id: string): Promise<Properties | undefined>
  deleteNode(id: string): Promise<boolean>
  link(fromId: string, toId: string, type: string, props: Properties): Promise<boolean>
  unlink(fromId: string, toId: string, type: string): Promise<boolean>
  neighbours(id: string, options?: NeighbourOptions): Promise<Properties[]>
  count(): Promise<number>
  countLinks(): Promise<number>
  ready(signal?: AbortSignal): Promise<void>
}
