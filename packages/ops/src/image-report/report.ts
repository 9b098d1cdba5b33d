import { parse } from 'yaml'
import { shortId } from '../deploy/deploy.js'
import { type Runner, runChecked } from '../run.js'

/** The part of `docker image inspect` the report reads. */
export interface ImageInspect {
  Id: string
  RepoTags: string[] | null
  Size: number
  RootFS: { Layers?: string[] }
}

/** An image the stack uses, by the name compose gave it and the id it really is. */
export interface StackImage {
  name: string
  id: string
}

export interface ReportRow {
  name: string
  id: string
  size: number
  /** The local image whose layers this one extends (its tier), if any. */
  base: ImageInspect | undefined
  ownLayers: number
  ownBytes: number
}

export interface Report {
  rows: ReportRow[]
  sum: number
  /** Bytes on disk of the images and the images they are built on, every layer once. */
  disk: number
  /** The images counted in `disk` that the stack does not run itself (its tiers' bases). */
  bases: ImageInspect[]
}

const layersOf = (image: ImageInspect) => image.RootFS.Layers ?? []
const nameOf = (image: ImageInspect) => image.RepoTags?.[0] ?? shortId(image.Id)

/** The image with the most layers that are a proper prefix of `image`'s own. */
function baseOf(image: ImageInspect, all: ImageInspect[]): ImageInspect | undefined {
  const layers = layersOf(image)
  let best: ImageInspect | undefined
  for (const candidate of all) {
    const prefix = layersOf(candidate)
    if (prefix.length === 0 || prefix.length >= layers.length) continue
    if (!prefix.every((layer, i) => layers[i] === layer)) continue
    if (!best || prefix.length > layersOf(best).length) best = candidate
  }
  return best
}

/**
 * Each image's own bytes are its size minus its base's (an image is its base's layers plus its
 * own); the disk the set uses is the sum of own bytes over the images and all their bases.
 */
export function analyse(used: StackImage[], local: ImageInspect[]): Report {
  const byId = new Map(local.map((image) => [image.Id, image]))
  const rows: ReportRow[] = []
  const counted = new Map<string, number>()
  const count = (image: ImageInspect) => {
    let current: ImageInspect | undefined = image
    while (current && !counted.has(current.Id)) {
      const base = baseOf(current, local)
      counted.set(current.Id, current.Size - (base?.Size ?? 0))
      current = base
    }
  }
  for (const { name, id } of used) {
    const image = byId.get(id)
    if (!image) throw new Error(`image ${name} (${shortId(id)}) is not on this machine`)
    const base = baseOf(image, local)
    rows.push({
      name,
      id,
      size: image.Size,
      base,
      ownLayers: layersOf(image).length - (base ? layersOf(base).length : 0),
      ownBytes: image.Size - (base?.Size ?? 0),
    })
    count(image)
  }
  const usedIds = new Set(used.map((image) => image.id))
  return {
    rows,
    sum: rows.reduce((total, row) => total + row.size, 0),
    disk: [...counted.values()].reduce((total, bytes) => total + bytes, 0),
    bases: [...counted.keys()].filter((id) => !usedIds.has(id)).flatMap((id) => byId.get(id) ?? []),
  }
}

const human = (bytes: number) => {
  const units = ['B', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 2)}${units[unit]}`
}

export function formatReport(report: Report): string {
  const header = ['IMAGE', 'ID', 'SIZE', 'OWN', 'OWN BYTES', 'SHARED', 'ON TOP OF']
  const lines = report.rows.map((row) => [
    row.name,
    shortId(row.id),
    human(row.size),
    String(row.ownLayers),
    human(row.ownBytes),
    human(row.base?.Size ?? 0),
    row.base ? nameOf(row.base) : '-',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)))
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const bases = report.bases.map(nameOf).join(', ')
  return [
    format(header),
    ...lines.map(format),
    '',
    `sum of image sizes:           ${human(report.sum)} (${report.rows.length} images)`,
    `on disk, shared layers once:  ${human(report.disk)}${bases ? ` (incl. ${bases})` : ''}`,
  ].join('\n')
}

/**
 * What the stack's containers run (stopped one-shots included), by the id each was created
 * from: a tag rebuilt since then shows as `name (stale)`. No container: every image the compose
 * file names, all profiles.
 */
async function stackImages(runner: Runner, compose: string[]): Promise<StackImage[]> {
  const ids = (await runChecked(runner, [...compose, 'ps', '-a', '-q'])).split('\n').filter(Boolean)
  if (ids.length > 0) {
    const containers = JSON.parse(await runChecked(runner, ['docker', 'inspect', ...ids])) as {
      Image: string
      Config: { Image: string }
    }[]
    const used = new Map<string, string>()
    for (const { Image: id, Config } of containers) used.set(id, Config.Image)
    const images: StackImage[] = []
    for (const [id, name] of used) {
      const tagged = await runner(['docker', 'image', 'inspect', '--format', '{{.Id}}', name])
      const stale = tagged.code !== 0 || tagged.stdout.trim() !== id
      images.push({ name: stale ? `${name} (stale)` : name, id })
    }
    return images.sort((a, b) => a.name.localeCompare(b.name))
  }
  const config = parse(await runChecked(runner, [...compose, '--profile', '*', 'config'])) as {
    services: Record<string, { image?: string }>
  }
  const names = [
    ...new Set(Object.values(config.services).flatMap((service) => service.image ?? [])),
  ]
  const images: StackImage[] = []
  for (const name of names.sort()) {
    const id = await runner(['docker', 'image', 'inspect', '--format', '{{.Id}}', name])
    if (id.code === 0) images.push({ name, id: id.stdout.trim() })
    else images.push({ name: `${name} (not built)`, id: '' })
  }
  return images.filter((image) => image.id)
}

export async function imageReport(runner: Runner, compose: string[]): Promise<string> {
  const used = await stackImages(runner, compose)
  if (used.length === 0) throw new Error('the stack uses no image that is on this machine')
  // Top-level images only: a classic build's intermediate images are no one's tier.
  const ids = (await runChecked(runner, ['docker', 'images', '-q', '--no-trunc']))
    .split('\n')
    .filter(Boolean)
  const local = JSON.parse(
    await runChecked(runner, ['docker', 'image', 'inspect', ...new Set(ids)]),
  ) as ImageInspect[]
  return formatReport(analyse(used, local))
}

/**
 * Removes the images compose built for the project that rebuilds left untagged (compose labels
 * what it builds with the project); one a container still runs stays.
 */
export async function pruneProjectImages(runner: Runner, project: string): Promise<string[]> {
  const ids = await runChecked(runner, [
    'docker',
    'images',
    '-q',
    '--no-trunc',
    '--filter',
    'dangling=true',
    '--filter',
    `label=com.docker.compose.project=${project}`,
  ])
  const removed: string[] = []
  for (const id of new Set(ids.split('\n').filter(Boolean))) {
    if ((await runner(['docker', 'image', 'rm', id])).code === 0) removed.push(id)
  }
  return removed
}
