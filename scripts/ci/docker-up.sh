#!/usr/bin/env bash
# docker-up.sh - make Docker usable and build the offline stand-in images.
#
#   scripts/ci/docker-up.sh                  install + start Docker only
#   scripts/ci/docker-up.sh chroma           ... then build chromadb/chroma (and its bases)
#   scripts/ci/docker-up.sh postgres redis   ... several images (names or tags)
#   scripts/ci/docker-up.sh neo4j            ... neo4j:5-community, built by this repo from
#                                            Neo4j's Maven jars (scripts/ci/neo4j-image)
#
# Idempotent: installs docker.io, debootstrap and curl only when missing, starts
# dockerd only when `docker info` fails, and build.sh skips images that exist.
# CI machines (root, fresh Debian bookworm) reach apt and npm but no container
# registry, hence the stand-ins from ../shared/offline-images beside the repo.
#
# Environment: OFFLINE_IMAGES_DIR (default: <repo>/../shared/offline-images),
# DOCKERD_LOG (default /var/log/dockerd.log), DOCKERD_WAIT_SECONDS (default 60).
set -Eeuo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OFFLINE_IMAGES_DIR=${OFFLINE_IMAGES_DIR:-$REPO_ROOT/../shared/offline-images}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'docker-up.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# Developers may run this without being root; CI runs as root.
as_root() {
  if (( EUID == 0 )); then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

install_missing_packages() {
  local missing=()
  # Some machines ship only the docker client; the engine comes with docker.io.
  PATH=$PATH:/usr/sbin:/sbin command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  (( ${#missing[@]} )) || return 0
  log "apt-get install ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" ca-certificates
}

docker_ready() { as_root docker info >/dev/null 2>&1; }

start_dockerd() {
  docker_ready && return 0
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
