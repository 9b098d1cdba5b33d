import { parse } from 'yaml'
import { type Runner, runChecked } from '../run.js'
import type { ContainerInspect, ExpectedService } from './assess.js'

interface ServiceConfig {
  profiles?: string[]
  scale?: number
  deploy?: { replicas?: number }
}

/**
 * Services of the compose file (every profile) that run containers: a service that is only
 * built (scale 0, e.g. an image tier) is expected nowhere. One in a profile is required only
 * when its profile is active (COMPOSE_PROFILES or --profile).
 */
export async function expectedServices(
  runner: Runner,
  compose: string[],
  profiles: string[],
): Promise<ExpectedService[]> {
  const config = parse(await runChecked(runner, [...compose, '--profile', '*', 'config'])) as {
    services: Record<string, ServiceConfig>
  }
  return Object.entries(config.services)
    .filter(([, service]) => (service.scale ?? service.deploy?.replicas) !== 0)
    .map(([service, { profiles: own = [] }]) => ({
      service,
      required: own.length === 0 || own.some((profile) => profiles.includes(profile)),
    }))
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
