import type { Properties } from './identifiers.js'

// What an export yields and an import takes: the Cypher statements and the snapshot loops
// both speak these, so they sit below both.

/** A node of the app's label: its id and its other properties. */
export interface GraphNode {
  kind: 'node'
  id: string
  props: Properties
}

/** A relationship between two nodes of the app's label. */
export interface GraphLink {
  kind: 'link'
  from: string
  type: string
  to: string
  props: Properties
}

export type GraphRecord = GraphNode | GraphLink

/** Where a page of links ends: the next page starts after this (source, type, target). */
export type LinkCursor = Pick<GraphLink, 'from' | 'type' | 'to'>
