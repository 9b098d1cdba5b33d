import type { Change, ProvisionTarget } from '../provision-types.js'

export interface ChromaAdmin {
  /** The chroma-guard's base URL. */
  url: string
  adminToken: string
}

async function call(
  admin: ChromaAdmin,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const response = await fetch(`${admin.url.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      'x-chroma-token': admin.adminToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  })
  return response
}

async function expectOk(response: Response, what: string): Promise<void> {
  if (response.ok) return
  throw new Error(`chroma: ${what} failed: ${response.status} ${await response.text()}`)
}

/** Chroma answers a missing tenant or database with 404 (some versions: 500 "not found"). */
async function exists(admin: ChromaAdmin, path: string, what: string): Promise<boolean> {
  const response = await call(admin, 'GET', path)
  if (response.ok) return true
  const text = await response.text()
  if (response.status === 404 || /not.?found|does not exist/i.test(text)) return false
  throw new Error(`chroma: looking up ${what} failed: ${response.status} ${text}`)
}

/** Fails unless the guard answers and accepts the admin token. */
export async function checkChromaAdmin(admin: ChromaAdmin): Promise<void> {
  await expectOk(await call(admin, 'GET', '/api/v2/tenants/default_tenant'), 'admin token check')
}

/** Tenant `<app>` and database `main` per app, through the guard with its admin token. */
export async function provisionChroma(
  admin: ChromaAdmin,
  targets: ProvisionTarget[],
): Promise<Change[]> {
  const changes: Change[] = []
  for (const { name: app, resources } of targets) {
    const chroma = resources.chroma
    if (!chroma) continue
    const tenantPath = `/api/v2/tenants/${encodeURIComponent(chroma.tenant)}`
    if (!(await exists(admin, tenantPath, `tenant ${chroma.tenant}`))) {
      await expectOk(
        await call(admin, 'POST', '/api/v2/tenants', { name: chroma.tenant }),
        `create tenant ${chroma.tenant}`,
      )
      changes.push({ store: 'chroma', app, action: 'create tenant', detail: chroma.tenant })
    }
    const databasePath = `${tenantPath}/databases/${encodeURIComponent(chroma.database)}`
    if (!(await exists(admin, databasePath, `database ${chroma.tenant}/${chroma.database}`))) {
      await expectOk(
        await call(admin, 'POST', `${tenantPath}/databases`, { name: chroma.database }),
        `create database ${chroma.tenant}/${chroma.database}`,
      )
      changes.push({
        store: 'chroma',
        app,
        action: 'create database',
        detail: `${chroma.tenant}/${chroma.database}`,
      })
    }
  }
  return changes
}
