#!/bin/sh
# static_archive.sh OUT.a IN.a OBJCOPY AR CC...: writes OUT.a holding one object, IN.a's objects
# linked together (cc -r), with every hidden-visibility symbol made local: only the ONNXQ_API
# functions of onnxq.h stay global. Used by lib/meson.build for the installed libonnxq.a.
set -eu
out=$1 in=$2 objcopy=$3 ar=$4
shift 4
obj="${out%.a}.o"
"$@" -r -nostdlib -Wl,--whole-archive "$in" -Wl,--no-whole-archive -o "$obj"
"$objcopy" --localize-hidden "$obj"
rm -f "$out"
"$ar" rcs "$out" "$obj"
rm -f "$obj"
