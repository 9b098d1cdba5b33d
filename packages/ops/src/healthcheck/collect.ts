import type { Registry } from '@flotilla/stack'
import { type Runner, runChecked } from '../run.js'
import type { ContainerInspect, ExpectedService } from './assess.js'

/**
 * Services compose would run (`config --services`), an app being required only when its
 * profile is active (COMPOSE_PROFILES or --profile).
 */
export async function expectedServices(
  runner: Runner,
  compose: string[],
  registry: Registry,
  profiles: string[],
): Promise<ExpectedService[]> {
  const services = (await runChecked(runner, [...compose, 'config', '--services']))
    .split('\n')
    .filter(Boolean)
  const profileOf = new Map(registry.apps.map((app) => [app.name, app.profile]))
  return services.map((service) => {
    const profile = profileOf.get(service)
    return { service, required: !profile || profiles.includes(profile) }
  })
}

/** `docker inspect` of every container of the project, stopped ones included. */
export async function inspectProject(
  runner: Runner,
  compose: string[],
): Promise<ContainerInspect[]> {
  const ids = (await runChecked(runner, [...compose, 'ps', '-a', '-q'])).split('\n').filter(Boolean)
  if (ids.length === 0) return []
  return JSON.parse(await runChecked(runner, ['docker', 'inspect', ...ids])) as ContainerInspect[]
}
