// Image build on a machine with internet: fetch the real models pinned in models.lock.json.
// Usage: fetch-models <outRoot> [model ...]. Fails (exit 1) on anything unpinned or mismatching.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fetchPinnedModel, type PinnedModel } from '../src/fetch-models.js'

const lockPath = new URL('../models.lock.json', import.meta.url)
const { models } = JSON.parse(await readFile(lockPath, 'utf8')) as {
  models: Record<string, PinnedModel>
}
const [outRoot = 'models', ...requested] = process.argv.slice(2)
const names = requested.length > 0 ? requested : Object.keys(models)
try {
  for (const name of names) {
    const model = models[name]
    if (!model) throw new Error(`unknown model ${name}; known: ${Object.keys(models).join(', ')}`)
    await fetchPinnedModel(name, model, resolve(outRoot, name))
    console.log(`${name}: ${model.repo}@${model.revision} verified → ${resolve(outRoot, name)}`)
  }
} catch (error) {
  console.error(`fetch-models FAILED: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
