#!/bin/sh
# Reloads nginx when its flotilla config changes (npm run generate, scripts/new-app), so a new
# app is routed as soon as it starts — no nginx restart, no dropped connections. A config
# that fails `nginx -t` is not loaded; the running one stays until the next good change.
set -eu
config=/etc/nginx/flotilla
interval=${NGINX_RELOAD_INTERVAL:-3}
digest() { find "$config" -type f -exec md5sum {} + | sort | md5sum; }
(
  loaded=$(digest)
  while sleep "$interval"; do
    current=$(digest)
    [ "$current" = "$loaded" ] && continue
    if nginx -t -q; then
      nginx -s reload
      echo "reload-on-change: configuration changed, nginx reloaded" >&2
    else
      echo "reload-on-change: new configuration fails nginx -t; keeping the running one" >&2
    fi
    loaded=$current
  done
) </dev/null &
