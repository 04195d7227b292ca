#!/usr/bin/env bash
# Split equality across architectures: an aarch64 device (the cross-built edgent-infer under
# qemu-user) offloads to the native (x86-64) edgent-serve, at every exit, cut and order of the
# default model with the fp32 codec (ARM64_PLANS, default 12 of them, evenly spread), over ARM64_IMAGES
# Fashion-MNIST test images (default 1000, spread over the plans); each request's logits are compared with the native edgent-infer's
# device-only run of the same image at the same exit. Prints the figures and writes
# out/arm64-split/summary.md; exits 1 when a class differs or a logit is off by more than 1e-4.
# Needs `make build` and `make device-arm64` (ARM_BIN: build-arm64/cmd).
. "$(dirname "$0")/common.sh"
ARM_BIN=${ARM_BIN:-$ROOT/build-arm64/cmd}
IMAGES=${ARM64_IMAGES:-1000}
TOLERANCE=1e-4
QEMU=(nice qemu-aarch64 -L /usr/aarch64-linux-gnu)
DIR=$OUT/arm64-split
for f in "$BIN/edgent-serve" "$BIN/edgent-infer" "$ARM_BIN/edgent-infer"; do
  [ -x "$f" ] || { say "$f missing: run 'make build' and 'make device-arm64' first"; exit 1; }
done
command -v qemu-aarch64 >/dev/null || { say "qemu-aarch64 missing: run 'make deps-arm64'"; exit 1; }
[ -e "$DATA/t10k-labels-idx1-ubyte.gz" ] || { say "no Fashion-MNIST at $DATA"; exit 1; }
rm -rf "$DIR"
mkdir -p "$DIR/plans" "$DIR/device" "$DIR/reference"

sha=$(jq -r .onnx_sha256 "$MODEL")
# plan_file exit cut order: a hand-made edgent.plan/1 fixing one plan (fp32 at the cut)
plan_file() {
  local f="$DIR/plans/e$1-c$2-$3.json"
  jq -n --arg sha "$sha" --argjson e "$1" --argjson c "$2" --arg o "$3" --arg codec "$4" '{
    schema: "edgent.plan/1", generator: {tool: "edgent-plan", version: "arm64-split", git: "none"},
    strategy: "edgent", feasible: true, deadline_ms: 1e6, bandwidth_kbps: 1e6, up_kbps: 1e6,
    down_kbps: 1e6, rtt_ms: 0.1, edge_queue_ms: 0, up_fixed_ms: 0, down_fixed_ms: 0,
    model_sha256: $sha, accuracy_known: false,
    plan: {exit: $e, cut: $c, order: $o, codec: $codec, accuracy: null},
    predicted: {device_ms: 0, codec_ms: 0, edge_ms: 0, up_ms: 0, down_ms: 0, total_ms: 0},
    reward: 0}' >"$f"
  printf '%s\n' "$f"
}

# Every offloading plan: device-first at cuts 0..n-1, edge-first at 1..n-1 (cuts from the
# accuracy table, which lists every cut point of every exit).
mapfile -t plans < <(jq -r '[.entries[] | select(.codec == "fp32")] | group_by(.exit)[] |
    (map(.cut) | max) as $n | .[0].exit as $e |
    (.[] | select(.cut < $n) | "\($e) \(.cut) device-first"),
    (.[] | select(.cut > 0 and .cut < $n) | "\($e) \(.cut) edge-first")' "$ACCURACY")
# ARM64_PLANS=N (default 12) keeps N of them, evenly spread: each plan is one edgent-infer start
# under qemu, seconds each; ARM64_PLANS=all keeps every one.
ARM64_PLANS=${ARM64_PLANS:-12}
if [ "$ARM64_PLANS" != all ] && [ "$ARM64_PLANS" -lt "${#plans[@]}" ]; then
  all=("${plans[@]}")
  plans=()
  for ((i = 0; i < ARM64_PLANS; i++)); do plans+=("${all[$(( i * ${#all[@]} / ARM64_PLANS ))]}"); done
fi
np=${#plans[@]}
say "${np} plans, ${IMAGES} images"

port_file=$DIR/serve.port
"$BIN/edgent-serve" -m "$MODEL" --port 0 --port-file "$port_file" --threads 1 --quiet \
  2>"$DIR/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || { say "edgent-serve did not start: $(cat "$DIR/serve.log")"; exit 1; }
port=$(cat "$port_file")

# The images in contiguous blocks, one block per plan.
start=$(date +%s)
offset=0
for k in "${!plans[@]}"; do
  count=$(( (IMAGES * (k + 1)) / np - offset ))
  [ "$count" -gt 0 ] || continue
  read -r e c o <<<"${plans[$k]}"
  p=$(plan_file "$e" "$c" "$o" fp32)
  "${QEMU[@]}" "$ARM_BIN/edgent-infer" --model "$MODEL" --plan "$p" --data "$DATA" \
    --offset "$offset" --count "$count" --edge "127.0.0.1:$port" --no-probe --timeout-ms 60000 \
    --quiet -o "$DIR/device/$k.jsonl" --logits "$DIR/device/$k.csv"
  offset=$((offset + count))
done
device_s=$(( $(date +%s) - start ))
cat "$DIR"/device/*.csv >"$DIR/device.csv"
fallbacks=$(cat "$DIR"/device/*.jsonl | jq -s 'map(select(.fallback)) | length')
offloaded=$(cat "$DIR"/device/*.jsonl | jq -s 'map(select(.offloaded)) | length')

# The reference: the native device-only run of every image at every exit.
for e in $(jq -r '[.entries[].exit] | unique | .[]' "$ACCURACY"); do
  n=$(jq --argjson e "$e" '[.entries[] | select(.exit == $e) | .cut] | max' "$ACCURACY")
  p=$(plan_file "$e" "$n" device-first none)
  "$BIN/edgent-infer" --model "$MODEL" --plan "$p" --data "$DATA" --count "$IMAGES" --quiet \
    --logits "$DIR/reference/$e.csv"
done
cat "$DIR"/reference/*.csv >"$DIR/reference.csv"

# Per request: same exit, same class (argmax), largest |logit difference|.
read -r compared class_diff worst worst_id < <(awk -F, '
  NR == FNR { ref[$1 "," $2] = $0; next }
  { key = $1 "," $2; n++
    if (!(key in ref)) { missing++; next }
    split(ref[key], r, ",")
    best = 3; rbest = 3
    for (i = 3; i <= NF; i++) {
      if ($i > $best) best = i
      if (r[i] > r[rbest]) rbest = i
      d = $i - r[i]; if (d < 0) d = -d
      if (d > worst) { worst = d; wid = $1 }
    }
    if (best != rbest) diff++ }
  END { printf "%d %d %.3g %s\n", n - missing, diff + missing, worst, wid == "" ? "-" : wid }' \
  "$DIR/reference.csv" "$DIR/device.csv")
ok=yes
awk -v w="$worst" -v t="$TOLERANCE" 'BEGIN { exit !(w <= t) }' || ok=no
[ "$class_diff" -eq 0 ] && [ "$compared" -eq "$IMAGES" ] && [ "$fallbacks" -eq 0 ] || ok=no

{
  echo "# arm64 split equality: aarch64 device (qemu-user) against the x86-64 edge"
  echo
  machine_md | sed -n '1p;4,6p'
  echo "- device: $ARM_BIN/edgent-infer (aarch64, cross-built) under qemu-aarch64; edge: the"
  echo "  native edgent-serve on loopback; reference: the native edgent-infer, device-only"
  echo "- plans: $np of every exit, cut and order (device-first, edge-first), fp32; images: the"
  echo "  first $IMAGES Fashion-MNIST test images, in one block per plan:"
  printf '%s\n' "${plans[@]}" | awk '{ printf "%sexit %s cut %s %s", (NR > 1 ? "; " : "  "), $1, $2, $3 } END { print "" }'
  echo
  echo "| requests compared | offloaded | fallbacks | class differences | max abs logit difference | at id | tolerance | device runs |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "| $compared | $offloaded | $fallbacks | $class_diff | $worst | $worst_id | $TOLERANCE | ${device_s} s |"
  echo
  echo "Result: $([ "$ok" = yes ] && echo "identical classes, logits within $TOLERANCE" || echo FAILED)."
} >"$DIR/summary.md"
cat "$DIR/summary.md"
[ "$ok" = yes ]
