# A real Slurm cluster on this machine: slurmctld and munged in a "head" network namespace, one
# slurmd per simulated node in a namespace of its own, joined by a bridge. Source it; call
# cluster_up DIR, run clients with `on_head CMD...`, and cluster_down (idempotent) from a trap.
#
# Safety: the cluster's /24 exists only inside the namespaces. Before anything else an
# `unreachable` route for it goes into the root namespace, so that a client started there by
# mistake fails at once instead of sending the packets out through the default route.

CLUSTER_NODES=(node1 node2)
CLUSTER_CPUS=${CLUSTER_CPUS:-2}
CLUSTER_DIR=""
CLUSTER_SUBNET=""
CLUSTER_NS=""

cluster_log() { printf '[slurm-lab] %s\n' "$*" >&2; }

# Claims a free 10.x.y.0/24 by adding its guard route: `ip route add` fails when the route
# exists, so two clusters started side by side never share a subnet.
cluster_guard_subnet() {
  local start=$(( $$ % 200 )) i
  for i in $(seq 0 199); do
    local subnet="10.251.$(( (start + i) % 200 + 20 ))"
    if ip route add unreachable "$subnet.0/24" 2>/dev/null; then
      CLUSTER_SUBNET=$subnet
      return 0
    fi
  done
  cluster_log "no free subnet for the guard route"
  return 1
}

# The head namespace holds the bridge; each node's namespace holds one end of a veth pair.
cluster_network() {
  local head=${CLUSTER_NS}head
  ip netns add "$head"
  ip -n "$head" link set lo up
  ip -n "$head" link add br0 type bridge
  ip -n "$head" addr add "$CLUSTER_SUBNET.1/24" dev br0
  ip -n "$head" link set br0 up
  local i=0 node
  for node in "${CLUSTER_NODES[@]}"; do
    i=$((i + 1))
    ip netns add "$CLUSTER_NS$node"
    ip -n "$CLUSTER_NS$node" link set lo up
    ip -n "$head" link add "veth$i" type veth peer name eth0 netns "$CLUSTER_NS$node"
    ip -n "$head" link set "veth$i" master br0 up
    ip -n "$CLUSTER_NS$node" addr add "$CLUSTER_SUBNET.$((10 + i))/24" dev eth0
    ip -n "$CLUSTER_NS$node" link set eth0 up
  done
}

cluster_hosts_file() {
  {
    echo "127.0.0.1 localhost"
    echo "$CLUSTER_SUBNET.1 head"
    local i=0 node
    for node in "${CLUSTER_NODES[@]}"; do
      i=$((i + 1))
      echo "$CLUSTER_SUBNET.$((10 + i)) $node"
    done
  } > "$CLUSTER_DIR/hosts"
}

# One munged serves every namespace: its Unix socket is reachable from all of them.
cluster_munge() {
  local m=$CLUSTER_DIR/munge
  mkdir -p "$m"
  mungekey -c -k "$m/munge.key"
  chown -R munge: "$m"
  # Clients in every namespace reach the socket through this directory.
  chmod 711 "$m"
  chmod 600 "$m/munge.key"
  runuser -u munge -- munged --socket="$m/munge.sock" --key-file="$m/munge.key" \
    --pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munged.seed"
}

cluster_config() {
  local memory_mb
  memory_mb=$(awk '/MemTotal/ {print int($2 / 1024 / 4)}' /proc/meminfo)
  mkdir -p "$CLUSTER_DIR/state" "$CLUSTER_DIR/log"
  local node
  for node in "${CLUSTER_NODES[@]}"; do mkdir -p "$CLUSTER_DIR/nodes/$node/spool" "$CLUSTER_DIR/nodes/$node/tmp"; done
  sed -e "s|@DIR@|$CLUSTER_DIR|g" -e "s|@SUBNET@|$CLUSTER_SUBNET|g" \
      -e "s|@CPUS@|$CLUSTER_CPUS|g" -e "s|@MEMORY_MB@|$memory_mb|g" \
      "$(dirname "${BASH_SOURCE[0]}")/slurm.conf.in" > "$CLUSTER_DIR/slurm.conf"
}

# A daemon sees its own hostname and the cluster's hosts file (private UTS and mount
# namespaces) inside its network namespace. `ip netns exec` would remount /sys, which slurmd
# does not survive, hence nsenter + unshare.
cluster_daemon() {
  local ns=$1 host=$2
  shift 2
  nsenter --net="/run/netns/$CLUSTER_NS$ns" -- unshare --uts --mount --propagation slave -- \
    sh -c 'hostname "$1"; mount --bind "$2" /etc/hosts; shift 2; exec "$@"' \
    sh "$host" "$CLUSTER_DIR/hosts" "$@"
}

# Runs a Slurm client in the head namespace, the only place where the cluster is reachable.
on_head() {
  SLURM_CONF=$CLUSTER_DIR/slurm.conf nsenter --net="/run/netns/${CLUSTER_NS}head" -- "$@"
}

cluster_wait_idle() {
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    if [ "$(on_head sinfo -h -o '%t' -N | grep -c '^idle$')" -eq "${#CLUSTER_NODES[@]}" ]; then
      return 0
    fi
    sleep 0.2
  done
  cluster_log "nodes not idle after 30 s:"
  on_head sinfo -N >&2 || true
  return 1
}

cluster_up() {
  CLUSTER_DIR=$1
  CLUSTER_NS="dpt$$-"
  mkdir -p "$CLUSTER_DIR"
  # munged runs as user munge and must reach its files below here.
  chmod 711 "$CLUSTER_DIR"
  cluster_guard_subnet
  cluster_log "subnet $CLUSTER_SUBNET.0/24 (unreachable from the root namespace), state in $CLUSTER_DIR"
  cluster_network
  cluster_hosts_file
  cluster_munge
  cluster_config
  cluster_daemon head head slurmctld -f "$CLUSTER_DIR/slurm.conf"
  local node
  for node in "${CLUSTER_NODES[@]}"; do
    cluster_daemon "$node" "$node" slurmd -f "$CLUSTER_DIR/slurm.conf" -N "$node"
  done
  cluster_wait_idle
}

# Stops the daemons by their pid files, waits for them, removes namespaces and the guard route.
# Safe to call twice and after a partial bring-up.
cluster_down() {
  [ -n "$CLUSTER_DIR" ] || return 0
  local pidfile pids=()
  for pidfile in "$CLUSTER_DIR"/state/*.pid "$CLUSTER_DIR"/nodes/*/slurmd.pid "$CLUSTER_DIR"/munge/munged.pid; do
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then pids+=("$pid"); fi
  done
  local deadline=$((SECONDS + 15)) pid
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  local ns
  for ns in head "${CLUSTER_NODES[@]}"; do
    ip netns del "$CLUSTER_NS$ns" 2>/dev/null || true
  done
  if [ -n "$CLUSTER_SUBNET" ]; then
    ip route del unreachable "$CLUSTER_SUBNET.0/24" 2>/dev/null || true
  fi
  CLUSTER_DIR=""
  CLUSTER_SUBNET=""
}
