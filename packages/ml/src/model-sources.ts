import type { ModelRole, PinnedSource } from './fetch-models.js'
import type { ModelName } from './generate/specs.js'

/** Where a role's model comes from: pinned real files, or the generator (only when asked). */
export type ModelSource = PinnedSource | { kind: 'generated' }

export const MODEL_ROLES: readonly ModelRole[] = ['embedding', 'classification']

/** What `generated` serves in each role: synthetic weights, the real models' interface. */
export const GENERATED_MODELS: Record<ModelRole, ModelName> = {
  embedding: 'minilm-encoder',
  classification: 'tiny-classifier',
}

export const DEFAULT_HUB = 'https://huggingface.co'

/**
 * Parses a MODELS setting: comma-separated sources, `real` | `dir:<folder>` | `generated`,
 * each for every role or, as `<role>=<source>`, for one (the later wins). Examples: `real`,
 * `dir:/srv/models`, `dir:/srv/models,classification=generated`.
 */
export function parseModelSources(
  setting: string,
  hub = process.env.HF_ENDPOINT || DEFAULT_HUB,
): Record<ModelRole, ModelSource> {
  const sources = {} as Record<ModelRole, ModelSource>
  for (const item of setting.split(',').map((part) => part.trim())) {
    const match = /^(?:(embedding|classification)=)?(.*)$/.exec(item) as RegExpExecArray
    const [, role, value = ''] = match
    const source = parseSource(value, hub, setting)
    for (const r of role ? [role as ModelRole] : MODEL_ROLES) sources[r] = source
  }
  const missing = MODEL_ROLES.filter((role) => !sources[role])
  if (missing.length > 0) {
    throw new Error(`MODELS="${setting}" gives no source for ${missing.join(', ')}`)
  }
  return sources
}

function parseSource(value: string, hub: string, setting: string): ModelSource {
  if (value === 'real') return { kind: 'hub', endpoint: hub }
  if (value === 'generated') return { kind: 'generated' }
  if (value.startsWith('dir:') && value.length > 4) return { kind: 'dir', root: value.slice(4) }
  throw new Error(
    `MODELS="${setting}": "${value}" is not a source; use real, dir:<folder> or generated, optionally as <role>=<source> (roles: ${MODEL_ROLES.join(', ')})`,
  )
}
