#!/usr/bin/env bash
# The image registry every swarm node pulls flotilla's images from: Debian's docker-registry
# (the distribution registry 2.8), installed when missing, run in the background with its own
# config (no auth: bind it to loopback or a private network only) and storage. Idempotent: a
# registry already answering at the address is left as it is.
#   FLOTILLA_REGISTRY_LISTEN  host:port it listens on (default 127.0.0.1:5000; 0.0.0.0:5000 or
#                             the private address when other nodes pull from it)
#   FLOTILLA_REGISTRY_DATA    where it stores images (default /var/lib/flotilla-registry)
set -Eeuo pipefail
listen=${FLOTILLA_REGISTRY_LISTEN:-127.0.0.1:5000}
data=${FLOTILLA_REGISTRY_DATA:-/var/lib/flotilla-registry}
probe="http://127.0.0.1:${listen##*:}/v2/"
[[ ${listen%:*} == 0.0.0.0 || ${listen%:*} == 127.0.0.1 ]] || probe="http://$listen/v2/"

if curl -fsS -o /dev/null "$probe" 2>/dev/null; then
  echo "registry: answering at $listen"
  exit 0
fi
if ! command -v docker-registry >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry
fi
mkdir -p "$data"
cat > "$data/config.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $data/storage
  delete:
    enabled: true
http:
  addr: $listen
CONFIG
nohup docker-registry serve "$data/config.yml" >>"$data/registry.log" 2>&1 &
echo $! > "$data/registry.pid"
for _ in $(seq 50); do
  if curl -fsS -o /dev/null "$probe" 2>/dev/null; then
    echo "registry: started at $listen (pid $(cat "$data/registry.pid"), data $data)"
    exit 0
  fi
  sleep 0.2
done
echo "registry: not answering at $listen; last log lines:" >&2
tail -n 20 "$data/registry.log" >&2
exit 1
