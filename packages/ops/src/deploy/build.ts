import { type Runner, runChecked } from '../run.js'

/**
 * Builds one app's image from the checkout, the tier images it is built on first, so a change
 * anywhere in the workspace reaches it: the compose file names each tier as a build context of
 * the images built on it (`additional_contexts: service:<tier>`), so compose builds them first.
 * The one place deploy's build lives.
 */
export async function buildApp(runner: Runner, compose: string[], app: string): Promise<void> {
  await runChecked(runner, [...compose, 'build', app])
}
