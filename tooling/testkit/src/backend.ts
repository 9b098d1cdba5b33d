import { isDockerAvailable } from './docker.js'
import type { Backend } from './servers.js'

const INSTALL_HINT =
  'Install the binaries with `apt-get install postgresql redis-server`, or install and start Docker'

/** The machine's binaries when present, else Docker, else an error naming what to install. */
export async function chooseBackend(
  service: string,
  binariesFound: boolean,
  envVar: string,
  forced?: Backend,
): Promise<Backend> {
  if (forced === 'binaries' || (forced === undefined && binariesFound)) {
    if (binariesFound) return 'binaries'
    throw new Error(`Cannot start ${service}: its binaries were not found. ${INSTALL_HINT}.`)
  }
  if (await isDockerAvailable()) return 'docker'
  if (forced === 'docker') {
    throw new Error(
      `Cannot start ${service} in Docker: \`docker info\` fails (is dockerd running?)`,
    )
  }
  throw new Error(
    `Cannot start ${service}: its binaries were not found and Docker is not available. ` +
      `${INSTALL_HINT}, or set ${envVar} to the URL of a running server.`,
  )
}
