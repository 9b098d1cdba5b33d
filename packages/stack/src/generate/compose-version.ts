/**
 * The oldest Docker Compose that builds docker-compose.yml: `additional_contexts` naming a
 * service (`service:build`) is built first, and without buildx bake, from 2.34 on (docker/compose
 * #12582). 2.26 reads `service:build` as a folder; v1 (docker-compose 1.29) reads no `name:`,
 * no `additional_contexts` and no `<<:` merge of a `scale: 0` service at all.
 */
export const COMPOSE_MIN_VERSION = [2, 34] as const

export const COMPOSE_NEEDED = `flotilla needs Docker Compose v${COMPOSE_MIN_VERSION.join('.')} or newer (\`docker compose version\`)`

/**
 * Why the Compose that printed `short` (`docker compose version --short`: "2.40.3", "v2.40.3",
 * "2.40.3-3"; undefined when `docker compose` is no command) cannot run the stack, or undefined.
 */
export function composeVersionProblem(short: string | undefined): string | undefined {
  const found = short?.trim()
  if (!found)
    return `${COMPOSE_NEEDED}; \`docker compose\` is not installed (docker-compose v1 cannot read the file)`
  const [major = 0, minor = 0] = (/^v?(\d+)\.(\d+)/.exec(found) ?? []).slice(1).map(Number)
  const [neededMajor, neededMinor] = COMPOSE_MIN_VERSION
  const older = major < neededMajor || (major === neededMajor && minor < neededMinor)
  return older ? `${COMPOSE_NEEDED}; found ${found}` : undefined
}
