#!/usr/bin/env bash
# second-node.sh - a second Docker node on this machine, for the two-node swarm test.
#
#   scripts/ci/second-node.sh up     network namespace + veth + a dockerd of its own inside
#   scripts/ci/second-node.sh join   joins the swarm of the machine's dockerd as a worker
#                                    labelled flotilla.tier=ml
#   scripts/ci/second-node.sh down   leaves the swarm, stops the daemon, removes everything
#
# `up` prints, on stdout, the lines the caller needs (progress goes to stderr):
#   SECOND_NODE_DOCKER_HOST=unix:///run/flotilla-node2/docker.sock   the node's own daemon
#   SECOND_NODE_MANAGER_ADDR=192.168.213.1   the host side of the veth: what the swarm manager
#                                            must advertise (docker swarm init --advertise-addr)
#
# The node is another machine as far as Docker can tell: its own network namespace (reached
# from the host only through the veth, like a VPS on a private network), hostname, data root,
# exec root, containerd, pidfile, socket, bridge and iptables. It sees the host's mounts (the
# cgroup v1 hierarchies) through a mount namespace of its own, so its container mounts stay out
# of the host's. overlay2 works on its data root (tmpfs here; ext4 too).
# No IPVS in some kernels (the CI one among them): swarm services must use endpoint_mode dnsrr
# and host-mode ports there; the stack file does.
#
# Images: the stack names them 127.0.0.1:5000/flotilla/<x>. On the node, 127.0.0.1:5000 is
# forwarded to the manager's registry (which must listen on the veth address too), so the
# same names pull on both nodes, as a real second VPS does through a tunnel to the registry.
#
# Environment: SECOND_NODE_SUBNET (first three octets of a free /30 at .0, default 192.168.213:
# host .1, node .2),
# SECOND_NODE_WAIT_SECONDS (default 60), SECOND_NODE_DATA_SIZE (its data root's tmpfs, default 4g).
set -Eeuo pipefail

name=flotilla-node2
netns=$name
host_if=flotilla-n2h
node_if=flotilla-n2n
subnet=${SECOND_NODE_SUBNET:-192.168.213}
host_addr=$subnet.1
node_addr=$subnet.2
exec_root=/run/$name
data_root=/var/lib/$name
socket=$exec_root/docker.sock
node2=(docker -H "unix://$socket")
registry_port=5000
wait_seconds=${SECOND_NODE_WAIT_SECONDS:-60}
data_size=${SECOND_NODE_DATA_SIZE:-4g}

log() { printf '==> second-node: %s\n' "$*" >&2; }
die() { printf 'second-node.sh: ERROR: %s\n' "$*" >&2; exit 1; }

(( EUID == 0 )) || die "needs root (network namespaces, a second dockerd)"

in_netns() { ip netns exec "$netns" "$@"; }
node_ready() { "${node2[@]}" info >/dev/null 2>&1; }
daemon_pid() { [[ -f $exec_root/dockerd.pid ]] && cat "$exec_root/dockerd.pid"; }

up() {
  if ! ip netns list | grep -qw "$netns"; then
    # The /30 must be free on the host, or the host's own traffic would go down the veth.
    if ip -4 route show to match "$host_addr" | grep -qv '^default'; then
      die "$subnet.0/30 overlaps a route of this machine (ip route); set SECOND_NODE_SUBNET to a free one"
    fi
    log "network namespace $netns, veth $host_if ($host_addr) <-> $node_if ($node_addr)"
    ip netns add "$netns"
    ip link add "$host_if" type veth peer name "$node_if" netns "$netns"
    ip addr add "$host_addr/30" dev "$host_if"
    ip link set "$host_if" up
    ip -n "$netns" addr add "$node_addr/30" dev "$node_if"
    ip -n "$netns" link set lo up
    ip -n "$netns" link set "$node_if" up
    ip -n "$netns" route add default via "$host_addr"
  fi
  if ! node_ready; then
    mkdir -p "$exec_root" "$data_root"
    # In memory: what it pulls (the ML apps, ~0.5 GB) goes away with one umount at `down`
    # (deleting it from this disk took 20-40 s).
    mountpoint -q "$data_root" || mount -t tmpfs -o "size=$data_size,mode=0710" "$name" "$data_root"
    # An empty config of its own: /etc/docker/daemon.json belongs to the machine's daemon.
    echo '{}' >"$exec_root/daemon.json"
    log "starting its dockerd (log: $exec_root/dockerd.log)"
    # nsenter, not `ip netns exec`: the latter remounts /sys and hides the cgroup hierarchies.
    # setsid + nohup: the daemon outlives this script (as in docker-up.sh).
    setsid nohup nsenter --net="/run/netns/$netns" \
      unshare --uts --mount --propagation slave \
      sh -c 'hostname "$0" && exec "$@"' "$name" \
      dockerd --config-file "$exec_root/daemon.json" --data-root "$data_root/docker" \
      --exec-root "$exec_root/exec" --pidfile "$exec_root/dockerd.pid" -H "unix://$socket" \
      --cgroup-parent "/$name" --storage-driver overlay2 \
      >>"$exec_root/dockerd.log" 2>&1 </dev/null &
    local waited=0
    until node_ready; do
      (( waited < wait_seconds )) || { tail -n 30 "$exec_root/dockerd.log" >&2; die "dockerd not ready after ${wait_seconds}s"; }
      sleep 1
      waited=$((waited + 1))
    done
    log "dockerd ready after ${waited}s"
    readlink "/proc/$(daemon_pid)/ns/mnt" >"$exec_root/mnt-ns"
  fi
  # The registry's loopback name, forwarded to the manager (route_localnet: DNAT from 127/8).
  local forward=(OUTPUT -d 127.0.0.1/32 -p tcp --dport "$registry_port" -j DNAT --to-destination "$host_addr:$registry_port")
  local masquerade=(POSTROUTING -s 127.0.0.0/8 ! -o lo -j MASQUERADE)
  in_netns sysctl -qw net.ipv4.conf.all.route_localnet=1
  in_netns iptables -t nat -C "${forward[@]}" 2>/dev/null || in_netns iptables -t nat -A "${forward[@]}"
  in_netns iptables -t nat -C "${masquerade[@]}" 2>/dev/null || in_netns iptables -t nat -A "${masquerade[@]}"
  echo "SECOND_NODE_DOCKER_HOST=unix://$socket"
  echo "SECOND_NODE_MANAGER_ADDR=$host_addr"
}

# The commands a person runs for a real second machine (README "A second machine").
join() {
  node_ready || die "the node is not up (run: $0 up)"
  local manager
  manager=$(docker info --format '{{.Swarm.NodeAddr}}')
  [[ $(docker info --format '{{.Swarm.ControlAvailable}}') == true ]] || die "this machine's dockerd is no swarm manager"
  [[ $manager == "$host_addr" ]] || die "the swarm manager advertises $manager; the node reaches it only at $host_addr (docker swarm init --advertise-addr $host_addr)"
  in_netns curl -fsS -o /dev/null "http://127.0.0.1:$registry_port/v2/" \
    || die "the node reaches no registry at $host_addr:$registry_port (FLOTILLA_REGISTRY_LISTEN=0.0.0.0:$registry_port scripts/ci/registry.sh)"
  if [[ $("${node2[@]}" info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
    log "docker swarm join --advertise-addr $node_addr $manager:2377"
    "${node2[@]}" swarm join --advertise-addr "$node_addr" --token "$(docker swarm join-token -q worker)" "$manager:2377" >&2
  fi
  local id
  id=$("${node2[@]}" info --format '{{.Swarm.NodeID}}')
  docker node update --label-add flotilla.tier=ml "$id" >/dev/null
  log "node $id ($name) is a worker labelled flotilla.tier=ml"
}

down() {
  if node_ready; then
    local id
    id=$("${node2[@]}" info --format '{{.Swarm.NodeID}}')
    if [[ -n $id ]]; then
      # Drained first: a node removed with tasks on it leaves them "Running" in the manager's
      # view, and the next deploy never converges.
      if docker node update --availability drain "$id" >/dev/null 2>&1; then
        local waited=0
        while [[ -n $(docker node ps "$id" --filter desired-state=running -q 2>/dev/null) ]] && (( waited < wait_seconds )); do
          sleep 1
          waited=$((waited + 1))
        done
      fi
      "${node2[@]}" swarm leave --force >&2 || true
      # The manager keeps a left node as Down until removed.
      docker node rm --force "$id" >/dev/null 2>&1 || true
    fi
  fi
  local pid
  if pid=$(daemon_pid) && kill -0 "$pid" 2>/dev/null; then
    log "stopping its dockerd ($pid)"
    kill "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      (( waited < wait_seconds )) || { kill -9 "$pid"; break; }
      sleep 1
      waited=$((waited + 1))
    done
  fi
  # What a killed daemon leaves behind: its containerd and shims (in the node's mount
  # namespace, recorded by `up`) and its containers (under its cgroup parent). Nothing else
  # is in either.
  local strays=()
  if [[ -f $exec_root/mnt-ns ]]; then
    local ns proc
    ns=$(cat "$exec_root/mnt-ns")
    # Never the host's own namespace (that would be every process of the machine).
    [[ $ns != "$(readlink /proc/1/ns/mnt)" && $ns != "$(readlink /proc/self/ns/mnt)" ]] \
      || die "$exec_root/mnt-ns names the host's mount namespace"
    for proc in /proc/[0-9]*; do
      [[ $(readlink "$proc/ns/mnt" 2>/dev/null) == "$ns" ]] && strays+=("${proc#/proc/}")
    done
  fi
  local cgroups=(/sys/fs/cgroup/*/"$name")
  [[ -d ${cgroups[0]} ]] || cgroups=()
  (( ${#cgroups[@]} == 0 )) || mapfile -t -O "${#strays[@]}" strays < <(find "${cgroups[@]}" -name cgroup.procs -exec cat {} + | sort -u)
  if (( ${#strays[@]} )); then
    log "killing what its daemon left running: ${strays[*]}"
    kill -9 "${strays[@]}" 2>/dev/null || true
    sleep 1
  fi
  # Deleting the namespace deletes the veth with it.
  if ip netns list | grep -qw "$netns"; then ip netns delete "$netns"; fi
  (( ${#cgroups[@]} == 0 )) || find "${cgroups[@]}" -depth -type d -exec rmdir {} +
  if mountpoint -q "$data_root"; then umount "$data_root"; fi
  rm -rf "$exec_root" "$data_root"
  log "removed (namespace, veth, daemon, data root, cgroups)"
}

case ${1:-} in
  up) up ;;
  join) join ;;
  down) down ;;
  *) die "usage: $0 up|join|down" ;;
esac
