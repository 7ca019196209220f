#!/bin/sh
# Builds the libFuzzer importer target with clang (ASan + UBSan, UB is fatal) in its own build dir
# and fuzzes for SECONDS (default 60) from a seed corpus of the ONNX conformance models plus
# tests/fuzz/regressions/. Exits non-zero on a crash; the crashing input is left in
# $BUILD/fuzz-artifacts/ (copy it to tests/fuzz/regressions/ once fixed).
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
ninja -C "$bdir" tests/fuzz/fuzz_import >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT INT TERM
i=0
for f in "$data"/*/*/model.onnx "$root"/tests/fuzz/regressions/*; do
    [ -f "$f" ] || continue
    cp "$f" "$corpus/seed_$i"
    i=$((i + 1))
done
mkdir -p "$bdir/fuzz-artifacts"
echo "fuzzing the importer for ${secs}s from $i seeds"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
"$bdir/tests/fuzz/fuzz_import" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=262144 -dict="$root/tests/fuzz/onnx.dict" -print_final_stats=1 -artifact_prefix="$bdir/fuzz-artifacts/" "$corpus" \
    2>"$bdir/fuzz.log" || { tail -60 "$bdir/fuzz.log"; echo "fuzz: crash (see $bdir/fuzz-artifacts/)"; exit 1; }
grep -E "stat::number_of_executed_units|cov:" "$bdir/fuzz.log" | tail -2
echo "fuzz: clean"
