// The operator commands behind scripts/{new-app,deploy,backup,restore,healthcheck}.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  BACKUP_RECORDS_DEFAULT_DIR,
  BACKUP_RECORDS_VARIABLE,
  backupRecordFile,
  backupRecordsDir,
  isBackedUp,
  loadRegistry,
  RegistryError,
} from '@flotilla/stack'
import { type AppStoreAccess, backupApp, restoreApp } from './backup/app-backup.js'
import { composeAccess, envAccess } from './backup/compose-access.js'
import { BackupIntegrityError } from './backup/manifest.js'
import { recordBackup } from './backup/record.js'
import { pruneBackups } from './backup/retention.js'
import { buildApp } from './deploy/build.js'
import { DeployError, deploy } from './deploy/deploy.js'
import { assess, EXIT_CODES, exitCode, formatTable, overall } from './healthcheck/assess.js'
import { expectedServices, inspectProject } from './healthcheck/collect.js'
import { imageReport, pruneProjectImages } from './image-report/report.js'
import { NewAppError } from './new-app/request.js'
import { newApp } from './new-app/scaffold.js'
import { ComposeVersionError, runCommand } from './run.js'
import { type StackTarget, stackTarget } from './stack-target.js'
import { deployApp, deployStack, isSwarmTarget, type Swarm } from './swarm/swarm.js'

const STACK_HELP = `The stack: -p/--project NAME, else COMPOSE_PROJECT_NAME, else the \`name:\` of the checkout's
docker-compose.yml; the compose file(s): COMPOSE_FILE, else the checkout's docker-compose.yml.`

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options']
interface Command {
  usage: string
  options: Options
  /** How many positional arguments it takes, at least and at most. */
  positionals: [number, number]
  /** Acts on a compose stack (takes -p). */
  stack: boolean
}

const COMMANDS: Record<string, Command> = {
  'new-app': {
    usage: `usage: scripts/new-app <name> --tier base|ml [--route /x/] [--port N] [--stores LIST]

Scaffolds apps/<name> (code, test, manifest with a pinned port and Redis DB)
and regenerates docker-compose.yml, nginx routes and .env.example. The name and every
collision with the registry are checked before any file is written.
  --stores  postgres,redis,neo4j,qdrant:<a+b>,chroma:<a+b>   (default: none)
Then: npm install && npm run build -w @flotilla/<name> && npm test -w @flotilla/<name>`,
    options: {
      tier: { type: 'string' },
      route: { type: 'string' },
      port: { type: 'string' },
      stores: { type: 'string' },
    },
    positionals: [1, 1],
    stack: false,
  },
  deploy: {
    usage: `usage: scripts/deploy <app> [--skip-build] [--timeout SECONDS] [-p PROJECT]

Builds the app's image from this checkout (the tier images it is built on first) and compares
it with the image the app's RUNNING container runs. Only when they differ is that container
replaced (no other one is touched) and waited for until healthy (default 120 s); deploy prints
"replaced <old image id> → <new image id>" and removes the flotilla images the rebuild left
untagged and unused. "nothing to do" means the container already runs the image just built.
Not healthy in time: the previous image is put back, and deploy exits 1 with the reason and
the container's last log lines.
On a swarm (the stack's service <stack>_<app> exists; scripts/swarm-deploy): the image is pushed
to the registry and compared by digest with the one the service runs; when they differ, a
rolling update (start-first, health-gated, default 300 s) replaces the app with no downtime;
Swarm rolling it back is exit 1 with Swarm's reason and the tasks' states.
  --skip-build  deploy the image the app's tag names now (built elsewhere, e.g. by CI)`,
    options: { timeout: { type: 'string' }, 'skip-build': { type: 'boolean' } },
    positionals: [1, 1],
    stack: true,
  },
  'swarm-deploy': {
    usage: `usage: scripts/swarm-deploy [--ml] [--skip-build] [--without SERVICE]... [--timeout SECONDS] [-p STACK]

Brings the whole stack up on the Docker Swarm this node manages (inits a single-node swarm when
the daemon is in none; FLOTILLA_SWARM_ADVERTISE_ADDR, default 127.0.0.1): labels this node
flotilla.stores=true (the stores, guards and nginx run here, on its volumes), starts the
registry (scripts/ci/registry.sh; FLOTILLA_REGISTRY, default 127.0.0.1:5000), builds the images
(docker compose build; --skip-build: the ones on this node) and pushes them, runs the secrets
one-shot, deploys the stores and waits for them, runs provision, makes each app's credential
file a Swarm secret, deploys the apps (--ml: the ML tier too, on nodes labelled
flotilla.tier=ml when one is) and waits until every service runs healthy (default 600 s).
Re-running it changes only what changed. Each step prints its time.
  --without  a shared service with no image on this machine (qdrant), left out as the
             compose e2e does; provision skips it`,
    options: {
      ml: { type: 'boolean' },
      'skip-build': { type: 'boolean' },
      without: { type: 'string', multiple: true },
      timeout: { type: 'string' },
    },
    positionals: [0, 0],
    stack: true,
  },
  backup: {
    usage: `usage: scripts/backup [app] [--keep N] [--out DIR] [--env] [-p PROJECT]

Backs up every store each app (or the one named) uses into <out>/<app>/<timestamp>/
(default out: ./backups) with manifest.json (sha256 of every file, row/key/vector counts).
Once a backup is verified, its public record (finished at, size, stores; no data) replaces
<records>/<app>.json, which the status app reads for its backupAge alert
(records: $${BACKUP_RECORDS_VARIABLE}, default ./${BACKUP_RECORDS_DEFAULT_DIR}).
  --keep N  then delete all but the newest N backups of that app
  --env     take credentials from SECRETS_DIR/apps/<app>.env and reach the stores directly
            (default: from the running compose stack)`,
    options: { keep: { type: 'string' }, out: { type: 'string' }, env: { type: 'boolean' } },
    positionals: [0, 1],
    stack: true,
  },
  restore: {
    usage: `usage: scripts/restore <app> <backup-dir> [--env] [-p PROJECT]

Verifies every checksum of the backup first (any mismatch: refuse, nothing changed), then
restores each store into the running stack and checks the counts against the manifest.
  --env     as for backup; Redis needs REDIS_ADMIN_URL (RESTORE is refused to app users)`,
    options: { env: { type: 'boolean' } },
    positionals: [2, 2],
    stack: true,
  },
  healthcheck: {
    usage: `usage: scripts/healthcheck [--json] [--profile NAME]… [-p PROJECT]

One table of every compose service: healthcheck status, one-shots' exit codes. Apps of a
profile that is not active (COMPOSE_PROFILES or --profile) are optional. A container whose
healthcheck has not passed yet (Docker's "starting") is reported as starting, not as failed.
No TTY needed (cron). Exit codes:
  ${EXIT_CODES.ok}  every required service ok
  ${EXIT_CODES.failed}  a required service failed (unhealthy, exited, missing)
  ${EXIT_CODES.starting}  none failed, but one is still starting: wait and ask again
  2  bad usage, or docker cannot be asked`,
    options: { json: { type: 'boolean' }, profile: { type: 'string', multiple: true } },
    positionals: [0, 0],
    stack: true,
  },
  'image-report': {
    usage: `usage: scripts/image-report [--prune] [-p PROJECT]

What the images of the stack cost on disk: every image its containers run (stopped one-shots
such as provision included; when none exists, every image the compose file names) with its
size, the image it is built on (the local image whose layers it extends), its own layers and
their bytes; then the disk all of them use together (shared layers once) against the sum of
their sizes, what \`docker images\` suggests.
  --prune  first remove the project's images that rebuilds left untagged (dangling images
           labelled com.docker.compose.project=<project>, as compose labels what it builds)`,
    options: { prune: { type: 'boolean' } },
    positionals: [0, 0],
    stack: true,
  },
}

const log = (line: string) => console.error(line)

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>

/** Its own options only: anything else is refused in one line (exit 2), not ignored. */
function parseCommand(command: string, spec: Command, args: string[]) {
  const options: Options = {
    root: { type: 'string', default: process.cwd() },
    help: { type: 'boolean', short: 'h' },
    ...(spec.stack ? { project: { type: 'string', short: 'p' } } : {}),
    ...spec.options,
  }
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    const message = (error as Error).message.split('. ')[0]
    throw new UsageError(`${command}: ${message} (scripts/${command} --help)`)
  }
  const [min, max] = spec.positionals
  if (!parsed.values.help && parsed.positionals.length > max)
    throw new UsageError(
      `${command}: unexpected argument "${parsed.positionals[max]}" (scripts/${command} --help)`,
    )
  if (!parsed.values.help && parsed.positionals.length < min)
    throw new UsageError(spec.usage.split('\n')[0] ?? '')
  return parsed
}

async function main(argv: string[]): Promise<number> {
  const [command = '', ...rest] = argv
  const spec = COMMANDS[command]
  if (!spec) {
    console.error(`unknown command "${command}"; one of: ${Object.keys(COMMANDS).join(', ')}`)
    return 2
  }
  const { values, positionals } = parseCommand(command, spec, rest)
  const text = (name: string) => values[name] as string | undefined
  if (values.help) {
    console.log(spec.stack ? `${spec.usage}\n\n${STACK_HELP}` : spec.usage)
    return 0
  }
  const root = resolve(text('root') ?? '.')
  const number = (name: string) => {
    const value = text(name)
    if (value === undefined) return undefined
    if (!/^\d+$/.test(value)) throw new UsageError(`--${name}: "${value}" is not a whole number`)
    return Number(value)
  }

  if (command === 'new-app') {
    const [name = ''] = positionals
    const tier = text('tier')
    if (!tier) throw new UsageError(spec.usage)
    await newApp(
      root,
      {
        name,
        tier: tier as 'base',
        route: text('route'),
        port: number('port'),
        stores: text('stores'),
      },
      log,
    )
    log(
      `==> next: npm install && npm run build -w @flotilla/${name} && npm test -w @flotilla/${name}`,
    )
    return 0
  }

  const runner = runCommand
  // Found only when used: backup and restore --env reach the stores without one.
  let found: Promise<StackTarget> | undefined
  const stack = () => {
    found ??= stackTarget(root, { project: text('project') }, process.env, runner).then(
      (target) => {
        log(`==> stack ${target.project} (from ${target.projectFrom})`)
        return target
      },
    )
    return found
  }

  if (command === 'image-report') {
    const { project, compose } = await stack()
    if (values.prune) {
      for (const id of await pruneProjectImages(runner, project)) log(`    removed ${id}`)
    }
    console.log(await imageReport(runner, compose))
    return 0
  }

  if (command === 'healthcheck') {
    const profiles = [
      ...((values.profile as string[] | undefined) ?? []),
      ...(process.env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean),
    ]
    const { compose } = await stack()
    let rows: ReturnType<typeof assess>
    try {
      rows = assess(
        await inspectProject(runner, compose),
        await expectedServices(runner, compose, profiles),
      )
    } catch (error) {
      console.error(`healthcheck: cannot ask docker: ${(error as Error).message}`)
      return 2
    }
    console.log(
      values.json
        ? JSON.stringify({ status: overall(rows), services: rows }, null, 2)
        : formatTable(rows),
    )
    return exitCode(rows)
  }

  const registry = await loadRegistry(root)
  const appNamed = (name: string | undefined) => {
    const app = registry.apps.find((a) => a.name === name)
    if (!app)
      throw new UsageError(
        `no app "${name ?? ''}" in the registry (${registry.apps.map((a) => a.name).join(', ')})`,
      )
    return app
  }
  const swarmOf = (stackName: string, compose: string[], timeoutSeconds: number): Swarm => ({
    runner,
    root,
    stack: stackName,
    compose,
    env: process.env,
    log,
    timeoutMs: timeoutSeconds * 1000,
  })
  const accessFor = async (app: ReturnType<typeof appNamed>): Promise<AppStoreAccess> => {
    if (!values.env) return composeAccess(runner, (await stack()).compose, app)
    const file = join(process.env.SECRETS_DIR ?? join(root, 'secrets'), 'apps', `${app.name}.env`)
    const { parseEnv } = await import('node:util')
    return envAccess(runner, app, parseEnv(await readFile(file, 'utf8')), process.env)
  }

  if (command === 'swarm-deploy') {
    const { project, compose } = await stack()
    const ml = Boolean(values.ml)
    await deployStack(
      swarmOf(project, ml ? [...compose, '--profile', 'ml'] : compose, number('timeout') ?? 600),
      {
        apps: registry.apps.filter((app) => ml || app.tier !== 'ml'),
        build: !values['skip-build'],
        without: (values.without as string[] | undefined) ?? [],
      },
    )
    log(`==> stack ${project} deployed`)
    return 0
  }
  if (command === 'deploy') {
    const app = appNamed(positionals[0])
    const { project, compose } = await stack()
    const withProfile = [...compose, ...(app.profile ? ['--profile', app.profile] : [])]
    const build = values['skip-build']
      ? async () => {}
      : () => buildApp(runner, withProfile, app.name)
    if (await isSwarmTarget(runner, project, app.name)) {
      const swarm = swarmOf(project, withProfile, number('timeout') ?? 300)
      console.log(JSON.stringify(await deployApp(swarm, app, build)))
      return 0
    }
    const result = await deploy({
      runner,
      compose: withProfile,
      app: app.name,
      build,
      timeoutMs: (number('timeout') ?? 120) * 1000,
      log,
    })
    console.log(JSON.stringify(result))
    return 0
  }
  if (command === 'backup') {
    const apps = positionals[0] ? [appNamed(positionals[0])] : [...registry.apps]
    const out = resolve(text('out') ?? join(root, 'backups'))
    const keep = number('keep')
    const records = backupRecordsDir(root)
    for (const app of apps) {
      if (!isBackedUp(app)) continue
      log(`==> backup ${app.name}`)
      const { dir, manifest } = await backupApp(await accessFor(app), out, log)
      const record = await recordBackup(records, dir, app.name)
      log(
        `    verified; ${record.sizeBytes} bytes; record → ${backupRecordFile(records, app.name)}`,
      )
      console.log(`${dir} ${JSON.stringify(manifest.counts)}`)
      if (keep !== undefined) {
        for (const old of await pruneBackups(join(out, app.name), keep))
          log(`    deleted old backup ${old}`)
      }
    }
    return 0
  }
  // restore
  const [name, from = ''] = positionals
  const app = appNamed(name)
  log(`==> restore ${app.name} from ${from}`)
  await restoreApp(await accessFor(app), resolve(from), log)
  return 0
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // Refused before acting (usage, registry, integrity): 2; a deploy that failed: 1.
    const refused = [
      UsageError,
      NewAppError,
      RegistryError,
      BackupIntegrityError,
      ComposeVersionError,
    ].some((type) => error instanceof type)
    console.error(refused || error instanceof DeployError ? (error as Error).message : error)
    process.exitCode = refused ? 2 : 1
  },
)
