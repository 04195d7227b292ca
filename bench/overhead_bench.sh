#!/bin/sh
# Per-request runtime overhead on loopback, unshaped (`make bench-overhead`):
#   bench/overhead_bench.sh [BUILD_DIR] [ROUNDS] [COUNT]
# The real path: edgent-infer (a fixed plan, --no-probe) against edgent-serve (one worker), on
# bench/overhead_model.cpp's net, whose edge-only cut sends a 3,136-byte tensor (the default
# model's edge-only tensor) and whose cut after relu1 sends 602,112 bytes. Overhead per request
# is the run summary's: end-to-end - device compute - edge compute; each run's median over COUNT
# requests. ROUNDS rounds alternate the two sizes (and the peer's), and the medians over rounds
# give
#   fixed  = overhead(3 KB)
#   per MB = (overhead(600 KB) - overhead(3 KB)) / (602,112 - 3,136 bytes) x 10^6 bytes.
# The per-request records split the overhead further: codec (device encode/decode), upload,
# download, edge queueing (medians over the last round's requests).
# Side by side, the peer bench/overhead_peer.py (PyTorch, pickle over TCP with a length prefix,
# as Neurosurgeon's open-source re-implementations do), same sizes, same metric; skipped with a
# message when PyTorch is missing (Debian package python3-torch).
set -eu
build=${1:-build}
rounds=${2:-5}
count=${3:-300}
bin=$build/cmd
data=/usr/share/datasets/fashion-mnist
here=$(dirname "$0")
# Debian's interpreter, where python3-torch installs (not a python3 earlier on PATH).
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
serve=
peer=
cleanup() {
  [ -n "$serve" ] && kill "$serve" 2>/dev/null || true
  [ -n "$peer" ] && kill "$peer" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Median of the numbers on stdin, one a line.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

"$build/bench/overhead_model" "$work" > /dev/null
model=$work/overhead.json
sha=$(sha256sum "$work/overhead.onnx" | cut -d' ' -f1)
small_bytes=3136
large_bytes=602112
# Edgent's cut 1 is after its first unit (conv1 with relu1); the peer's layer index 2 is the same.
for cut in 0 1; do
  cat > "$work/plan_$cut.json" <<JSON
{"schema": "edgent.plan/1", "generator": {"tool": "edgent-plan", "version": "bench", "git": "bench"},
 "strategy": "edgent", "feasible": true, "deadline_ms": 1000, "bandwidth_kbps": null,
 "up_kbps": 0, "down_kbps": 0, "rtt_ms": 0, "edge_queue_ms": 0, "model_sha256": "$sha",
 "accuracy_known": false, "plan": {"exit": 1, "cut": $cut, "order": "device-first", "codec": "fp32", "accuracy": null},
 "predicted": {"device_ms": 0, "edge_ms": 0, "up_ms": 0, "down_ms": 0, "total_ms": 0}, "reward": 0}
JSON
done

"$bin/edgent-serve" --model "$model" --port 0 --port-file "$work/port" --threads 1 --quiet &
serve=$!
have_peer=yes
if ! "$python" -c 'import torch' 2> /dev/null; then
  have_peer=
  echo "# peer skipped: PyTorch is not installed (Debian package python3-torch; make bench-overhead installs it)"
else
  "$python" "$here/overhead_peer.py" serve --port-file "$work/peer_port" &
  peer=$!
fi
while [ ! -s "$work/port" ]; do sleep 0.1; done
edge=127.0.0.1:$(cat "$work/port")
if [ -n "$have_peer" ]; then
  while [ ! -s "$work/peer_port" ]; do
    kill -0 "$peer" 2> /dev/null || { echo "overhead_bench: the peer's server failed" >&2; exit 1; }
    sleep 0.1
  done
fi

echo "# overhead_bench: $rounds rounds x $count requests per size, loopback, unshaped; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  line="round $round:"
  for cut in 0 1; do
    "$bin/edgent-infer" --model "$model" --plan "$work/plan_$cut.json" --data "$data" \
      --count "$count" --edge "$edge" --no-probe --quiet \
      --summary "$work/run_$cut.json" -o "$work/run_$cut.jsonl"
    jq -r '.overhead.median_ms' "$work/run_$cut.json" >> "$work/ours_$cut"
    want=$([ "$cut" = 0 ] && echo $small_bytes || echo $large_bytes)
    # The wire body is the tensor plus the 80-byte header (and the HTTP header besides).
    up=$(jq -r '.bytes_up' "$work/run_$cut.jsonl" | median)
    if [ "$(echo "$up $want" | awk '{ print ($1 >= $2 + 80 && $1 < $2 + 2000) }')" != 1 ]; then
      echo "overhead_bench: cut $cut sent $up bytes a request, expected about $want" >&2
      exit 1
    fi
    line="$line edgent $(tail -n 1 "$work/ours_$cut") ms"
    if [ -n "$have_peer" ]; then
      "$python" "$here/overhead_peer.py" run --port "$(cat "$work/peer_port")" --cut $((2 * cut)) \
        --count "$count" > "$work/peer_run.json"
      jq -r '.overhead_median_ms' "$work/peer_run.json" >> "$work/peer_$cut"
      line="$line, peer $(tail -n 1 "$work/peer_$cut" | awk '{ printf "%.3f", $1 }') ms;"
    fi
  done
  echo "$line"
done

for cut in 0 1; do
  jq -r '.measured | "\(.codec_ms) \(.up_ms) \(.down_ms) \(.edge_queue_ms)"' "$work/run_$cut.jsonl" \
    > "$work/split_$cut"
  split=""
  i=1
  for name in codec upload download queueing; do
    split="$split $name $(cut -d' ' -f$i "$work/split_$cut" | median | awk '{ printf "%.3f", $1 }') ms,"
    i=$((i + 1))
  done
  echo "# edgent cut $cut, last round's records:${split%,}"
done

# fixed and per-MB figures from the medians over rounds of NAME (ours or peer).
figures() {
  small=$(median < "$work/${1}_0")
  large=$(median < "$work/${1}_1")
  echo "$small $large" | awk -v d=$((large_bytes - small_bytes)) '{
    printf "%.3f ms fixed (3 KB: %.3f ms), %.3f ms per MB (600 KB: %.3f ms)", $1, $1,
      ($2 - $1) / d * 1e6, $2 }'
}
echo "edgent overhead: $(figures ours)   (target <= 0.15 ms fixed, <= 0.5 ms per MB)"
if [ -n "$have_peer" ]; then
  echo "peer overhead:   $(figures peer)   (PyTorch, pickle over TCP)"
fi
echo "# medians over $rounds rounds; MB = 10^6 bytes; load average after $(cut -d' ' -f1-3 /proc/loadavg)"
