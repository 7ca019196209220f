#!/usr/bin/env bash
# The installed package, used from outside the source tree as a user would: installs onnxq into
# a temporary prefix, then
#  - checks the files (one public header, libonnxq.so with its SONAME and only the onnxq.h
#    functions exported, libonnxq.a with only those global, onnxq.pc, the CMake package) and
#    that the installed header compiles as C99 and as C++ with -Wall -Wextra -Wpedantic -Werror;
#  - `onnxq --version` equals the library's version and pkg-config's;
#  - examples/api/quantize_eval.c, built with `pkg-config --cflags --libs onnxq` (shared) and
#    against libonnxq.a (static), writes the same int8 model as `onnxq quantize` and reports the
#    same top-1 as `onnxq eval` on it (the shared build over the 10,000 Fashion-MNIST test
#    images, the others over the 100 bundled ones);
#  - examples/classify, built with CMake (find_package + onnxq_add_model) and with Meson (the
#    README's snippet), compiles the model at build time and its C gives the same top-1 as
#    `onnxq eval` on the lowered int8 model over the 10,000 Fashion-MNIST test images
#    (--format int, which the emitted C equals bit for bit); touching a calibration file makes the next build compile the model again;
#  - the installed Python package (python/onnxq), which finds the installed libonnxq by itself,
#    runs python/tests, when /usr/bin/python3 has numpy (else a SKIP line says so).
# usage: tests/install/run.sh --fresh            meson setup + install of a new build (-Dtests=false)
#        tests/install/run.sh --build-dir DIR    meson install --destdir of an existing build
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fail=1; }
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 not found (scripts/setup installs it)" >&2; exit 1; }; }
need pkg-config; need cmake; need meson; need ninja; need cc

case ${1:-} in
  --fresh)
    meson setup "$tmp/b" "$src" --prefix="$tmp/p" -Dtests=false -Dwerror=true >/dev/null &&
      ninja -C "$tmp/b" >/dev/null && meson install -C "$tmp/b" --no-rebuild >/dev/null ||
      { echo "FAIL: build or install into $tmp/p" >&2; exit 1; }
    prefix=$tmp/p ;;
  --build-dir)
    meson install -C "$2" --no-rebuild --destdir "$tmp/d" >/dev/null ||
      { echo "FAIL: meson install -C $2 --destdir" >&2; exit 1; }
    prefix=$(find "$tmp/d" -name onnxq.h -path '*/include/*' -printf '%h\n' | head -1)
    prefix=${prefix%/include} ;;
  *) echo "usage: $0 --fresh | --build-dir DIR" >&2; exit 2 ;;
esac
pcfile=$(find "$prefix" -name onnxq.pc | head -1)
[ -n "$pcfile" ] || { echo "FAIL: no onnxq.pc under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pcfile")
libdir=$(pkg-config --variable=libdir onnxq)
onnxq=$(pkg-config --variable=onnxq onnxq)
version=$(pkg-config --modversion onnxq)
ex=$src/examples
data=("$ex/test100_input.npy" "$ex/test100_labels.npy")
# the whole Fashion-MNIST test set (10,000 images) for the C apps, the pkg-config program and
# the references they are held to; the 100 bundled images for the other library programs
full=("$tmp/fm/images.npy" "$tmp/fm/labels.npy")
node "$src/scripts/fashion-npy.js" "$tmp/fm" >/dev/null 2>&1 && [ -f "${full[0]}" ] ||
  { echo "FAIL: the Fashion-MNIST test set (node + dataset-fashion-mnist: scripts/setup)" >&2; exit 1; }

# --- files, exports, header
[ "$(ls "$prefix/include")" = onnxq.h ] && ok "one public header" || bad "include/ holds $(ls "$prefix/include")"
for f in "$libdir/libonnxq.a" "$libdir/libonnxq.so" "$libdir/cmake/onnxq/onnxqConfig.cmake" \
         "$libdir/cmake/onnxq/onnxqConfigVersion.cmake" "$libdir/cmake/onnxq/onnxqAddModel.cmake"; do
  [ -e "$f" ] || bad "missing $f"
done
soname=$(readelf -d "$libdir/libonnxq.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
major=${version%%.*} minor=${version#*.}; minor=${minor%%.*}
want_so=libonnxq.so.$major; [ "$major" = 0 ] && want_so=libonnxq.so.0.$minor
[ "$soname" = "$want_so" ] && ok "SONAME $soname" || bad "SONAME '$soname', want $want_so"
grep -o '^ONNXQ_API [^(]*(' "$prefix/include/onnxq.h" | sed 's/.*[ *]\([a-z_0-9]*\)($/\1/' | sort > "$tmp/api"
nm -D --defined-only "$libdir/libonnxq.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort > "$tmp/exported"
if diff "$tmp/api" "$tmp/exported" >/dev/null && [ -s "$tmp/api" ]; then
  ok "libonnxq.so exports exactly the $(wc -l < "$tmp/api") onnxq.h functions"
else
  bad "exports differ from onnxq.h:"; diff "$tmp/api" "$tmp/exported" | head -20 >&2
fi
nm -g --defined-only "$libdir/libonnxq.a" 2>/dev/null | awk 'NF == 3 {print $3}' | sort > "$tmp/static_globals"
if diff "$tmp/api" "$tmp/static_globals" >/dev/null; then
  ok "libonnxq.a: the onnxq.h functions are its only global symbols"
else
  bad "libonnxq.a global symbols beyond onnxq.h: $(comm -13 "$tmp/api" "$tmp/static_globals" | head -5 | tr '\n' ' ')"
fi
printf '#include <onnxq.h>\nint main(void) { return onnxq_version_number() == ONNXQ_VERSION_NUMBER ? 0 : 1; }\n' > "$tmp/h.c"
cc -std=c99 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags onnxq) -c "$tmp/h.c" -o "$tmp/h.o" &&
  ok "onnxq.h: C99 -Wall -Wextra -Wpedantic -Werror" || bad "onnxq.h does not compile as C99"
if command -v c++ >/dev/null; then
  c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -x c++ $(pkg-config --cflags onnxq) "$tmp/h.c" \
    -o "$tmp/hxx" $(pkg-config --libs onnxq) && LD_LIBRARY_PATH=$libdir "$tmp/hxx" &&
    ok "onnxq.h: C++11 -Werror, links with C linkage" || bad "onnxq.h from C++"
fi

# --- one version
v_cli=$("$onnxq" --version)
[ "$v_cli" = "onnxq $version" ] && ok "onnxq --version: $v_cli" || bad "onnxq --version '$v_cli', pkg-config $version"

# --- references: the installed command
"$onnxq" quantize "$ex/fashion_cnn.onnx" --calib "$ex/calib" --input-shape input=1,1,28,28 \
  -o "$tmp/ref.onnx" >/dev/null 2>&1 || bad "onnxq quantize"
"$onnxq" quantize "$ex/fashion_cnn.onnx" --calib "$ex/calib" --input-shape input=1,1,28,28 \
  --format int -o "$tmp/ref_int.onnx" >/dev/null 2>&1 || bad "onnxq quantize --format int"
top1() { sed -n 's/.*(\([0-9]*\/[0-9]*\)).*/\1/p'; }  # "top-1: 91.00% (91/100) ..." -> 91/100
ref=$("$onnxq" eval "$tmp/ref.onnx" --data "${data[0]}" --labels "${data[1]}" | top1)
ref_int=$("$onnxq" eval "$tmp/ref_int.onnx" --data "${data[0]}" --labels "${data[1]}" | top1)
full_ref=$("$onnxq" eval "$tmp/ref.onnx" --data "${full[0]}" --labels "${full[1]}" | top1)
full_int=$("$onnxq" eval "$tmp/ref_int.onnx" --data "${full[0]}" --labels "${full[1]}" | top1)
[ -n "$ref" ] && [ -n "$ref_int" ] && [ -n "$full_ref" ] && [ -n "$full_int" ] ||
  bad "onnxq eval gave no top-1"
echo "onnxq eval: QDQ model $ref, lowered int8 model $ref_int (100 images); $full_ref, $full_int (test set)"

# --- a program built with pkg-config: shared, then static
if cc -std=c99 -Wall -Wextra -Werror "$ex/api/quantize_eval.c" $(pkg-config --cflags --libs onnxq) \
     -o "$tmp/qe_shared" 2>&1; then
  got=$(LD_LIBRARY_PATH=$libdir "$tmp/qe_shared" "$ex/fashion_cnn.onnx" "$ex/calib" "$tmp/qe.onnx" \
        "${full[@]}" 2>/dev/null | sed -n 's/.*top-1: //p')
  [ "$got" = "$full_ref" ] && ok "pkg-config program (shared): top-1 $got on the test set" ||
    bad "shared program: top-1 '$got', onnxq eval $full_ref"
  cmp -s "$tmp/qe.onnx" "$tmp/ref.onnx" && ok "its model equals onnxq quantize's" || bad "shared program's model differs"
else bad "build with pkg-config --cflags --libs onnxq"; fi
if cc -std=c99 -Wall -Wextra -Werror "$ex/api/quantize_eval.c" $(pkg-config --cflags onnxq) \
     "$libdir/libonnxq.a" $(pkg-config --static --libs onnxq | sed 's/-lonnxq//') -o "$tmp/qe_static" 2>&1; then
  ldd "$tmp/qe_static" | grep -q libonnxq && bad "static program loads libonnxq.so"
  got=$("$tmp/qe_static" "$ex/fashion_cnn.onnx" "$ex/calib" "$tmp/qes.onnx" "${data[@]}" 2>/dev/null |
        sed -n 's/.*top-1: //p')
  [ "$got" = "$ref" ] && ok "libonnxq.a program: top-1 $got" || bad "static program: top-1 '$got', onnxq eval $ref"
  cmp -s "$tmp/qes.onnx" "$tmp/ref.onnx" || bad "static program's model differs"
else bad "build against libonnxq.a"; fi

# --- CMake: find_package(onnxq) + onnxq_add_model
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
if cmake -S "$ex/classify" -B "$tmp/cmake" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$tmp/cmake.log" 2>&1 &&
   cmake --build "$tmp/cmake" >>"$tmp/cmake.log" 2>&1; then
  got=$("$tmp/cmake/classify" "${full[@]}" | sed -n 's/^top-1: \([0-9]*\/[0-9]*\).*/\1/p')
  [ "$got" = "$full_int" ] && ok "CMake app (onnxq_add_model): top-1 $got on the test set" ||
    bad "CMake app: top-1 '$got', onnxq eval $full_int (int)"
  for exe in quantize_eval quantize_eval_static; do  # onnxq::onnxq and onnxq::onnxq_static
    got=$("$tmp/cmake/$exe" "$ex/fashion_cnn.onnx" "$ex/calib" "$tmp/cm_$exe.onnx" "${data[@]}" \
          2>/dev/null | sed -n 's/.*top-1: //p')
    [ "$got" = "$ref" ] && cmp -s "$tmp/cm_$exe.onnx" "$tmp/ref.onnx" && ok "CMake $exe: top-1 $got, same model" ||
      bad "CMake $exe: top-1 '$got' (onnxq eval $ref) or a different model"
  done
  ldd "$tmp/cmake/quantize_eval_static" | grep -q libonnxq && bad "onnxq::onnxq_static loads libonnxq.so"
  # a changed calibration file compiles the model again; an unchanged tree builds nothing
  cp -r "$ex/calib" "$tmp/calib_copy"
  cmake -S "$ex/classify" -B "$tmp/cmake" -DCALIB="$tmp/calib_copy" >/dev/null 2>&1
  cmake --build "$tmp/cmake" >/dev/null 2>&1
  touch "$tmp/calib_copy/sample_003.npy"
  cmake --build "$tmp/cmake" >"$tmp/rebuild.log" 2>&1
  grep -q "onnxq: compiling" "$tmp/rebuild.log" && ok "CMake: a touched calibration file recompiles" ||
    bad "CMake: touching a calibration file did not recompile the model"
  cmake --build "$tmp/cmake" >"$tmp/rebuild.log" 2>&1
  grep -q "onnxq: compiling" "$tmp/rebuild.log" && bad "CMake: an unchanged tree compiled again"
else bad "CMake app build:"; tail -30 "$tmp/cmake.log" >&2; fi
# a model onnxq refuses fails the build with onnxq's message, naming the file
printf 'not a model' > "$tmp/broken.onnx"
cmake -S "$ex/classify" -B "$tmp/cmake_bad" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  -DMODEL="$tmp/broken.onnx" >/dev/null 2>&1
if cmake --build "$tmp/cmake_bad" >"$tmp/bad.log" 2>&1; then bad "CMake: a broken model built"
elif grep -q "onnxq: $tmp/broken.onnx: " "$tmp/bad.log"; then ok "CMake: a broken model stops the build with onnxq's message"
else bad "CMake: a broken model failed without onnxq's message:"; tail -5 "$tmp/bad.log" >&2; fi

# --- Meson: the README's custom_target + declare_dependency snippet
if meson setup "$tmp/meson" "$ex/classify" -Dc_args="-Wall -Wextra -Werror" >"$tmp/meson.log" 2>&1 &&
   ninja -C "$tmp/meson" >>"$tmp/meson.log" 2>&1; then
  got=$("$tmp/meson/classify" "${full[@]}" | sed -n 's/^top-1: \([0-9]*\/[0-9]*\).*/\1/p')
  [ "$got" = "$full_int" ] && ok "Meson app (custom_target snippet): top-1 $got on the test set" ||
    bad "Meson app: top-1 '$got', onnxq eval $full_int"
  got=$("$tmp/meson/quantize_eval" "$ex/fashion_cnn.onnx" "$ex/calib" "$tmp/ms.onnx" "${data[@]}" \
        2>/dev/null | sed -n 's/.*top-1: //p')
  [ "$got" = "$ref" ] && cmp -s "$tmp/ms.onnx" "$tmp/ref.onnx" && ok "Meson quantize_eval (dependency('onnxq')): top-1 $got, same model" ||
    bad "Meson quantize_eval: top-1 '$got' (onnxq eval $ref) or a different model"
else bad "Meson app build:"; tail -30 "$tmp/meson.log" >&2; fi

# --- the installed Python binding: finds the installed libonnxq from its own location
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  pkg=$(find "$prefix" -path '*/onnxq/__init__.py' | head -1)
  if [ -n "$pkg" ]; then
    (unset ONNXQ_LIBRARY; ONNXQ_BINDING_DIR=$(dirname "$(dirname "$pkg")") ONNXQ_CLI=$onnxq \
      ONNXQ_SOURCE_ROOT=$src /usr/bin/python3 "$src/python/tests/run.py" >"$tmp/py.log" 2>&1) &&
      ok "installed Python binding: $(grep -c '\.\.\. ok$' "$tmp/py.log") tests" ||
      { bad "installed Python binding:"; tail -30 "$tmp/py.log" >&2; }
  else bad "the Python package was not installed"; fi
else
  echo "SKIP: Python binding: /usr/bin/python3 with numpy not found (apt-get install python3-numpy)"
fi

[ $fail = 0 ] && echo "install: all checks passed" || echo "install: FAILED"
exit $fail
