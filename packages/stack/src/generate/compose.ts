import type { App, Registry } from '../app.js'
import {
  BACKUP_RECORDS_APP_VARIABLE,
  BACKUP_RECORDS_DEFAULT_DIR,
  BACKUP_RECORDS_MOUNT,
  BACKUP_RECORDS_READER,
  BACKUP_RECORDS_VARIABLE,
} from '../backup-records.js'
import { STORE_NAMES } from '../manifest.js'
import { parseMemory } from '../quantities.js'
import { STORE_SERVICE } from './stores.js'
import { bodyLimitBytes } from './tier-defaults.js'
import { appUid } from './uid.js'

/**
 * The app_secrets volume in every app container. scripts/provision writes
 * `<dir>/apps/<app>.env` (DATABASE_URL, REDIS_URL, …); the app's node loads it at start.
 */
export const APP_SECRETS_DIR = '/run/flotilla/secrets'

// biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not JavaScript
const TAG = '${FLOTILLA_TAG:-local}'

/** Where the ML tier's image keeps its models, one folder per model (images/ml/Dockerfile). */
const ML_MODELS_DIR = '/opt/models'

/** Builds every app's image from its workspace folder (ARG APP) on its tier. */
const APP_DOCKERFILE = 'images/app/Dockerfile'

/** Share of the memory limit given to the V8 heap; the rest is buffers, stacks, native. */
const HEAP_SHARE = 0.75

/**
 * The `x-app` block of docker-compose.yml: what every app service shares, merged into each
 * with `<<: *app` (after the hand-written `x-logging` anchor it refers to).
 */
export function composeAppAnchor(): string {
  // PORT from the service's environment: one healthcheck for every app. Concatenated, as a
  // `${…}` would be compose interpolation.
  const readyz =
    "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
  return `${[
    '# Shared by every app service (<<: *app); each adds its image, uid, environment, limits',
    '# and the stores it waits for.',
    'x-app: &app',
    '  volumes:',
    `    - app_secrets:${APP_SECRETS_DIR}:ro`,
    '  read_only: true',
    '  tmpfs: [/tmp]',
    '  cap_drop: [ALL]',
    '  security_opt: [no-new-privileges:true]',
    '  pids_limit: 256',
    '  restart: unless-stopped',
    '  healthcheck:',
    `    test: [CMD, node, -e, "${readyz}"]`,
    '    interval: 10s',
    '    timeout: 5s',
    '    retries: 3',
    '    start_period: 30s',
    '  logging: *logging',
    '  networks: [flotilla]',
  ].join('\n')}\n`
}

/** The app services of docker-compose.yml, grouped by tier, for the `apps` block. */
export function composeAppServices(registry: Pick<Registry, 'apps'>): string {
  const sections: string[] = []
  for (const tier of ['base', 'ml'] as const) {
    const apps = registry.apps.filter((app) => app.tier === tier)
    if (apps.length === 0) continue
    sections.push(
      [
        `# ── ${tier === 'base' ? 'base tier' : 'ML tier (docker compose --profile ml up)'} ──`,
        ...apps.flatMap((app) => ['', ...appService(app)]),
      ].join('\n'),
    )
  }
  return `${sections.join('\n\n')}\n`
}

/** `NOTES_LOG_LEVEL`: the .env variable that sets an app's log level. */
export function appVariable(app: Pick<App, 'name'>, key: string): string {
  return `${app.name.toUpperCase()}_${key}`
}

function appService(app: App): string[] {
  const heapMiB = Math.floor((parseMemory(app.resources.memory) * HEAP_SHARE) / 1024 ** 2)
  const environment: [string, string][] = [
    ['HOST', '0.0.0.0'],
    ['PORT', `"${app.port}"`],
    ['LOG_LEVEL', `\${${appVariable(app, 'LOG_LEVEL')}:-info}`],
    ['NODE_OPTIONS', `--max-old-space-size=${Math.max(heapMiB, 16)}`],
    // nginx's client_max_body_size for the app too: nginx refuses every oversized body.
    ['BODY_LIMIT_BYTES', `"${bodyLimitBytes(app)}"`],
    ...(app.model === null
      ? []
      : [['MODEL_DIR', `${ML_MODELS_DIR}/${app.model}`] as [string, string]]),
    ...Object.keys(app.env).map((key): [string, string] => [key, `\${${appVariable(app, key)}:-}`]),
  ]
  // The status app alone sees the backups' public records (never the backups themselves).
  const readsBackupRecords = app.name === BACKUP_RECORDS_READER
  if (readsBackupRecords) environment.push([BACKUP_RECORDS_APP_VARIABLE, BACKUP_RECORDS_MOUNT])

  const dependencies = ['provision', ...storeServices(app)]
  const uid = appUid(app)
  return [
    `# ${app.name}: ${app.route} → :${app.port}, from ${app.manifestFile}`,
    `${app.name}:`,
    '  <<: *app',
    `  image: flotilla/${app.name}:${TAG}`,
    '  build:',
    '    context: .',
    `    dockerfile: ${APP_DOCKERFILE}`,
    '    args:',
    `      APP: ${app.dir}`,
    // Named contexts of the Dockerfile; compose builds these tier services first.
    '    additional_contexts:',
    '      workspace: service:build',
    `      tier: service:${app.tier}`,
    ...(app.profile ? [`  profiles: [${app.profile}]`] : []),
    `  command: [node, --env-file-if-exists=${APP_SECRETS_DIR}/apps/${app.name}.env, dist/main.js]`,
    `  user: "${uid}:${uid}"`,
    '  environment:',
    ...environment.map(([key, value]) => `    ${key}: ${value}`),
    // A list replaces the anchor's whole: the secrets line again.
    ...(readsBackupRecords
      ? [
          '  volumes:',
          `    - app_secrets:${APP_SECRETS_DIR}:ro`,
          `    - \${${BACKUP_RECORDS_VARIABLE}:-./${BACKUP_RECORDS_DEFAULT_DIR}}:${BACKUP_RECORDS_MOUNT}:ro`,
        ]
      : []),
    `  mem_limit: ${app.resources.memory}`,
    `  cpus: "${app.resources.cpus}"`,
    '  depends_on:',
    ...dependencies.flatMap((service) => [
      `    ${service}:`,
      `      condition: ${service === 'provision' ? 'service_completed_successfully' : 'service_healthy'}`,
    ]),
  ]
}

/** The shared services an app must find healthy before it starts, in the registry's store order. */
function storeServices(app: App): string[] {
  return STORE_NAMES.filter((store) => app.stores[store]).map((store) => STORE_SERVICE[store])
}
