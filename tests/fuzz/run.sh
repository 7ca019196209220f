#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan, UB is fatal) in their own build dir and
# fuzzes the importer + shape inference for SECONDS (default 60) from a seed corpus of the ONNX
# conformance models plus tests/fuzz/regressions/, then the tensor readers (.npy/.pb) for a
# quarter of that from the conformance test-data tensors, and the calibration-state reader
# (--load-calib) for a quarter from a state onnxq saves for the bundled Fashion CNN. Exits non-zero on a crash; the input
# is left in $BUILD/fuzz-artifacts/ (keep it in tests/fuzz/regressions/ once fixed).
# Usage: tests/fuzz/run.sh [SECONDS]   (env: OQ_FUZZ_BUILD=dir, default build-fuzz)
set -eu
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${OQ_FUZZ_BUILD:-$root/build-fuzz}
data=/usr/share/libonnx-testdata/data
if [ ! -f "$bdir/build.ninja" ]; then
    CC=clang meson setup "$bdir" "$root" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debugoptimized \
        -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null
fi
ninja -C "$bdir" tests/fuzz/fuzz_import tests/fuzz/fuzz_tensor tests/fuzz/fuzz_calib cli/onnxq >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT INT TERM
mkdir "$corpus/model" "$corpus/tensor" "$corpus/calib"
ASAN_OPTIONS=detect_leaks=0 "$bdir/cli/onnxq" quantize "$root/examples/fashion_cnn.onnx" \
    --calib "$root/examples/calib" --calib-limit 4 --save-calib "$corpus/calib/seed" \
    -o "$corpus/seed.onnx" >/dev/null 2>&1 || { echo "fuzz: cannot make the calibration seed"; exit 1; }
for f in "$root"/tests/fuzz/regressions/calib_*; do
    if [ -f "$f" ]; then cp "$f" "$corpus/calib/"; fi
done
i=0
for f in "$data"/*/*/model.onnx "$root"/tests/fuzz/regressions/[!t]*; do
    [ -f "$f" ] || continue
    cp "$f" "$corpus/model/seed_$i"
    i=$((i + 1))
done
j=0
for f in "$data"/node/test_[a-c]*/test_data_set_0/input_0.pb; do
    [ -f "$f" ] || continue
    { printf '\001'; cat "$f"; } > "$corpus/tensor/pb_$j"
    j=$((j + 1))
done
for f in "$root"/tests/fuzz/regressions/tensor_*; do
    if [ -f "$f" ]; then cp "$f" "$corpus/tensor/"; fi
done
for f in "$root"/tests/frontend/data/*.npy; do
    [ -f "$f" ] || continue
    { printf '\000'; cat "$f"; } > "$corpus/tensor/npy_$j"
    j=$((j + 1))
done
mkdir -p "$bdir/fuzz-artifacts"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
# run TARGET SECONDS CORPUS EXTRA...: one libFuzzer session, log in $bdir/TARGET.log
run() {
    t=$1 s=$2 c=$3
    shift 3
    echo "fuzz: $t for ${s}s from $(ls "$c" | wc -l) seeds"
    "$bdir/tests/fuzz/$t" -max_total_time="$s" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        -print_final_stats=1 -artifact_prefix="$bdir/fuzz-artifacts/" "$@" "$c" \
        2>"$bdir/$t.log" || { tail -60 "$bdir/$t.log"; echo "fuzz: $t crashed (see $bdir/fuzz-artifacts/)"; exit 1; }
    grep -E "stat::number_of_executed_units" "$bdir/$t.log" | tail -1
}
run fuzz_import "$secs" "$corpus/model" -dict="$root/tests/fuzz/onnx.dict"
run fuzz_tensor "$(( (secs + 3) / 4 ))" "$corpus/tensor"
run fuzz_calib "$(( (secs + 3) / 4 ))" "$corpus/calib" -max_len=300000
echo "fuzz: clean"
