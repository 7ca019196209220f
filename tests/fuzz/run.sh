#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, UB is fatal) in their own build dir and
# fuzzes each from its corpus kept in the repository (tests/fuzz/corpus/<target>/) plus seeds
# made here:
#   fuzz_import  importer + shape inference (the ONNX conformance models, tests/fuzz/regressions/)
#   fuzz_tensor  the .npy/.pb tensor readers (conformance test-data tensors, tests/frontend/data)
#   fuzz_calib   the calibration-state reader (--load-calib; a state saved for the Fashion CNN)
#   fuzz_main    the .npy reader of the emitted NAME_main (calibration samples as seeds)
#   fuzz_run     the checks of the emitted NAME_run/_run_q (workspace size, alignment, NULLs)
# Short run (CI): the importer for SECONDS (default 60), each other target for an eighth of it;
# the repository's corpus is read, not changed. --campaign SECONDS: all targets, the time split
# among them (the importer two shares, the others one), then each corpus is minimised with
# libFuzzer -merge=1 back into tests/fuzz/corpus/<target>/ (inputs of at most 4 KiB) and the
# executions and CPU seconds per target are printed. Exits non-zero on a crash; the input is
# left in $BUILD/fuzz-artifacts/ (keep it in tests/fuzz/regressions/ once fixed).
# Usage: tests/fuzz/run.sh [SECONDS] | --campaign SECONDS   (env: OQ_FUZZ_BUILD=dir, default build-fuzz)
set -euo pipefail
campaign=0
if [ "${1:-}" = --campaign ]; then
    campaign=1
    shift
    [ $# -eq 1 ] || { echo "usage: $0 [SECONDS] | --campaign SECONDS" >&2; exit 2; }
fi
secs=${1:-60}
case $secs in ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=${OQ_FUZZ_BUILD:-$root/build-fuzz}
data=/usr/share/libonnx-testdata/data
targets="fuzz_import fuzz_tensor fuzz_calib fuzz_main fuzz_run"
if [ ! -f "$bdir/build.ninja" ]; then
    CC=clang meson setup "$bdir" "$root" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debugoptimized \
        -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null
fi
ninja -C "$bdir" $(for t in $targets; do echo "tests/fuzz/$t"; done) cli/onnxq >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for t in $targets; do
    mkdir "$tmp/$t"
    if [ -d "$root/tests/fuzz/corpus/$t" ]; then
        find "$root/tests/fuzz/corpus/$t" -maxdepth 1 -type f -exec cp {} "$tmp/$t/" \;
    fi
done

# seeds made here
ASAN_OPTIONS=detect_leaks=0 "$bdir/cli/onnxq" quantize "$root/examples/fashion_cnn.onnx" \
    --calib "$root/examples/calib" --calib-limit 4 --save-calib "$tmp/fuzz_calib/seed" \
    -o "$tmp/seed.onnx" >/dev/null 2>&1 || { echo "fuzz: cannot make the calibration seed"; exit 1; }
for f in "$root"/tests/fuzz/regressions/calib_*; do
    if [ -f "$f" ]; then cp "$f" "$tmp/fuzz_calib/"; fi
done
i=0
for f in "$data"/*/*/model.onnx "$root"/tests/fuzz/regressions/[!t]*; do
    [ -f "$f" ] || continue
    cp "$f" "$tmp/fuzz_import/seed_$i"
    i=$((i + 1))
done
j=0
for f in "$data"/node/test_[a-c]*/test_data_set_0/input_0.pb; do
    [ -f "$f" ] || continue
    { printf '\001'; cat "$f"; } > "$tmp/fuzz_tensor/pb_$j"
    j=$((j + 1))
done
for f in "$root"/tests/fuzz/regressions/tensor_*; do
    if [ -f "$f" ]; then cp "$f" "$tmp/fuzz_tensor/"; fi
done
for f in "$root"/tests/frontend/data/*.npy; do
    [ -f "$f" ] || continue
    { printf '\000'; cat "$f"; } > "$tmp/fuzz_tensor/npy_$j"
    cp "$f" "$tmp/fuzz_main/npy_$j"
    j=$((j + 1))
done
k=0
for f in "$root"/examples/calib/sample_00[0-3].npy; do
    cp "$f" "$tmp/fuzz_main/sample_$k"
    for fl in 0 1 2 32 33; do    # flags: (enough, short, misaligned workspace) x (run, run_q)
        { printf "\\$(printf %03o "$fl")\\020\\005"; tail -c 3136 "$f"; } > "$tmp/fuzz_run/s${k}_$fl"
    done
    k=$((k + 1))
done

mkdir -p "$bdir/fuzz-artifacts"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
# run TARGET SECONDS EXTRA...: one libFuzzer session over $tmp/TARGET, log in $bdir/TARGET.log;
# prints the executions and the CPU seconds it used
run() {
    local t=$1 s=$2
    shift 2
    echo "fuzz: $t for ${s}s from $(ls "$tmp/$t" | wc -l) inputs"
    if ! /usr/bin/time -f '%U %S' -o "$tmp/$t.time" "$bdir/tests/fuzz/$t" -max_total_time="$s" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$bdir/fuzz-artifacts/" "$@" "$tmp/$t" 2>"$bdir/$t.log"; then
        tail -60 "$bdir/$t.log"
        echo "fuzz: $t crashed (see $bdir/fuzz-artifacts/)"
        exit 1
    fi
    local ex
    ex=$(sed -n 's/^stat::number_of_executed_units: *//p' "$bdir/$t.log" | tail -1)
    echo "fuzz: $t: ${ex:-?} executions, $(awk '{ printf "%.1f", $1 + $2 }' "$tmp/$t.time") CPU seconds"
}
# merge TARGET: the inputs of at most 4 KiB in $tmp/TARGET, minimised (-merge=1), become
# tests/fuzz/corpus/TARGET/
merge() {
    local t=$1 dst=$root/tests/fuzz/corpus/$1
    mkdir -p "$tmp/$t.small" "$tmp/$t.min" "$dst"
    find "$tmp/$t" -maxdepth 1 -type f -size -4097c -exec cp {} "$tmp/$t.small/" \;
    "$bdir/tests/fuzz/$t" -merge=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        "$tmp/$t.min" "$tmp/$t.small" >>"$bdir/$t.log" 2>&1 ||
        { echo "fuzz: merging $t failed (see $bdir/$t.log)"; exit 1; }
    find "$dst" -maxdepth 1 -type f -delete
    find "$tmp/$t.min" -maxdepth 1 -type f -exec cp {} "$dst/" \;
    echo "fuzz: $t: corpus $(ls "$dst" | wc -l) inputs in tests/fuzz/corpus/$t"
}
if [ "$campaign" = 1 ]; then
    share=$((secs / 6))
    [ "$share" -ge 1 ] || share=1
else
    share=$(((secs + 7) / 8))
fi
[ "$campaign" = 1 ] && isecs=$((2 * share)) || isecs=$secs
run fuzz_import "$isecs" -max_len=262144 -dict="$root/tests/fuzz/onnx.dict"
run fuzz_tensor "$share" -max_len=262144
run fuzz_calib "$share" -max_len=300000
run fuzz_main "$share" -max_len=8192
run fuzz_run "$share" -max_len=4096
if [ "$campaign" = 1 ]; then
    for t in $targets; do merge "$t"; done
fi
echo "fuzz: clean"
