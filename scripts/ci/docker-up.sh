#!/usr/bin/env bash
# docker-up.sh - make Docker usable and build the offline stand-in images.
#
#   scripts/ci/docker-up.sh                  install + start Docker only
#   scripts/ci/docker-up.sh chroma           ... then build chromadb/chroma (and its bases)
#   scripts/ci/docker-up.sh postgres redis   ... several images (names or tags)
#   scripts/ci/docker-up.sh neo4j            ... neo4j:5-community, built by this repo from
#                                            Neo4j's Maven jars (scripts/ci/neo4j-image)
#
# Idempotent: installs what is missing or too old, starts dockerd only when `docker info`
# fails, and build.sh skips images that exist.
# CI machines (root, fresh Debian bookworm) reach apt and npm but no container
# registry, hence the stand-ins from ../shared/offline-images beside the repo.
#
# docker-compose.yml builds its images through `additional_contexts: service:<tier>`, which
# needs, tried here:
#   - an Engine whose BuildKit has named contexts: bookworm's docker.io 20.10 (BuildKit 0.8)
#     fails "failed to solve with frontend dockerfile.v0: unsupported frontend capability
#     moby.buildkit.frontend.contexts", and no registry serves a newer docker/dockerfile
#     frontend; trixie's docker.io 26.1 builds them (no other package changes).
#   - Compose v2.34+ (composeVersionProblem in packages/stack): trixie's 2.26 fails "failed to
#     get build context <name>: stat service:<tier>: no such file or directory"; sid's 2.40
#     builds them, without buildx. v1 (bookworm's docker-compose 1.29) cannot read the file.
# Both come from those suites only (apt pin priority 1: nothing else is taken from them).
# A running dockerd older than that is never restarted here: the script stops and says so.
#
# Environment: OFFLINE_IMAGES_DIR (default: <repo>/../shared/offline-images),
# DOCKERD_LOG (default /var/log/dockerd.log), DOCKERD_WAIT_SECONDS (default 60).
set -Eeuo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OFFLINE_IMAGES_DIR=${OFFLINE_IMAGES_DIR:-$REPO_ROOT/../shared/offline-images}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}
ENGINE_MIN=26.1
COMPOSE_MIN=2.34

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'docker-up.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# Developers may run this without being root; CI runs as root.
as_root() {
  if (( EUID == 0 )); then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# `at_least <version> <minimum>`: true when version >= minimum (Debian's version order).
at_least() { [[ -n $1 ]] && dpkg --compare-versions "${1#v}" ge "$2"; }

engine_package_version() { dpkg-query -W -f '${Version}' docker.io 2>/dev/null || true; }
compose_version() { docker compose version --short 2>/dev/null || true; }

# trixie (docker.io) and sid (docker-compose; its Release is no longer "valid", hence
# Check-Valid-Until: no) beside bookworm, pinned so that only what is named /suite comes from them.
add_newer_suites() {
  local sources=/etc/apt/sources.list.d/flotilla-docker.sources
  local preferences=/etc/apt/preferences.d/flotilla-docker
  [[ -f $sources && -f $preferences ]] && return 0
  printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: trixie sid' \
    'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
    'Check-Valid-Until: no' | as_root tee "$sources" >/dev/null
  printf '%s\n' 'Package: *' 'Pin: release n=trixie' 'Pin-Priority: 1' '' \
    'Package: *' 'Pin: release n=sid' 'Pin-Priority: 1' | as_root tee "$preferences" >/dev/null
}

install_missing_packages() {
  local missing=()
  at_least "$(engine_package_version)" "$ENGINE_MIN" || missing+=(docker.io/trixie)
  at_least "$(compose_version)" "$COMPOSE_MIN" || missing+=(docker-compose/sid)
  command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  (( ${#missing[@]} )) || return 0
  [[ ${missing[*]} != *docker* ]] || add_newer_suites
  log "apt-get install ${missing[*]}"
  as_root apt-get update -q
  # No service starts or restarts from the packages' scripts: start_dockerd below decides, and
  # a dockerd others are using is never restarted by an upgrade.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    own_policy=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" ca-certificates || { (( ! own_policy )) || as_root rm -f "$policy"; exit 1; }
  (( ! own_policy )) || as_root rm -f "$policy"
  at_least "$(compose_version)" "$COMPOSE_MIN" \
    || die "docker compose is $(compose_version) after the install, not v$COMPOSE_MIN+ (a docker-compose-plugin elsewhere in PATH?)"
}

docker_ready() { as_root docker info >/dev/null 2>&1; }

start_dockerd() {
  if docker_ready; then
    local running
    running=$(as_root docker version --format '{{.Server.Version}}')
    at_least "$running" "$ENGINE_MIN" || die "dockerd $running is running; flotilla's images need \
Docker Engine $ENGINE_MIN+ (BuildKit named contexts), installed as docker.io $(engine_package_version). \
Stop that dockerd (e.g. kill \$(cat /var/run/docker.pid); its containers stop with it) and run this again."
    return 0
  fi
  local dockerd
  dockerd=$(PATH=$PATH:/usr/sbin:/sbin command -v dockerd) || die "dockerd not found (is docker.io installed?)"
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid + nohup: dockerd outlives this script and the CI step's process group.
  # The backgrounded subshell waits on dockerd, so it must not hold the caller's stdout either:
  # a CI step whose pipe stays open never ends.
  as_root sh -c 'exec setsid nohup "$0" >>"$1" 2>&1 </dev/null' "$dockerd" "$DOCKERD_LOG" \
    >/dev/null 2>&1 </dev/null &
  local waited=0
  until docker_ready; do
    if (( waited >= DOCKERD_WAIT_SECONDS )); then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd not ready after ${DOCKERD_WAIT_SECONDS}s (log: $DOCKERD_LOG)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dockerd ready after ${waited}s"
}

build_images() {
  (( $# )) || return 0
  local build="$OFFLINE_IMAGES_DIR/build.sh"
  [[ -x $build ]] || die "offline image kit not found at $build (set OFFLINE_IMAGES_DIR)"
  local args=() image neo4j=0
  for image in "$@"; do
    # The kit has no neo4j (README there); ours is built on the kit's Debian base.
    if [[ $image == neo4j* ]]; then
      neo4j=1
      args+=(--only debian:bookworm-slim)
    else
      args+=(--only "$image")
    fi
  done
  log "building images: $*"
  as_root "$build" "${args[@]}"
  if (( neo4j )); then as_root bash "$REPO_ROOT/scripts/ci/neo4j-image/build.sh"; fi
}

install_missing_packages
start_dockerd
build_images "$@"
