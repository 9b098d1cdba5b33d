// Puts the ML tier's models into <out>/<model>/ with a link <out>/<role> to each (image build,
// CI, a developer). Usage:
//   fetch-models [--out models] [--accept-new-pins] [MODELS] [role ...]
// MODELS (default: $MODELS, else real): real | dir:<folder> | generated, or per role, e.g.
// "dir:/srv/models,classification=generated" (src/model-sources.ts). Exit 1 naming the file,
// the expected hash and what to do when a source fails.
import { mkdir, rm, symlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  isInstalled,
  LOCK_PATH,
  type ModelRole,
  obtainPinnedModel,
  readModelLock,
  writeNewPins,
} from '../src/fetch-models.js'
import { ensureModel } from '../src/generate/generate-model.js'
import { GENERATED_MODELS, MODEL_ROLES, parseModelSources } from '../src/model-sources.js'

const { values, positionals } = parseArgs({
  options: { out: { type: 'string', default: 'models' }, 'accept-new-pins': { type: 'boolean' } },
  allowPositionals: true,
})
const [setting = process.env.MODELS || 'real', ...requested] = positionals
const out = resolve(values.out)
try {
  const sources = parseModelSources(setting)
  const unknown = requested.filter((role) => !MODEL_ROLES.includes(role as ModelRole))
  if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown}; roles: ${MODEL_ROLES}`)
  const roles = requested.length > 0 ? (requested as ModelRole[]) : MODEL_ROLES
  const lock = await readModelLock()
  await mkdir(out, { recursive: true })
  for (const role of roles) {
    const source = sources[role]
    let name: string
    if (source.kind === 'generated') {
      name = GENERATED_MODELS[role]
      await ensureModel(GENERATED_MODELS[role], out)
      console.log(`${role}: ${name} GENERATED (synthetic weights: shapes and limits, no meaning)`)
    } else {
      const entry = Object.entries(lock.models).find(([, model]) => model.role === role)
      if (!entry) throw new Error(`${LOCK_PATH} pins no ${role} model`)
      const [pinnedName, model] = entry
      name = pinnedName
      const dir = join(out, name)
      const where = source.kind === 'dir' ? source.root : source.endpoint
      if (await isInstalled(dir, name, model)) {
        console.log(`${role}: ${name} ${model.repo}@${model.revision} already verified in ${dir}`)
      } else {
        const newPins = await obtainPinnedModel(name, model, source, dir, {
          acceptNewPins: values['accept-new-pins'],
        })
        for (const pin of newPins) {
          console.log(`NEW PIN ${name} ${pin.file}: sha256 ${pin.sha256}, ${pin.size} bytes`)
        }
        if (newPins.length > 0) await writeNewPins(LOCK_PATH, name, newPins)
        console.log(`${role}: ${name} ${model.repo}@${model.revision} verified from ${where}`)
      }
    }
    await rm(join(out, role), { force: true })
    await symlink(name, join(out, role))
  }
} catch (error) {
  console.error(`fetch-models FAILED: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
