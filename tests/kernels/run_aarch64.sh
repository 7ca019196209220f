#!/bin/sh
# run_aarch64.sh: cross-builds the q8 kernel tests for aarch64 (a plain gcc command line, no
# Criterion: tests/kernels/xtest.c) and runs them under qemu-user, once per ISA level
# (ONNXQ_ISA=i8mm, neondot, neon, scalar under `-cpu max`, which has dotprod and i8mm; then
# uncapped on `-cpu cortex-a57`, which has neither). Skips cleanly (exit 0) when
# the cross compiler or qemu is missing. Usage: tests/kernels/run_aarch64.sh [build_dir]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-"$root/build-aarch64-q8"}
CC=${CC_AARCH64:-aarch64-linux-gnu-gcc}
QEMU=${QEMU_AARCH64:-qemu-aarch64}
SYSROOT=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "SKIP: cross compiler $CC not found"; exit 0
fi
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "SKIP: $QEMU not found"; exit 0
fi
mkdir -p "$out"
q8="$root/runtime/q8"
"$CC" -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -D_GNU_SOURCE -I"$root" \
    -o "$out/xtest" "$root/tests/kernels/xtest.c" "$root/runtime/cpu.c" \
    "$q8/pack.c" "$q8/config.c" "$q8/gemm.c" "$q8/conv.c" "$q8/dwconv.c" "$q8/quant.c" \
    "$q8/eltwise.c" "$q8/pool.c" "$q8/resize.c" "$q8/lut.c" "$q8/transpose.c" \
    "$q8/qu8-gemm/scalar.c" "$q8/qu8-gemm/neon.c" "$q8/qu8-dwconv/scalar.c" \
    "$q8/qu8-dwconv/neon.c" "$q8/qu8-eltwise/scalar.c" "$q8/qu8-eltwise/select.c" \
    "$q8/qu8-eltwise/neon.c" -lm -lpthread
status=0
for isa in i8mm neondot neon scalar; do
    echo "== ONNXQ_ISA=$isa (qemu -cpu max)"
    ONNXQ_ISA=$isa "$QEMU" -L "$SYSROOT" -cpu max "$out/xtest" || status=1
done
# real feature detection (no cap): an ARMv8.0 core has neither dotprod nor i8mm
echo "== qemu -cpu cortex-a57 (detection: plain NEON)"
"$QEMU" -L "$SYSROOT" -cpu cortex-a57 "$out/xtest" || status=1
exit $status
