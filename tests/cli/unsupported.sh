#!/usr/bin/env bash
# One message for every unsupported op: a model with several op types onnxq refuses goes through
# each command that refuses ops (compile, quantize, run, report) and must exit 1 with a single
# message naming the file, every refused op type with its node count and node names, and the
# reason (not in ir/ops.def; in ops.def but no C kernel for this data type).
# usage: unsupported.sh ONNXQ SOURCE_ROOT        (exit 77 = skipped: no /usr/bin/python3 with onnx)
set -uo pipefail
onnxq=$1
root=$2
/usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$root/tests/cli/make_unsupported.py" "$tmp" || { echo "FAIL models"; exit 1; }
fail=0 n=0

# expect RC WORDS... -- ARGS... : onnxq ARGS exits RC with one stderr line holding every WORD
expect() {
  local rc=$1; shift
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  n=$((n + 1))
  "$onnxq" "$@" >"$tmp/out.txt" 2>"$tmp/err.txt"
  local got=$? bad=""
  [ "$got" = "$rc" ] || bad="exit $got, want $rc"
  local lines
  lines=$(grep -vc '^onnxq: warning:' "$tmp/err.txt")
  [ "$lines" = 1 ] || bad="$bad; $lines error lines"
  for w in "${words[@]}"; do
    grep -v '^onnxq: warning:' "$tmp/err.txt" | grep -qF -- "$w" || bad="$bad; no '$w'"
  done
  if [ -n "$bad" ]; then
    fail=$((fail + 1))
    echo "FAIL onnxq $*: $bad"
    cat "$tmp/err.txt"
  else
    echo "ok   onnxq $1: $(grep -v '^onnxq: warning:' "$tmp/err.txt" | cut -c1-150)..."
  fi
}

m=$tmp/import.onnx
imp=("$m:" "3 unsupported operator types" "not in onnxq's op table, ir/ops.def"
     "Loop (1 node: 'loop0')" "Scan (1 node: 'scan0')" "NonZero (2 nodes: 'nz0', 'nz1')")
expect 1 "${imp[@]}" -- compile "$m" --calib "$tmp/calib" --emit-c "$tmp/c1"
expect 1 "${imp[@]}" -- quantize "$m" --calib "$tmp/calib" -o "$tmp/q.onnx"
expect 1 "${imp[@]}" -- run "$m" --input "x=$tmp/calib/x.npy" --output "$tmp/r"
expect 1 "${imp[@]}" -- report "$m" --calib "$tmp/calib"
m=$tmp/cback.onnx
expect 1 "$m:" "the C backend cannot run 4 op types (5 nodes)" \
  "DynamicQuantizeLinear (1 node: 'dql0'): in ops.def, but the C backend has no kernel" \
  "ConvInteger (1 node: 'convi0'): in ops.def, but the C backend has no kernel of this op for uint8 data" \
  "MatMulInteger (1 node: 'mmi0')" "Neg (2 nodes: 'neg0', 'neg1')" "for int32 data" \
  -- compile "$m" --calib "$tmp/calib" --emit-c "$tmp/c2"
for d in c1 c2 q.onnx r; do
  n=$((n + 1))
  if [ -e "$tmp/$d" ]; then fail=$((fail + 1)); echo "FAIL $d written after a refusal"; fi
done
echo "$((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
