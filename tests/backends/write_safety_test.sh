#!/usr/bin/env bash
# Every file onnxq writes goes through one atomic writer that never replaces an input of the
# run (same device and inode, whatever the spelling) and never opens a planted name: for
# quantize -o / --save-calib, compile --emit-c, run --output and report --json, a target that
# is the model, a calibration sample, a symlink or a hard link to one is refused (exit 2) with
# the input left byte-identical; a symlink planted at the old fixed temporary name
# (TARGET.tmp -> victim) leaves the victim untouched; no temporary file is left behind.
# usage: write_safety_test.sh ONNXQ SOURCE_ROOT    (exit 77 = skipped)
set -uo pipefail
onnxq=$1
root=$2
src=$root/examples/fashion_cnn.onnx
[ -f "$src" ] && [ -d "$root/examples/calib" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

mkdir "$tmp/calib" "$tmp/out"
cp "$src" "$tmp/m.onnx"
cp "$root/examples/calib/sample_000.npy" "$root/examples/calib/sample_001.npy" "$tmp/calib/"
echo "victim: must survive" >"$tmp/victim"
sums() { (cd "$tmp" && sha256sum m.onnx calib/*.npy victim); }
before=$(sums)
q=("$onnxq" quantize "$tmp/m.onnx" --calib "$tmp/calib")

# refused: CMD... fails (exit 2, a usage error), says the input it protects, changes nothing, leaves no temp file
refused() {
  local what=$1; shift
  "$@" >"$tmp/log" 2>&1
  local rc=$?
  if [ $rc -ne 2 ]; then bad "$what: exit $rc, want 2 (usage error)"; cat "$tmp/log"; return; fi
  if ! grep -q "refusing to overwrite the input" "$tmp/log"; then bad "$what: message"; cat "$tmp/log"; return; fi
  if [ "$(sums)" != "$before" ]; then bad "$what: an input changed"; return; fi
  if ls -a "$tmp" "$tmp/calib" "$tmp/out" | grep -q '\.tmp'; then bad "$what: temporary file left"; return; fi
  ok "$what"
}

refused "quantize --save-calib onto the model" "${q[@]}" --save-calib "$tmp/m.onnx" -o "$tmp/out/q.onnx"
ln -s m.onnx "$tmp/link.onnx"
refused "quantize --save-calib onto a symlink to the model" "${q[@]}" --save-calib "$tmp/link.onnx" -o "$tmp/out/q.onnx"
ln "$tmp/m.onnx" "$tmp/hard.onnx"
refused "quantize --save-calib onto a hard link to the model" "${q[@]}" --save-calib "$tmp/hard.onnx" -o "$tmp/out/q.onnx"
refused "quantize --save-calib onto a calibration sample" "${q[@]}" --save-calib "$tmp/calib/sample_001.npy" -o "$tmp/out/q.onnx"
refused "quantize -o onto a calibration sample" "${q[@]}" -o "$tmp/calib/sample_000.npy"
refused "quantize -o onto the model by another spelling" "${q[@]}" -o "$tmp/calib/../m.onnx"
"${q[@]}" --save-calib "$tmp/out/c.calib" -o "$tmp/out/q0.onnx" >/dev/null 2>&1 || bad "quantize --save-calib exits 0"
refused "quantize -o onto the loaded calibration state" "$onnxq" quantize "$tmp/m.onnx" \
  --load-calib "$tmp/out/c.calib" -o "$tmp/out/c.calib"
ln "$tmp/m.onnx" "$tmp/out/net_weights.c"
refused "compile --emit-c over a hard link to the model" "$onnxq" compile "$tmp/m.onnx" \
  --calib "$tmp/calib" --emit-c "$tmp/out" --name net
rm -f "$tmp/out/net_weights.c"
ln "$tmp/calib/sample_000.npy" "$tmp/out/logits.npy"
refused "run --output over a hard link to the input" "$onnxq" run "$tmp/m.onnx" \
  --input "input=$tmp/calib/sample_000.npy" --output "$tmp/out"
rm -f "$tmp/out/logits.npy"
if "$onnxq" help report 2>&1 | grep -q -- '--json'; then
  refused "report --json onto a calibration sample" "$onnxq" report "$tmp/m.onnx" \
    --calib "$tmp/calib" --json "$tmp/calib/sample_001.npy"
fi

# a symlink planted at TARGET.tmp (the old fixed temporary name) is never followed
ln -s "$tmp/victim" "$tmp/out/s.calib.tmp"
ln -s "$tmp/victim" "$tmp/out/s.onnx.tmp"
if "${q[@]}" --save-calib "$tmp/out/s.calib" -o "$tmp/out/s.onnx" >"$tmp/log" 2>&1; then
  if [ "$(sums)" = "$before" ] && [ -f "$tmp/out/s.calib" ] && [ ! -L "$tmp/out/s.calib" ] &&
     [ -f "$tmp/out/s.onnx" ] && [ "$(readlink "$tmp/out/s.calib.tmp")" = "$tmp/victim" ]; then
    ok "planted TARGET.tmp symlinks: victim untouched, outputs written"
  else
    bad "planted TARGET.tmp symlinks: victim or outputs wrong"
  fi
else
  bad "quantize with planted symlinks exits 0"; cat "$tmp/log"
fi
n=$(ls -a "$tmp/out" | grep -c '\.[0-9a-f]\{16\}\.tmp$' || true)
[ "$n" = 0 ] && ok "no temporary file left" || bad "$n temporary files left"
exit $fail
