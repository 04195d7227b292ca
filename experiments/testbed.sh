#!/usr/bin/env bash
# The real testbed: two network namespaces joined by a veth pair, bandwidth shaped with
# `tc qdisc tbf` on both ends (changed over time to follow a trace), the device side under a
# cgroup CPU quota, edgent-serve in the edge namespace and edgent-infer in the device one.
#
#   experiments/testbed.sh up [kbps]          create the namespaces and shape both ways
#   experiments/testbed.sh rate kbps          change the tbf rate of both ends
#   experiments/testbed.sh replay csv [scale] [log.csv]
#                                             follow a trace (one `tc qdisc change` per sample,
#                                             wall-clock, repeated after its end) until killed
#   experiments/testbed.sh verify [kbps...]   bulk transfers both ways vs the tbf rate
#   experiments/testbed.sh down               remove everything the testbed made, by name
#
# Sourced (`. experiments/testbed.sh`), it defines the tb_* functions the experiment scripts
# use; they call tb_cleanup from their EXIT/INT/TERM traps. Needs root (ip netns, tc, cgroups);
# without it, use `edgent-infer --emulate-trace` (token buckets in the client, no root).
#
# Everything it creates is named edgent-tb-*: namespaces edgent-tb-edge and edgent-tb-dev,
# the veth ends edgent-tb-e (edge, 10.77.0.1/30) and edgent-tb-d (device, 10.77.0.2/30), and
# the cgroup edgent-tb-device (cpu controller). Only these namespaces carry traffic.

TB_EDGE_NS=edgent-tb-edge
TB_DEV_NS=edgent-tb-dev
TB_EDGE_IF=edgent-tb-e
TB_DEV_IF=edgent-tb-d
TB_EDGE_IP=10.77.0.1
TB_DEV_IP=10.77.0.2
TB_CGROUP=edgent-tb-device
TB_PIDS=()

tb_say() { printf 'edgent testbed: %s\n' "$*" >&2; }

## tb_require_root: fail with a pointer to the no-root emulation unless root
tb_require_root() {
  if [ "$(id -u)" != 0 ]; then
    tb_say "needs root (ip netns, tc qdisc tbf, cgroups); without root, replay a trace on"
    tb_say "loopback with 'edgent-infer --emulate-trace trace.csv --trace-scale k' instead"
    return 1
  fi
  for tool in ip tc; do
    command -v "$tool" >/dev/null || { tb_say "'$tool' not found (Debian package iproute2)"; return 1; }
  done
}

## tb_cgroup_dir: the directory of the device cgroup (cgroup v1 cpu or v2)
tb_cgroup_dir() {
  if [ -d /sys/fs/cgroup/cpu ] && [ -f /sys/fs/cgroup/cpu/cgroup.procs ]; then
    echo "/sys/fs/cgroup/cpu/$TB_CGROUP"
  else
    echo "/sys/fs/cgroup/$TB_CGROUP"
  fi
}

## tb_cleanup: kill the testbed's processes, delete its namespaces and cgroup (idempotent)
tb_cleanup() {
  local pid ns dir
  for pid in "${TB_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${TB_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  TB_PIDS=()
  for ns in "$TB_EDGE_NS" "$TB_DEV_NS"; do
    if ip netns list 2>/dev/null | grep -qw "^$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
      sleep 0.2
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  ip link del "$TB_EDGE_IF" 2>/dev/null || true  # a pair left in the root namespace
  dir=$(tb_cgroup_dir)
  if [ -d "$dir" ]; then
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$dir" 2>/dev/null && break; sleep 0.1; done
  fi
}

## tb_tbf_args kbps: the tbf settings for a rate: a 1600-byte bucket (about one packet, so
## even a small tensor is shaped) and a queue of 2 s of traffic (at least 200 kB, no drops)
tb_tbf_args() {
  awk -v r="$1" 'BEGIN {
    if (r < 8) r = 8;                 # an outage (0 kbit/s) becomes 8 kbit/s: tbf needs a rate
    limit = r * 1000 / 8 * 2; if (limit < 200000) limit = 200000;
    printf "rate %dkbit burst 1600 limit %d\n", r, limit }'
}

## tb_up [kbps]: fresh namespaces, veth pair, addresses, tbf on both ends, device cgroup
tb_up() {
  local kbps=${1:-1000}
  tb_require_root || return 1
  tb_cleanup
  ip netns add "$TB_EDGE_NS"
  ip netns add "$TB_DEV_NS"
  ip link add "$TB_EDGE_IF" type veth peer name "$TB_DEV_IF"
  ip link set "$TB_EDGE_IF" netns "$TB_EDGE_NS"
  ip link set "$TB_DEV_IF" netns "$TB_DEV_NS"
  ip -n "$TB_EDGE_NS" addr add "$TB_EDGE_IP/30" dev "$TB_EDGE_IF"
  ip -n "$TB_DEV_NS" addr add "$TB_DEV_IP/30" dev "$TB_DEV_IF"
  for ns in "$TB_EDGE_NS" "$TB_DEV_NS"; do ip -n "$ns" link set lo up; done
  ip -n "$TB_EDGE_NS" link set "$TB_EDGE_IF" up
  ip -n "$TB_DEV_NS" link set "$TB_DEV_IF" up
  local -a args
  read -r -a args <<<"$(tb_tbf_args "$kbps")"
  tc -n "$TB_EDGE_NS" qdisc add dev "$TB_EDGE_IF" root tbf "${args[@]}"
  tc -n "$TB_DEV_NS" qdisc add dev "$TB_DEV_IF" root tbf "${args[@]}"
  tb_say "up: $TB_DEV_NS ($TB_DEV_IP) <-> $TB_EDGE_NS ($TB_EDGE_IP), tbf $kbps kbit/s both ways"
}

## tb_rate kbps: change the tbf rate of both ends (the edge's egress is the device's downlink)
tb_rate() {
  local -a args
  read -r -a args <<<"$(tb_tbf_args "$1")"
  tc -n "$TB_DEV_NS" qdisc change dev "$TB_DEV_IF" root tbf "${args[@]}" &&
    tc -n "$TB_EDGE_NS" qdisc change dev "$TB_EDGE_IF" root tbf "${args[@]}"
}

## tb_replay csv scale [log]: follow the trace in wall-clock time (sample-and-hold, repeated
## after its end, bandwidth x scale), one `tc qdisc change` per sample; logs t_s,kbps applied
tb_replay() {
  local csv=$1 scale=${2:-1} log=${3:-/dev/null}
  local -a times rates
  local t r i n period start now target wait
  while IFS=, read -r t r; do
    times+=("$t")
    rates+=("$(awk -v r="$r" -v k="$scale" 'BEGIN { printf "%.3f", r * k }')")
  done < <(awk -F, 'NR > 1 && NF >= 2 { print $1 "," $2 }' "$csv")
  n=${#times[@]}
  [ "$n" -gt 0 ] || { tb_say "$csv: no samples"; return 1; }
  # The last row holds for the median spacing (traces/README.md); the trace then repeats.
  local spacing
  spacing=$(printf '%s\n' "${times[@]}" | awk 'NR > 1 { print $1 - p } { p = $1 }' | sort -g |
    awk '{ d[++n] = $1 } END { print n ? d[int((n + 1) / 2)] : 1 }')
  period=$(awk -v l="${times[$((n - 1))]}" -v s="$spacing" 'BEGIN { print l + s }')
  echo "t_s,bandwidth_kbps" >"$log"
  start=$EPOCHREALTIME
  local offset=0
  while :; do
    for ((i = 0; i < n; i++)); do
      target=$(awk -v s="$start" -v o="$offset" -v t="${times[$i]}" 'BEGIN { printf "%.6f", s + o + t }')
      now=$EPOCHREALTIME
      wait=$(awk -v a="$target" -v b="$now" 'BEGIN { w = a - b; printf "%.6f", (w > 0 ? w : 0) }')
      sleep "$wait"
      tb_rate "${rates[$i]}" || return 1
      awk -v a="$EPOCHREALTIME" -v s="$start" -v r="${rates[$i]}" \
        'BEGIN { printf "%.3f,%s\n", a - s, r }' >>"$log"
    done
    offset=$(awk -v o="$offset" -v p="$period" 'BEGIN { printf "%.6f", o + p }')
  done
}

## tb_replay_start csv scale log: tb_replay in the background (killed by tb_cleanup)
tb_replay_start() {
  tb_replay "$@" &
  TB_PIDS+=($!)
}

## tb_stop pid: stop one background process started here
tb_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${TB_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  TB_PIDS=("${keep[@]}")
}

## tb_serve bin model portfile [args...]: edgent-serve in the edge namespace on 10.77.0.1;
## sets TB_EDGE (host:port) and TB_SERVE_PID
tb_serve() {
  local bin=$1 model=$2 portfile=$3
  shift 3
  rm -f "$portfile"
  ip netns exec "$TB_EDGE_NS" "$bin/edgent-serve" -m "$model" --bind "$TB_EDGE_IP" --port 0 \
    --port-file "$portfile" --quiet "$@" &
  TB_SERVE_PID=$!
  TB_PIDS+=("$TB_SERVE_PID")
  for _ in $(seq 300); do [ -s "$portfile" ] && break; sleep 0.1; done
  [ -s "$portfile" ] || { tb_say "edgent-serve did not start"; return 1; }
  # shellcheck disable=SC2034  # read by the scripts that source this file
  TB_EDGE="$TB_EDGE_IP:$(cat "$portfile")"
}

## tb_device cpus cmd...: run a command in the device namespace, inside the cgroup
## edgent-tb-device limited to cpus CPUs (1 ms of CPU every 1/cpus ms, as edgent-profile
## --cpu-quota does), or unlimited when cpus is 0 or empty
tb_device() {
  local cpus=$1 dir
  shift
  if [ -z "$cpus" ] || [ "$cpus" = 0 ]; then
    tb_wait ip netns exec "$TB_DEV_NS" "$@"
    return
  fi
  dir=$(tb_cgroup_dir)
  mkdir -p "$dir"
  local period quota
  period=$(awk -v c="$cpus" 'BEGIN { p = int(1000 / c + 0.5); if (p < 1000) p = 1000;
    if (p > 1000000) p = 1000000; print p }')
  quota=$(awk -v c="$cpus" -v p="$period" 'BEGIN { q = int(c * p + 0.5); if (q < 1000) q = 1000; print q }')
  if [ -f "$dir/cpu.cfs_quota_us" ]; then
    echo -1 >"$dir/cpu.cfs_quota_us"
    echo "$period" >"$dir/cpu.cfs_period_us"
    echo "$quota" >"$dir/cpu.cfs_quota_us"
  else
    echo "$quota $period" >"$dir/cpu.max"
  fi
  # Join the cgroup before entering the namespace: `ip netns exec` remounts /sys, which hides
  # the cgroup file systems inside (so edgent-infer --cpu-quota cannot work there either).
  tb_wait sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" ip netns exec "$TB_DEV_NS" "$@"
}

## tb_wait cmd...: run a command in the background and wait for it, so that a trapped
## INT/TERM interrupts the wait at once (bash runs traps only after a foreground command)
## and tb_cleanup can kill it; returns its exit status
tb_wait() {
  local pid rc=0
  "$@" &
  pid=$!
  TB_PIDS+=("$pid")
  wait "$pid" || rc=$?
  local keep=() p
  for p in "${TB_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  TB_PIDS=("${keep[@]}")
  return "$rc"
}

## tb_verify kbps...: a bulk transfer each way at each tbf rate; prints
## tbf_kbps,direction,bytes,achieved_kbps,ratio (payload rate, so TCP/IP headers cost ~4 %)
tb_verify() {
  local here port=5999 kbps dir bytes got
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  ip netns exec "$TB_EDGE_NS" python3 "$here/bulk.py" serve "$TB_EDGE_IP" "$port" &
  TB_PIDS+=($!)
  sleep 0.5
  echo "tbf_kbps,direction,bytes,achieved_kbps,ratio"
  for kbps in "$@"; do
    tb_rate "$kbps"
    bytes=$(awk -v r="$kbps" 'BEGIN { b = int(r * 1000 / 8 * 3); if (b < 25000) b = 25000; print b }')
    for dir in up down; do
      got=$(ip netns exec "$TB_DEV_NS" python3 "$here/bulk.py" "$dir" "$TB_EDGE_IP" "$port" "$bytes")
      awk -v r="$kbps" -v d="$dir" -v b="$bytes" -v g="$got" \
        'BEGIN { printf "%s,%s,%d,%s,%.3f\n", r, d, b, g, g / r }'
    done
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cmd=${1:-}
  shift || true
  case "$cmd" in
    up) tb_up "${1:-1000}" ;;
    rate) tb_rate "${1:?kbps}" ;;
    replay)
      tb_require_root
      trap 'exit 130' INT TERM
      tb_replay "${1:?trace csv}" "${2:-1}" "${3:-/dev/null}"
      ;;
    verify)
      tb_require_root
      trap tb_cleanup EXIT
      trap 'exit 130' INT TERM
      tb_up 1000 >/dev/null
      if [ $# -eq 0 ]; then set -- 50 400 1500 10000 50000; fi
      tb_verify "$@"
      ;;
    down) tb_require_root && tb_cleanup ;;
    '') sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
    *)
      tb_say "unknown command '$cmd' (up, rate, replay, verify, down; no argument for help)"
      exit 2
      ;;
  esac
fi
