import { isDockerAvailable } from './docker.js'
import type { Backend } from './servers.js'

export interface BackendChoice {
  /** e.g. `PostgreSQL` */
  service: string
  binariesFound: boolean
  /** The Debian package with the binaries, e.g. `postgresql`. */
  aptPackage: string
  /** The variable that names a running server instead, e.g. `TEST_POSTGRES_URL`. */
  envVar: string
}

/** The machine's binaries when present, else Docker, else an error naming what to install. */
export async function chooseBackend(choice: BackendChoice, forced?: Backend): Promise<Backend> {
  const { service, binariesFound, envVar } = choice
  const installHint = `Install the binaries with \`apt-get install ${choice.aptPackage}\`, or install and start Docker`
  if (forced === 'binaries' || (forced === undefined && binariesFound)) {
    if (binariesFound) return 'binaries'
    throw new Error(`Cannot start ${service}: its binaries were not found. ${installHint}.`)
  }
  if (await isDockerAvailable()) return 'docker'
  if (forced === 'docker') {
    throw new Error(
      `Cannot start ${service} in Docker: \`docker info\` fails (is dockerd running?)`,
    )
  }
  throw new Error(
    `Cannot start ${service}: its binaries were not found and Docker is not available. ` +
      `${installHint}, or set ${envVar} to the URL of a running server.`,
  )
}
