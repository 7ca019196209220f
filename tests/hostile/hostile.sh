#!/usr/bin/env bash
# Hostile input through every CLI command: each case runs onnxq on a bad model, bad data or a bad
# option and checks the documented exit status (1 model/data error, 2 usage error), one message
# that names the file (and the node/op where there is one), no crash or hang (a timeout), no
# file left behind in the output folder, and every input unchanged (hash before/after); then the
# example program NAME_main that onnxq compile emits, on bad input files.
# Under the ASan+UBSan build the same cases catch memory errors and undefined behaviour.
# usage: hostile.sh ONNXQ SOURCE_ROOT        (exit 77 = skipped: no /usr/bin/python3 with onnx)
set -uo pipefail
onnxq=$1
root=$2
/usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
c=$tmp/corpus
/usr/bin/python3 "$root/tests/hostile/make_corpus.py" "$c" || { echo "FAIL corpus"; exit 1; }
mkfifo "$c/fifo.onnx" "$c/fifo.npy"
# a custom-op library (exports nothing onnxq calls): an input like the model
printf 'int onnxq_hostile_plugin;\n' > "$tmp/plugin.c"
command cc -shared -fPIC -o "$c/plugin.so" "$tmp/plugin.c" || { echo "FAIL cc -shared"; exit 1; }
# a valid calibration state, then the same with min above max in its first record
"$onnxq" quantize "$c/good.onnx" --calib "$c/calib" --save-calib "$c/good.calib" -o "$tmp/g.onnx" \
  >/dev/null 2>&1 || { echo "FAIL --save-calib on the good model"; exit 1; }
/usr/bin/python3 - "$c/good.calib" "$c/minmax.calib" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
ln = struct.unpack_from("<I", b, 16)[0]
at = 20 + ln + 8                     # after magic, count, samples, name length, name, nobs
struct.pack_into("<ff", b, at, 5.0, -5.0)
open(sys.argv[2], "wb").write(b)
PY
out=$tmp/out
mkdir -p "$out"
fail=0 n=0
snap() { (cd "$c" && find . -type f -print0 | sort -z | xargs -0 sha256sum) }

# expect RC WORDS... -- ARGS... : onnxq ARGS must exit RC, its stderr must contain every WORD
expect() {
  local rc=$1; shift
  local words=()
  while [ "$1" != -- ]; do words+=("$1"); shift; done
  shift
  n=$((n + 1))
  rm -rf "${out:?}"/* "$out"/.[!.]* 2>/dev/null
  local before; before=$(snap)
  timeout 60 "$onnxq" "$@" >"$tmp/so" 2>"$tmp/se" </dev/null
  local got=$?
  local what="onnxq $*"
  what=${what//$c\//}
  what=${what//$out\//out/}
  if [ "$got" != "$rc" ]; then
    echo "FAIL [$what]: exit $got, want $rc"; sed 's/^/     /' "$tmp/se" | head -5; fail=1; return
  fi
  for w in "${words[@]}"; do
    if ! grep -qF -- "$w" "$tmp/se"; then
      echo "FAIL [$what]: message lacks '$w':"; sed 's/^/     /' "$tmp/se" | head -5; fail=1; return
    fi
  done
  if grep -qE 'AddressSanitizer|runtime error|Segmentation|Assertion' "$tmp/se"; then
    echo "FAIL [$what]: sanitizer or assertion report"; head -5 "$tmp/se"; fail=1; return
  fi
  if [ "$(snap)" != "$before" ]; then echo "FAIL [$what]: an input changed"; fail=1; return; fi
  if [ "$rc" != 0 ] && [ -n "$(ls -A "$out")" ]; then
    echo "FAIL [$what]: left files behind: $(ls -A "$out" | head -3 | tr '\n' ' ')"; fail=1
    rm -rf "${out:?}"/* "$out"/.[!.]* 2>/dev/null; return
  fi
  echo "ok   [$what] -> $rc"
}

q() { echo quantize "$1" --calib "$c/calib" -o "$out/q.onnx"; }
cc() { echo compile "$1" --calib "$c/calib" --emit-c "$out/c"; }

# Broken model files: every command names the file.
for m in truncated.onnx empty.onnx garbage.onnx missing.onnx fifo.onnx; do
  expect 1 "$m" -- inspect "$c/$m"
  expect 1 "$m" -- run "$c/$m" --input "x=$c/x.npy" --output "$out/r"
  expect 1 "$m" -- quantize "$c/$m" --calib "$c/calib" -o "$out/q.onnx"
  expect 1 "$m" -- compile "$c/$m" --calib "$c/calib" --emit-c "$out/c"
  expect 1 "$m" -- report "$c/$m" --calib "$c/calib" -o "$out/r.html"
done

# Non-finite constants are refused with node and tensor named (they would quantize to 0 / 127).
expect 1 nan_weight.onnx conv0 Conv "'w'" NaN -- $(q "$c/nan_weight.onnx")
expect 1 nan_weight.onnx conv0 Conv "'w'" NaN -- $(cc "$c/nan_weight.onnx")
expect 1 inf_bias.onnx conv0 "'b'" infinity -- $(q "$c/inf_bias.onnx")
expect 1 nan_gemm.onnx fc0 Gemm NaN -- quantize "$c/nan_gemm.onnx" --mode dynamic -o "$out/q.onnx"
expect 1 nan_gemm.onnx fc0 Gemm NaN -- $(q "$c/nan_gemm.onnx")

# Attributes that are of the wrong type or contradict the inputs: every command names the
# file, node, op and attribute.
for m in kernel_vs_weight:kernel_shape float_kernel:kernel_shape string_strides:strides \
         bad_group:group; do
  f=${m%%:*}.onnx a="'${m#*:}'"
  expect 1 "$f" conv0 Conv "$a" -- inspect "$c/$f"
  expect 1 "$f" conv0 Conv "$a" -- run "$c/$f" --input "x=$c/x.npy" --output "$out/r"
  expect 1 "$f" conv0 Conv "$a" -- $(q "$c/$f")
  expect 1 "$f" conv0 Conv "$a" -- $(cc "$c/$f")
  expect 1 "$f" conv0 Conv "$a" -- report "$c/$f" --calib "$c/calib" -o "$out/r.html"
done

# Bad calibration data.
expect 1 calib_nan -- quantize "$c/good.onnx" --calib "$c/calib_nan" -o "$out/q.onnx"
expect 1 b.npy -- quantize "$c/good.onnx" --calib "$c/calib_rank" -o "$out/q.onnx"
expect 1 fifo.npy -- quantize "$c/good.onnx" --calib "$c/fifo.npy" -o "$out/q.onnx"
expect 1 x_wrong.npy -- run "$c/good.onnx" --input "x=$c/x_wrong.npy" --output "$out/r"

expect 1 e28.npy "no samples" -- eval "$root/examples/fashion_cnn.onnx" --data "$c/e28.npy" --labels "$c/empty_y.npy"
expect 1 fifo.npy "not a regular file" -- quantize "$c/good.onnx" --load-calib "$c/fifo.npy" -o "$out/q.onnx"
expect 1 x.npy "not an onnxq calibration file" -- quantize "$c/good.onnx" --load-calib "$c/x.npy" -o "$out/q.onnx"

expect 1 minmax.calib "corrupt calibration state" -- quantize "$c/good.onnx" --load-calib "$c/minmax.calib" -o "$out/q.onnx"
expect 1 dup_key.npy "repeats the key 'shape'" -- run "$c/good.onnx" --input "x=$c/dup_key.npy" --output "$out/r"

# A model without inputs has nothing to calibrate: a model error.
expect 1 "no inputs" -- quantize "$c/no_inputs.onnx" --calib "$c/calib" -o "$out/q.onnx"
expect 1 "no inputs" -- compile "$c/no_inputs.onnx" --calib "$c/calib" --emit-c "$out/c"

# Bad option values and outputs onto inputs are usage errors.
expect 2 "refusing to overwrite the input" -- quantize "$c/good.onnx" --calib "$c/calib" -o "$c/good.onnx"
expect 2 "refusing to overwrite the input" -- quantize "$c/good.onnx" --calib "$c/calib" --save-calib "$c/good.onnx" -o "$out/q.onnx"
expect 2 "refusing to overwrite the input" plugin.so -- quantize "$c/good.onnx" --calib "$c/calib" --custom-op-lib "$c/plugin.so" -o "$c/plugin.so"
expect 2 "refusing to overwrite the input" plugin.so -- quantize "$c/good.onnx" --calib "$c/calib" --custom-op-lib "$c/plugin.so" -o "$c/../corpus/plugin.so"
expect 2 "refusing to overwrite the input" plugin.so -- quantize "$c/good.onnx" --custom-op-lib "$c/plugin.so" --calib "$c/calib" --save-calib "$c/plugin.so" -o "$out/q.onnx"
expect 2 "no output path" -- quantize "$c/good.onnx" --calib "$c/calib" -o ""
expect 2 "--target 'bogus'" -- compile "$c/good.onnx" --calib "$c/calib" --emit-c "$out/c" --target bogus
expect 2 --override inf -- quantize "$c/good.onnx" --calib "$c/calib" --override x=inf:0 -o "$out/q.onnx"
expect 2 --override -- quantize "$c/good.onnx" --calib "$c/calib" --override x=1e-45:0 -o "$out/q.onnx"
expect 2 --override -- quantize "$c/good.onnx" --calib "$c/calib" --override x=nan:0 -o "$out/q.onnx"
expect 2 --calib-limit -- quantize "$c/good.onnx" --calib "$c/calib" --calib-limit 4294967297 -o "$out/q.onnx"
expect 2 --calib-limit -- quantize "$c/good.onnx" --calib "$c/calib" --calib-limit 12abc -o "$out/q.onnx"

# The good model passes through every command (the harness itself is checked).
expect 0 -- inspect "$c/good.onnx"
expect 0 -- quantize "$c/good.onnx" --calib "$c/calib" -o "$out/q.onnx"
for m in slice_step_min.onnx slice_step_max.onnx; do
  expect 0 -- run "$c/$m" --input "x=$c/x.npy" --output "$out/r"
  expect 0 -- compile "$c/$m" --calib "$c/calib" --emit-c "$out/c"
done
# Outputs 'a/b' and 'a_b' must not share one file.
n=$((n + 1))
rm -rf "${out:?}"/*
if "$onnxq" run "$c/two_outputs.onnx" --input "x=$c/x.npy" --output "$out/r" >/dev/null 2>&1 &&
   [ "$(ls "$out/r" | wc -l)" = 2 ]; then echo "ok   [run: outputs a/b and a_b -> $(ls "$out/r" | tr '\n' ' ')]"
else echo "FAIL [run: outputs a/b and a_b]: $(ls "$out/r" 2>&1 | tr '\n' ' ')"; fail=1; fi
rm -rf "${out:?}"/*

# onnxq compile into a folder: a compile that fails midway (a file size limit stops the weights)
# leaves the previous output and the user's own file as they were, and no staging folder; the
# next compile (another model and name) keeps the user's file and drops the old model's files;
# files of two compiles refuse to build together.
ed=$tmp/emit
"$onnxq" compile "$c/good.onnx" --calib "$c/calib" --emit-c "$ed" --name net >/dev/null 2>&1 ||
  { echo "FAIL compile good.onnx into $ed"; fail=1; }
echo "my notes" > "$ed/notes.txt"
esnap() { (cd "$ed" && find . -type f -print0 | sort -z | xargs -0 sha256sum) }
before=$(esnap)
n=$((n + 1))
(trap '' XFSZ; ulimit -f 48; exec "$onnxq" compile "$root/examples/fashion_mlp.onnx" \
  --calib "$root/examples/calib" --calib-limit 2 --emit-c "$ed" --name net) >/dev/null 2>"$tmp/se"
got=$?
if [ "$got" = 0 ]; then echo "FAIL [compile stopped midway]: exit 0"; fail=1
elif [ "$(esnap)" != "$before" ]; then echo "FAIL [compile stopped midway]: the folder changed"; fail=1
elif ls -d "$ed".*.tmp >/dev/null 2>&1; then echo "FAIL [compile stopped midway]: staging folder left"; fail=1
else echo "ok   [compile stopped midway -> $got: previous output unchanged]"; fi
n=$((n + 1))
"$onnxq" compile "$root/examples/fashion_mlp.onnx" --calib "$root/examples/calib" --calib-limit 2 \
  --emit-c "$ed" --name mlp >/dev/null 2>&1
if [ $? != 0 ] || [ ! -f "$ed/mlp.c" ] || [ -e "$ed/net.c" ] || [ -e "$ed/net_weights.c" ] ||
   [ "$(cat "$ed/notes.txt" 2>/dev/null)" != "my notes" ]; then
  echo "FAIL [compile over a previous one]: $(ls "$ed" | tr '\n' ' ')"; fail=1
else echo "ok   [compile over a previous one: old model's files gone, notes.txt kept]"; fi
"$onnxq" compile "$c/good.onnx" --calib "$c/calib" --emit-c "$tmp/emit2" --name mlp >/dev/null 2>&1
mx=$tmp/mixed
cp -r "$ed" "$mx" && cp "$tmp/emit2/mlp.h" "$mx/mlp.h"
n=$((n + 1))
if (cd "$ed" && command cc -std=c99 -c mlp_weights.c -o /dev/null) >/dev/null 2>&1; then
  echo "ok   [mlp_weights.c with its own mlp.h: builds]"
else echo "FAIL [mlp_weights.c with its own mlp.h]: does not build"; fail=1; fi
for f in mlp.c mlp_weights.c mlp_main.c; do
  n=$((n + 1))
  if (cd "$mx" && command cc -std=c99 -c "$f" -o /dev/null) >/dev/null 2>"$tmp/se"; then
    echo "FAIL [$f of one compile with mlp.h of another]: builds"; fail=1
  elif ! grep -q "different onnxq compiles" "$tmp/se"; then
    echo "FAIL [$f with another mlp.h]: message"; head -3 "$tmp/se"; fail=1
  else echo "ok   [$f with mlp.h of another compile: refused]"; fi
done
expect 2 "not a directory" -- compile "$c/good.onnx" --calib "$c/calib" --emit-c "$c/x.npy"

# The emitted example program NAME_main on bad input files: exit 1 (2 for usage) and a message
# naming the file, never a hang (FIFO), a division by zero (no samples) or a read past the data;
# built with ASan+UBSan when the C compiler has them.
mc=$tmp/main_c
if "$onnxq" compile "$c/good.onnx" --calib "$c/calib" --emit-c "$mc" --name good >/dev/null 2>&1; then
  rts=$(cd "$mc" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
  build_main() { (cd "$mc" && command cc -std=c99 -O1 -g "$@" -o good_main good.c good_weights.c good_main.c $rts -lpthread -lm) >/dev/null 2>&1; }
  build_main -fsanitize=address,undefined -fno-sanitize-recover=all || build_main ||
    { echo "FAIL the emitted good_main does not build"; fail=1; }
else
  echo "FAIL compile good.onnx for the NAME_main cases"; fail=1
fi
# expect_main RC WORDS... -- ARGS...: good_main ARGS exits RC with every WORD on stderr
expect_main() {
  local rc=$1; shift
  local words=()
  while [ "$1" != -- ]; do words+=("$1"); shift; done
  shift
  n=$((n + 1))
  local what="good_main $*"
  what=${what//$c\//}
  what=${what//$tmp\//}
  ASAN_OPTIONS=detect_leaks=0 timeout 20 "$mc/good_main" "$@" >"$tmp/so" 2>"$tmp/se" </dev/null
  local got=$?
  if [ "$got" != "$rc" ]; then
    echo "FAIL [$what]: exit $got, want $rc"; sed 's/^/     /' "$tmp/se" | head -5; fail=1; return
  fi
  for w in "${words[@]}"; do
    if ! grep -qF -- "$w" "$tmp/se"; then
      echo "FAIL [$what]: message lacks '$w':"; sed 's/^/     /' "$tmp/se" | head -5; fail=1; return
    fi
  done
  if grep -qE 'AddressSanitizer|runtime error' "$tmp/se"; then
    echo "FAIL [$what]: sanitizer report"; head -5 "$tmp/se"; fail=1; return
  fi
  echo "ok   [$what] -> $rc"
}
if [ -x "$mc/good_main" ] || { echo "FAIL no good_main to run"; fail=1; false; }; then
  o=$tmp/main_out.npy
  expect_main 0 -- "$c/x.npy" "$o"
  expect_main 0 -- "$c/npy_odd.npy" "$o"
  expect_main 0 -- "$c/npy_v2.npy" "$o"
  expect_main 1 fifo.npy "not a regular file" -- "$c/fifo.npy" "$o"
  expect_main 1 "$c" "not a regular file" -- "$c" "$o"
  expect_main 1 empty_x.npy "no samples" -- "$c/empty_x.npy" "$o"
  expect_main 1 empty.onnx "empty file" -- "$c/empty.onnx" "$o"
  expect_main 1 garbage.onnx "not a .npy file" -- "$c/garbage.onnx" "$o"
  expect_main 1 npy_trunc.npy "shorter than its shape" -- "$c/npy_trunc.npy" "$o"
  expect_main 1 npy_hlen.npy "header longer than the file" -- "$c/npy_hlen.npy" "$o"
  expect_main 1 npy_bigshape.npy "shape too large" -- "$c/npy_bigshape.npy" "$o"
  expect_main 1 dup_key.npy "repeats" -- "$c/dup_key.npy" "$o"
  expect_main 1 x100.npy "not a multiple" -- "$c/x100.npy" "$o"
  expect_main 1 y3.npy "one label per sample" -- "$c/x.npy" "$o" --labels "$c/y3.npy"
  expect_main 1 fifo.npy "not a regular file" -- "$c/x.npy" "$o" --labels "$c/fifo.npy"
  expect_main 2 usage -- "$c/x.npy" "$o" --repeat 0
  expect_main 2 usage -- "$c/x.npy"
fi

echo "$n cases"
exit $fail
