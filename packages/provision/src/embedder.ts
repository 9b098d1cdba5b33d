import { type App, appToken, serviceUrlOf } from '@flotilla/stack'

/** The registry's app that keeps other apps' semantic collections, one namespace per caller. */
export const EMBEDDER_APP = 'embedder'

/**
 * What the caller-token scheme adds to each credential file: the embedder gets the secret,
 * every other app the embedder's address (`EMBEDDER_URL`) and its token (`EMBEDDER_TOKEN`,
 * sent as `Authorization: Bearer`; no claim but its holder, `sub`). Every app, not only some
 * declared callers: a token only names its holder, so it reaches nothing but the holder's own
 * collections, and no manifest field has to be kept in step with who calls. Nothing when the
 * registry has no embedder.
 */
export async function embedderCallerEnv(
  apps: readonly App[],
  secret: string | undefined,
): Promise<Map<string, Record<string, string>>> {
  const env = new Map<string, Record<string, string>>()
  const embedder = apps.find((app) => app.name === EMBEDDER_APP)
  if (secret === undefined || !embedder) return env
  for (const { name } of apps) {
    env.set(
      name,
      name === EMBEDDER_APP
        ? { EMBEDDER_CALLER_SECRET: secret }
        : {
            EMBEDDER_URL: serviceUrlOf(embedder),
            EMBEDDER_TOKEN: await appToken('embedder', secret, name, {}),
          },
    )
  }
  return env
}
