#!/usr/bin/env bash
# build.sh - build the neo4j:5-community stand-in (README.md) from Neo4j's Maven Central jars.
#
#   scripts/ci/neo4j-image/build.sh           build unless the image exists from the same inputs
#   scripts/ci/neo4j-image/build.sh --force   rebuild (layer cache still used)
#
# Needs a running dockerd and the base image debian:bookworm-slim (scripts/ci/docker-up.sh
# neo4j provides both); installs Maven with apt when it is missing. The image records a
# hash of its inputs (this folder, the base image, the host's extra CA certificates) in a
# label: when they are unchanged the build is skipped without starting Maven or Docker's
# builder. Environment: NEO4J_IMAGE_CACHE (build context, default
# /var/cache/flotilla/neo4j-image), EXTRA_CA_DIR (default /usr/local/share/ca-certificates).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_DIR=${NEO4J_IMAGE_CACHE:-/var/cache/flotilla/neo4j-image}
EXTRA_CA_DIR=${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
BASE=debian:bookworm-slim
LABEL=flotilla.neo4j-image.inputs

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'neo4j-image/build.sh: ERROR: %s\n' "$*" >&2; exit 1; }

force=0
case ${1:-} in
  --force) force=1 ;;
  '') ;;
  *) die "unknown option '$1'" ;;
esac

version=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$HERE/pom.xml")
[[ $version =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "no <neo4j.version> in pom.xml"
tags=("neo4j:$version-community" "neo4j:${BASH_REMATCH[1]}.${BASH_REMATCH[2]}-community"
  "neo4j:${BASH_REMATCH[1]}-community")
image=${tags[0]}

base_id=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null) ||
  die "base image $BASE is missing (scripts/ci/docker-up.sh neo4j builds it)"
inputs=$( (
  cd "$HERE"
  find . -type f ! -name README.md -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  echo "$base_id"
  find "$EXTRA_CA_DIR" -name '*.crt' -type f -print0 2>/dev/null | LC_ALL=C sort -z |
    xargs -0 -r cat
) | sha256sum | cut -c1-16)

tag_all() { local t; for t in "${tags[@]:1}"; do docker tag "$image" "$t"; done; }

if (( ! force )) &&
  [[ $(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$image" 2>/dev/null) == "$inputs" ]]; then
  tag_all
  log "$image is up to date"
  exit 0
fi

started=$SECONDS
if ! command -v mvn >/dev/null; then
  log "apt-get install maven"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends maven
fi

# The build context: the files of this folder and the resolved jars. lib/ is made afresh so
# that no jar of an older version lingers; unchanged jars keep Docker's layer cache valid.
ctx=$CACHE_DIR/context
mkdir -p "$ctx"
rm -rf "$ctx/lib"
log "resolving Neo4j $version jars with Maven"
copy_jars() {  # copy_jars PROFILE DIR
  mvn -B -q -f "$HERE/pom.xml" -P "$1" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$2" ||
    die "Maven could not resolve the $1 jars (is Maven Central reachable?)"
}
copy_jars server "$ctx/lib"
copy_jars cypher-shell "$ctx/lib/cypher-shell"
# The shell shares many jars with the server: link those instead of a second copy.
for jar in "$ctx"/lib/cypher-shell/*.jar; do
  name=${jar##*/}
  if cmp -s "$jar" "$ctx/lib/$name"; then ln -sf "../$name" "$jar"; fi
done
rm -rf "$ctx/bin" "$ctx/conf"
cp -R "$HERE/Dockerfile" "$HERE/docker-entrypoint.sh" "$HERE/bin" "$HERE/conf" "$ctx/"

# Without the buildx plugin the docker CLI can only use the classic builder.
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
log "docker build $image (log: $CACHE_DIR/build.log)"
if ! docker build --force-rm --build-arg "BASE=$BASE" --label "$LABEL=$inputs" \
  --label "org.opencontainers.image.version=$version" -t "$image" "$ctx" >"$CACHE_DIR/build.log" 2>&1; then
  tail -n 30 "$CACHE_DIR/build.log" >&2
  die "docker build failed (full log: $CACHE_DIR/build.log)"
fi
tag_all
size=$(docker image inspect -f '{{.Size}}' "$image")
log "$image (${tags[*]:1}): $((size / 1000000)) MB, built in $((SECONDS - started)) s"
