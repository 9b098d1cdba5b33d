#!/bin/sh
# One-shot `secrets` service: on first start, generate every admin secret of this install
# into the admin_secrets volume; on later starts keep them. A variable set in .env (e.g.
# POSTGRES_PASSWORD) replaces the stored value. Nothing here is ever printed.
#
# Each file is readable by the one service that needs it (owner) and by root (group 0,
# the provisioner); apps never mount this volume. Layout: infra/README.md.
set -eu
umask 077
admin=/run/flotilla/admin
acl=/run/flotilla/redis-acl

# uids of the official images: postgres 999, redis 999, neo4j 7474, node 1000 (both guards).
POSTGRES_UID=999
REDIS_UID=999
NEO4J_UID=7474
GUARD_UID=1000

random_secret() {
  # 40 characters of [A-Za-z0-9]: URL-, shell- and config-safe without quoting.
  head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 40
}

# secret NAME OVERRIDE OWNER: the stored value, replaced by OVERRIDE when set.
secret() {
  name=$1 override=$2 owner=$3 file=$admin/$1
  if [ -n "$override" ]; then
    printf '%s' "$override" >"$file.tmp" && mv "$file.tmp" "$file"
  elif [ ! -s "$file" ]; then
    random_secret >"$file.tmp" && mv "$file.tmp" "$file"
    echo "secrets: generated $name"
  fi
  chown "$owner:0" "$file"
  chmod 0440 "$file"
}

mkdir -p "$admin" "$acl"
chmod 0711 "$admin"
secret postgres_password "${POSTGRES_PASSWORD:-}" "$POSTGRES_UID"
secret redis_admin_password "${REDIS_ADMIN_PASSWORD:-}" 0
secret redis_health_password "${REDIS_HEALTH_PASSWORD:-}" 0
secret qdrant_api_key "${QDRANT_API_KEY:-}" 0
secret chroma_guard_secret "${CHROMA_GUARD_SECRET:-}" 0
secret chroma_admin_token "${CHROMA_ADMIN_TOKEN:-}" 0
secret neo4j_password "${NEO4J_PASSWORD:-}" 0
secret neo4j_guard_secret "${NEO4J_GUARD_SECRET:-}" 0
# Signs the per-app tokens apps present to the embedder; the provisioner hands them out.
secret embedder_caller_secret "${EMBEDDER_CALLER_SECRET:-}" 0

# Derived files in the formats their consumers read.
printf 'postgres://postgres:%s@postgres:5432/postgres' "$(cat "$admin/postgres_password")" >"$admin/postgres_admin_url"
chmod 0400 "$admin/postgres_admin_url"
printf 'neo4j/%s' "$(cat "$admin/neo4j_password")" >"$admin/neo4j_auth"
chown "$NEO4J_UID:0" "$admin/neo4j_auth" && chmod 0440 "$admin/neo4j_auth"
{
  printf 'CHROMA_GUARD_SECRET=%s\n' "$(cat "$admin/chroma_guard_secret")"
  printf 'CHROMA_ADMIN_TOKEN=%s\n' "$(cat "$admin/chroma_admin_token")"
} >"$admin/chroma-guard.env"
chown "$GUARD_UID:0" "$admin/chroma-guard.env" && chmod 0440 "$admin/chroma-guard.env"
# neo4j-guard holds the only Neo4j login any service besides the provisioner gets.
{
  printf 'NEO4J_PASSWORD=%s\n' "$(cat "$admin/neo4j_password")"
  printf 'NEO4J_GUARD_SECRET=%s\n' "$(cat "$admin/neo4j_guard_secret")"
} >"$admin/neo4j-guard.env"
chown "$GUARD_UID:0" "$admin/neo4j-guard.env" && chmod 0440 "$admin/neo4j-guard.env"

# Redis ACL file: the default user off, the provisioner's admin, a health user that may only
# PING. App users below them are the provisioner's (ACL SETUSER + ACL SAVE) and are kept.
# `default` is off and has no password, so nobody can log in as it, yet keeps every permission:
# Redis replays the append-only file as `default` and EXEC re-checks its rules, so without them
# every MULTI/EXEC in the file is dropped at start (redis/redis#14541). Same rules as the
# provisioner's DEFAULT_USER_RULES (packages/data/src/redis/acl.ts).
sha() { printf '%s' "$(cat "$1")" | sha256sum | cut -d' ' -f1; }
users=$acl/users.acl
{
  echo 'user default off resetpass ~* &* +@all'
  echo "user admin on #$(sha "$admin/redis_admin_password") ~* &* +@all"
  echo "user health on #$(sha "$admin/redis_health_password") resetchannels -@all +ping"
  if [ -f "$users" ]; then grep -Ev '^user (default|admin|health) ' "$users" || true; fi
} >"$users.tmp"
mv "$users.tmp" "$users"
chown -R "$REDIS_UID:$REDIS_UID" "$acl"
chmod 0700 "$acl"
chmod 0600 "$users"
echo "secrets: ready"
