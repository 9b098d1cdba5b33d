import { readFile } from 'node:fs/promises'
import { basename, isAbsolute, join, resolve } from 'node:path'
import { parse } from 'yaml'
import { composeCommand, type Runner } from './run.js'

/** The compose stack an operator command acts on, found from the checkout it runs from. */
export interface StackTarget {
  project: string
  /** Where the project name came from, printed so an operator sees which stack is meant. */
  projectFrom: string
  files: string[]
  /** The compose command line that reaches exactly this stack. */
  compose: string[]
}

/** The defaults compose applies to a project name (lower case; letters, digits, - and _). */
export const normalizeProject = (name: string) => name.toLowerCase().replace(/[^a-z0-9_-]/g, '')

/**
 * The project: `--project`/`-p`, else COMPOSE_PROJECT_NAME, else the top-level `name:` of the
 * first compose file, else the checkout's folder name (compose's own default). The files:
 * COMPOSE_FILE (compose's variable, separated by COMPOSE_PATH_SEPARATOR or `:`), else the
 * checkout's docker-compose.yml. The same precedence as `docker compose` itself, so a command
 * acts on the stack `docker compose ps` in the checkout shows.
 */
export async function stackTarget(
  root: string,
  flags: { project?: string },
  env: NodeJS.ProcessEnv = process.env,
  runner?: Runner,
): Promise<StackTarget> {
  const files = env.COMPOSE_FILE
    ? env.COMPOSE_FILE.split(env.COMPOSE_PATH_SEPARATOR ?? ':')
        .filter(Boolean)
        .map((file) => (isAbsolute(file) ? file : resolve(root, file)))
    : [join(root, 'docker-compose.yml')]
  const { project, projectFrom } = flags.project
    ? { project: flags.project, projectFrom: '--project' }
    : env.COMPOSE_PROJECT_NAME
      ? { project: env.COMPOSE_PROJECT_NAME, projectFrom: 'COMPOSE_PROJECT_NAME' }
      : await projectOfFiles(root, files)
  const compose = [
    ...(await composeCommand(runner)),
    '-p',
    project,
    ...files.flatMap((file) => ['-f', file]),
    '--project-directory',
    root,
  ]
  return { project, projectFrom, files, compose }
}

/** The `name:` of the first compose file, else compose's default: the folder's name. */
async function projectOfFiles(root: string, files: string[]) {
  const [first = ''] = files
  const text = await readFile(first, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error(`no compose file ${first}`)
    throw error
  })
  const name = (parse(text) as { name?: unknown } | null)?.name
  return typeof name === 'string' && name
    ? { project: name, projectFrom: `name: in ${first}` }
    : { project: normalizeProject(basename(root)), projectFrom: `folder name of ${root}` }
}
