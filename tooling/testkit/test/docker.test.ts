import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chooseBackend } from '../src/backend.js'
import { isDockerAvailable } from '../src/docker.js'

const dockerAvailable = await isDockerAvailable()
const postgres = { service: 'PostgreSQL', aptPackage: 'postgresql', envVar: 'TEST_POSTGRES_URL' }

describe('choosing a backend', () => {
  it('takes the binaries when found', async () => {
    assert.equal(await chooseBackend({ ...postgres, binariesFound: true }), 'binaries')
  })

  it('without binaries falls back to Docker, or names what to install', async () => {
    const choice = chooseBackend({ ...postgres, binariesFound: false })
    if (dockerAvailable) {
      assert.equal(await choice, 'docker')
    } else {
      await assert.rejects(
        choice,
        /apt-get install postgresql`, or install and start Docker, or set TEST_POSTGRES_URL/,
      )
    }
  })

  it('refuses forced binaries that are not there, naming the package', async () => {
    await assert.rejects(
      chooseBackend({ ...postgres, binariesFound: false }, 'binaries'),
      /Cannot start PostgreSQL: its binaries were not found\. Install the binaries with `apt-get install postgresql`/,
    )
  })
})
