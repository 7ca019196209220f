#!/bin/sh
# run_aarch64_eltwise.sh: cross-builds the element-wise kernel cases (xtest_eltwise.c, no
# Criterion) for aarch64 and runs them under qemu-user: uncapped and with ONNXQ_ISA=scalar on
# `-cpu max`, then on `-cpu cortex-a57`. Skips cleanly (exit 0) when the cross compiler or qemu
# is missing. Usage: tests/kernels/run_aarch64_eltwise.sh [build_dir]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-"$root/build-aarch64-eltwise"}
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
    -o "$out/xtest_eltwise" "$root/tests/kernels/xtest_eltwise.c" "$root/runtime/cpu.c" \
    "$q8/pack.c" "$q8/config.c" "$q8/gemm.c" "$q8/conv.c" "$q8/dwconv.c" "$q8/quant.c" \
    "$q8/eltwise.c" "$q8/pool.c" "$q8/resize.c" "$q8/lut.c" "$q8/transpose.c" \
    "$q8/qu8-gemm/scalar.c" "$q8/qu8-gemm/neon.c" "$q8/qu8-dwconv/scalar.c" \
    "$q8/qu8-dwconv/neon.c" "$q8/qu8-eltwise/scalar.c" "$q8/qu8-eltwise/select.c" \
    "$q8/qu8-eltwise/neon.c" -lm -lpthread
status=0
echo "== qemu -cpu max"
"$QEMU" -L "$SYSROOT" -cpu max "$out/xtest_eltwise" || status=1
echo "== ONNXQ_ISA=scalar (qemu -cpu max)"
ONNXQ_ISA=scalar "$QEMU" -L "$SYSROOT" -cpu max "$out/xtest_eltwise" || status=1
echo "== qemu -cpu cortex-a57"
"$QEMU" -L "$SYSROOT" -cpu cortex-a57 "$out/xtest_eltwise" || status=1
exit $status
