import type { AppResources } from './names.js'

/** One app as the provisioners see it: its name and the store resources derived for it. */
export interface ProvisionTarget {
  name: string
  resources: AppResources
}

/** One change a provisioner applied; an idempotent second run returns none. */
export interface Change {
  /** `postgres`, `redis`, `chroma`, `qdrant`, `neo4j`, or `secrets`. */
  store: string
  app: string
  /** Short verb phrase, e.g. `create role`, `create database`, `set acl user`. */
  action: string
  /** What exactly changed, never a secret. */
  detail: string
}

/** An app's credential file as variables (`<secrets>/apps/<app>.env`). */
export type CredentialEnv = Record<string, string>

/** What a store is handed to write its part of one app's credential file. */
export interface CredentialContext {
  /** The file as an earlier run wrote it; empty when there is none. */
  existing: Readonly<CredentialEnv>
  /** The app's own password in this store (see `StoreCredentials.password`), kept or generated. */
  password?: string
  /** The file's path: an app re-reads it for a credential renewed while it runs. */
  path: string
  /** Progress lines (never secrets). */
  log: (line: string) => void
}

/** A store's part of an app's credential file, and what changed making it (a token minted). */
export interface CredentialPart {
  env: CredentialEnv
  changes: Change[]
}

/**
 * Every store's part of an app's credential file, written by @flotilla/provision (its `STORES`
 * record keeps one per store, beside the store's admin steps). `Admin` is what the store needs
 * of the provisioner's settings for it; `Names` is its part of AppResources. The variables
 * each store writes are listed in its README.
 */
export interface StoreCredentials<Admin, Names> {
  /**
   * A store that logs each app in with a password of its own (under these settings): the one
   * the app's existing file holds (`kept` undefined: none yet). The provisioner keeps it
   * unless rotating and generates one otherwise, before the admin steps, which set it.
   * Absent, or undefined: the store gives the app no password.
   */
  password?(
    admin: Admin,
    existing: Readonly<CredentialEnv>,
  ): { kept: string | undefined } | undefined
  /** The app's variables for this store. */
  forApp(
    app: string,
    names: Names,
    admin: Admin,
    context: CredentialContext,
  ): Promise<CredentialPart>
}

/** The password in a `scheme://user:password@host/…` variable an earlier run wrote. */
export function passwordInUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    return decodeURIComponent(new URL(url).password) || undefined
  } catch {
    return undefined
  }
}

/**
 * The settings of a store apps log in to by URL: where the provisioner reaches it, whose host
 * is the apps' too unless `appHost` says otherwise.
 */
export interface LoginAccess {
  url: string
  appHost?: string
}

/** An app's own login URL, `<scheme>://<user>:<password>@<apps' host>/<path>`. */
export function appLoginUrl(
  admin: LoginAccess,
  scheme: string,
  path: string,
  login: { user: string; password: string },
): string {
  const url = new URL(`${scheme}://${admin.appHost ?? new URL(admin.url).host}/${path}`)
  url.username = login.user
  url.password = login.password
  return url.href
}

/** The password `password` gave the app: the provisioner always hands it in. */
export function ownPassword(store: string, app: string, context: CredentialContext): string {
  if (context.password === undefined) throw new Error(`${store}: no password for app ${app}`)
  return context.password
}
