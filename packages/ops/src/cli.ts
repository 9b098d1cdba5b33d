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
import { deploy } from './deploy/deploy.js'
import { assess, exitCode, formatTable } from './healthcheck/assess.js'
import { expectedServices, inspectProject } from './healthcheck/collect.js'
import { NewAppError } from './new-app/request.js'
import { newApp } from './new-app/scaffold.js'
import { composeCommand, runCommand } from './run.js'

const HELP: Record<string, string> = {
  'new-app': `usage: scripts/new-app <name> --tier base|ml [--route /x/] [--port N] [--stores LIST]

Scaffolds apps/<name> (code, test, Dockerfile, manifest with a pinned port and Redis DB)
and regenerates docker-compose.yml, nginx routes and .env.example. The name and every
collision with the registry are checked before any file is written.
  --stores  postgres,redis,neo4j,qdrant:<a+b>,chroma:<a+b>   (default: none)
Then: npm install && npm run build -w @flotilla/<name> && npm test -w @flotilla/<name>`,
  deploy: `usage: scripts/deploy <app> [--timeout SECONDS]

Builds ONE app's image and replaces only its container (up -d --no-deps), waits for its
healthcheck (default 120 s) and rolls back to the previous image when it is not healthy.
Prints the old and new image ids and the bytes of the new top layer. Exit 1 on rollback.`,
  backup: `usage: scripts/backup [app] [--keep N] [--out DIR] [--env]

Backs up every store each app (or the one named) uses into <out>/<app>/<timestamp>/
(default out: ./backups) with manifest.json (sha256 of every file, row/key/vector counts).
Once a backup is verified, its public record (finished at, size, stores; no data) replaces
<records>/<app>.json, which the status app reads for its backupAge alert
(records: $${BACKUP_RECORDS_VARIABLE}, default ./${BACKUP_RECORDS_DEFAULT_DIR}).
  --keep N  then delete all but the newest N backups of that app
  --env     take credentials from SECRETS_DIR/apps/<app>.env and reach the stores directly
            (default: from the running compose stack)`,
  restore: `usage: scripts/restore <app> <backup-dir> [--env]

Verifies every checksum of the backup first (any mismatch: refuse, nothing changed), then
restores each store into the running stack and checks the counts against the manifest.
  --env     as for backup; Redis needs REDIS_ADMIN_URL (RESTORE is refused to app users)`,
  healthcheck: `usage: scripts/healthcheck [--json] [--profile NAME]…

One table of every compose service: healthcheck status, one-shots' exit codes. Apps of a
profile that is not active (COMPOSE_PROFILES or --profile) are optional. Exit 1 when a
required service is not ok, 2 when docker cannot be asked. No TTY needed (cron).`,
}

const log = (line: string) => console.error(line)

async function main(argv: string[]): Promise<number> {
  const [command = '', ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      root: { type: 'string', default: process.cwd() },
      help: { type: 'boolean', short: 'h' },
      tier: { type: 'string' },
      route: { type: 'string' },
      port: { type: 'string' },
      stores: { type: 'string' },
      keep: { type: 'string' },
      out: { type: 'string' },
      env: { type: 'boolean' },
      json: { type: 'boolean' },
      profile: { type: 'string', multiple: true },
      timeout: { type: 'string' },
    },
  })
  if (!(command in HELP)) {
    console.error(`unknown command "${command}"; one of: ${Object.keys(HELP).join(', ')}`)
    return 2
  }
  if (values.help) {
    console.log(HELP[command])
    return 0
  }
  const root = resolve(values.root)
  const number = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined
    if (!/^\d+$/.test(value)) throw new UsageError(`--${name}: "${value}" is not a whole number`)
    return Number(value)
  }

  if (command === 'new-app') {
    const [name] = positionals
    if (!name || !values.tier) throw new UsageError(HELP['new-app'] ?? '')
    const port = number('port', values.port)
    await newApp(
      root,
      { name, tier: values.tier as 'base', route: values.route, port, stores: values.stores },
      log,
    )
    log(
      `==> next: npm install && npm run build -w @flotilla/${name} && npm test -w @flotilla/${name}`,
    )
    return 0
  }

  const runner = runCommand
  const compose = [
    ...(await composeCommand(runner)),
    '--project-directory',
    root,
    '-f',
    // COMPOSE_FILE as compose itself reads it (one file), e.g. a stack without some services.
    process.env.COMPOSE_FILE ?? join(root, 'docker-compose.yml'),
  ]
  const registry = await loadRegistry(root)

  if (command === 'healthcheck') {
    const profiles = [
      ...(values.profile ?? []),
      ...(process.env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean),
    ]
    let rows: ReturnType<typeof assess>
    try {
      rows = assess(
        await inspectProject(runner, compose),
        await expectedServices(runner, compose, registry, profiles),
      )
    } catch (error) {
      console.error(`healthcheck: cannot ask docker: ${(error as Error).message}`)
      return 2
    }
    console.log(
      values.json
        ? JSON.stringify({ ok: exitCode(rows) === 0, services: rows }, null, 2)
        : formatTable(rows),
    )
    return exitCode(rows)
  }

  const appNamed = (name: string | undefined) => {
    const app = registry.apps.find((a) => a.name === name)
    if (!app)
      throw new UsageError(
        `no app "${name ?? ''}" in the registry (${registry.apps.map((a) => a.name).join(', ')})`,
      )
    return app
  }
  const accessFor = async (app: ReturnType<typeof appNamed>): Promise<AppStoreAccess> => {
    if (!values.env) return composeAccess(runner, compose, app)
    const file = join(process.env.SECRETS_DIR ?? join(root, 'secrets'), 'apps', `${app.name}.env`)
    const { parseEnv } = await import('node:util')
    return envAccess(runner, app, parseEnv(await readFile(file, 'utf8')), process.env)
  }

  if (command === 'deploy') {
    const app = appNamed(positionals[0])
    const timeout = number('timeout', values.timeout) ?? 120
    const result = await deploy({
      runner,
      compose,
      app: app.name,
      image: `flotilla/${app.name}:${process.env.FLOTILLA_TAG ?? 'local'}`,
      timeoutMs: timeout * 1000,
      log,
    })
    console.log(JSON.stringify(result))
    return result.outcome === 'rolled-back' ? 1 : 0
  }
  if (command === 'backup') {
    const apps = positionals[0] ? [appNamed(positionals[0])] : [...registry.apps]
    const out = resolve(values.out ?? join(root, 'backups'))
    const keep = number('keep', values.keep)
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
  const app = appNamed(positionals[0])
  if (!positionals[1]) throw new UsageError(HELP.restore ?? '')
  log(`==> restore ${app.name} from ${positionals[1]}`)
  await restoreApp(await accessFor(app), resolve(positionals[1]), log)
  return 0
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const known = [UsageError, NewAppError, RegistryError, BackupIntegrityError].some(
      (type) => error instanceof type,
    )
    console.error(known ? (error as Error).message : error)
    process.exitCode = known ? 2 : 1
  },
)
