#!/bin/bash
# Entrypoint of the neo4j:5-community stand-in; follows the official image's conventions
# (README.md lists them): NEO4J_AUTH / NEO4J_AUTH_PATH, NEO4J_<setting> variables written to
# neo4j.conf, /data and /logs made the neo4j user's, privileges dropped to it when started
# as root, and `neo4j` runs the server as PID 1's child with Neo4j's own computed command.
set -Eeuo pipefail

cmd=${1:-neo4j}
conf=$NEO4J_HOME/conf/neo4j.conf

die() { printf '%s\n' "$*" >&2; exit 1; }

if (( EUID == 0 )); then
  as_neo4j=(setpriv --reuid=neo4j --regid=neo4j --init-groups)
else
  as_neo4j=()
fi

# Official: a mounted /conf replaces conf/ (its files copied in).
if [[ -d /conf ]]; then
  find "$NEO4J_HOME/conf" -mindepth 1 -delete
  find /conf -maxdepth 1 -type f -exec cp --preserve=mode {} "$NEO4J_HOME/conf/" \;
fi

# A volume mounted as root (or a host directory) becomes the neo4j user's.
writable_by_neo4j() {
  local dir=$1
  [[ -d $dir ]] || return 0
  if (( EUID == 0 )); then
    if ! "${as_neo4j[@]}" test -w "$dir" ||
      [[ -n $("${as_neo4j[@]}" find "$dir" ! -writable -print -quit 2>/dev/null) ]]; then
      echo "Warning: $dir is not writable by neo4j; changing its owner to neo4j." >&2
      chown -R neo4j:neo4j "$dir"
    fi
  elif [[ ! -w $dir ]]; then
    die "Folder $dir is not writable for user $(id -u):$(id -g); mount it with write access for that user."
  fi
}
writable_by_neo4j /data
writable_by_neo4j /logs

for dir in plugins import licenses; do
  if [[ -d /$dir ]]; then
    var=NEO4J_server_directories_$dir
    [[ -n ${!var:-} ]] || printf -v "$var" '%s' "/$dir"
    export "${var?}"
  fi
done
[[ -d /logs ]] && export NEO4J_server_directories_logs=${NEO4J_server_directories_logs:-/logs}

if [[ $cmd == *neo4j* && $NEO4J_EDITION == enterprise &&
  ! ${NEO4J_ACCEPT_LICENSE_AGREEMENT:-} =~ ^(yes|eval)$ ]]; then
  die "Neo4j Enterprise needs NEO4J_ACCEPT_LICENSE_AGREEMENT=yes (or eval)."
fi
[[ -z ${NEO4J_PLUGINS:-} ]] ||
  die "NEO4J_PLUGINS is not supported by this stand-in (no plugin downloads offline); mount jars in /plugins."

# Replaces the setting's lines; the file keeps its owner (it is rewritten in place).
conf_set() {
  awk -v key="$1=" 'index($0, key) != 1' "$conf" >"$conf.new"
  printf '%s=%s\n' "$1" "$2" >>"$conf.new"
  cat "$conf.new" >"$conf" && rm -f "$conf.new"
}

# Container defaults, only where neo4j.conf sets nothing.
conf_default() {
  grep -q "^$1=" "$conf" 2>/dev/null || printf '%s=%s\n' "$1" "$2" >>"$conf"
}
conf_default server.memory.pagecache.size 512M
conf_default server.default_listen_address 0.0.0.0

# NEO4J_server_memory_heap_max__size=512m -> server.memory.heap.max_size=512m: `_` is `.`,
# `__` is `_`. These replace a setting in neo4j.conf (server.jvm.additional is added to).
not_settings=" NEO4J_ACCEPT_LICENSE_AGREEMENT NEO4J_AUTH NEO4J_AUTH_PATH NEO4J_DEBUG NEO4J_EDITION NEO4J_HOME NEO4J_PLUGINS "
while IFS= read -r name; do
  [[ $not_settings == *" $name "* ]] && continue
  value=${!name}
  [[ -n $value ]] || continue
  setting=${name#NEO4J_}
  setting=${setting//__/$'\x01'}
  setting=${setting//_/.}
  setting=${setting//$'\x01'/_}
  if [[ $setting =~ ^[0-9] ]]; then
    echo "WARNING: $setting not written to neo4j.conf: settings cannot start with a digit." >&2
    continue
  fi
  if [[ $setting == server.jvm.additional ]]; then
    printf '%s=%s\n' "$setting" "$value" >>"$conf"
  else
    conf_set "$setting" "$value"
  fi
done < <(compgen -e | grep '^NEO4J_' | sort)

set_initial_password() {
  local auth=$1
  if [[ $auth == none ]]; then
    conf_set dbms.security.auth_enabled false
    return
  fi
  [[ -n $auth ]] || return 0
  [[ $auth =~ ^([^/]+)/([^/]+)/?([tT][rR][uU][eE])?$ ]] ||
    die "Invalid value for NEO4J_AUTH: expected neo4j/<password> or none."
  local user=${BASH_REMATCH[1]} password=${BASH_REMATCH[2]} reset=${BASH_REMATCH[3]}
  [[ $user == neo4j ]] || die "Invalid admin username, it must be neo4j."
  [[ $password != neo4j ]] || die "Invalid value for password. It cannot be 'neo4j', which is the default."
  local min
  min=$(sed -n 's/^dbms\.security\.auth_minimum_password_length=//p' "$conf" | tail -n 1)
  if (( ${#password} < ${min:-8} )); then
    echo "Invalid value for password: shorter than ${min:-8} characters; Neo4j may refuse it." >&2
  fi
  # The initial password only counts before the system database exists: skip the extra JVM
  # run once it does (the official image runs it anyway; Neo4j then ignores it).
  [[ -d /data/databases/system ]] && return 0
  if (( EUID == 0 )); then
    mkdir -p /data/dbms && chown neo4j:neo4j /data/dbms
  fi
  local extra=()
  [[ -n $reset ]] && extra+=(--require-password-change)
  "${as_neo4j[@]}" neo4j-admin dbms set-initial-password "$password" "${extra[@]}"
}

case $cmd in
  neo4j)
    if [[ -n ${NEO4J_AUTH_PATH:-} ]]; then
      [[ -r $NEO4J_AUTH_PATH ]] || die "The password file '$NEO4J_AUTH_PATH' does not exist or is not readable."
      set_initial_password "$(cat "$NEO4J_AUTH_PATH")"
    else
      set_initial_password "${NEO4J_AUTH:-}"
    fi
    # A pid file left by a container killed mid-shutdown names a pid that a process of this
    # start may have again: the launcher would refuse to start ("already running").
    rm -f "$NEO4J_HOME"/run/neo4j.pid
    # Neo4j's launcher computes the server's java command line from neo4j.conf (heap, JVM
    # options, classpath); run that directly, so tini's child is the server itself.
    run=$("${as_neo4j[@]}" neo4j console --dry-run)
    [[ -n $run ]] || die "neo4j console --dry-run printed no command"
    eval "exec ${as_neo4j[*]} $run"
    ;;
  dump-config)
    [[ -d /conf ]] || die "Mount a folder to /conf to dump the configuration into."
    cp -R "$NEO4J_HOME/conf/." /conf/
    echo "Config Dumped"
    ;;
  *)
    exec "${as_neo4j[@]}" "$@"
    ;;
esac
