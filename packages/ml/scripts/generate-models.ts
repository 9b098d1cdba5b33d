// Usage: generate-models [outRoot] [model ...] — writes outRoot/<model>/ for each model (all by default).
import { resolve } from 'node:path'
import { generateModel } from '../src/generate/generate-model.js'
import { isModelName, MODEL_SPECS, type ModelName } from '../src/generate/specs.js'

const [outRoot = 'models', ...requested] = process.argv.slice(2)
const unknown = requested.filter((name) => !isModelName(name))
if (unknown.length > 0) {
  console.error(
    `unknown model(s): ${unknown.join(', ')}; known: ${Object.keys(MODEL_SPECS).join(', ')}`,
  )
  process.exit(1)
}
const names = (requested.length > 0 ? requested : Object.keys(MODEL_SPECS)) as ModelName[]
for (const name of names) {
  const dir = resolve(outRoot, name)
  const started = performance.now()
  await generateModel(name, dir)
  console.log(`${name} → ${dir} (${Math.round(performance.now() - started)} ms)`)
}
