#!/usr/bin/env bash
# Transformer encoders end to end. tests/encoder/make_models.py makes a text encoder (int64
# token ids + int64 attention mask -> Gather embedding, masked attention) and a ViT (patches,
# class token), each with GELU and ReLU and exported at opsets 14 (decomposed LayerNorm) and 17
# (LayerNormalization). For each: onnxq quantize -> ONNX Runtime runs the QDQ model -> onnxq
# compile -> gcc -std=c99 -Wall -Wextra -Wpedantic -Werror build -> logits equal to `onnxq run`
# on the lowered int8 graph, bit for bit; the SNR of the int8 logits against ONNX Runtime's fp32
# is printed and must reach 20 dB. Bad inputs to the emitted program (float ids, ids outside the
# vocabulary under ASan+UBSan, a longer sequence than compiled) and to `onnxq run` give clear
# errors and exit 1.
# usage: tests/encoder/run.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
onnxq=$build/cli/onnxq
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >"$tmp/log" 2>&1; then ok "$what"; else bad "$what"; tail -20 "$tmp/log"; fi; }
# refuse WHAT PATTERN CMD...: CMD exits 1 and its stderr matches PATTERN
refuse() {
  local what=$1 pat=$2; shift 2
  local rc=0; "$@" >"$tmp/log" 2>&1 || rc=$?
  if [ "$rc" = 1 ] && grep -q -- "$pat" "$tmp/log"; then ok "$what"
  else bad "$what (exit $rc)"; tail -5 "$tmp/log"; fi
}

m=$tmp/m
$py "$root/tests/encoder/make_models.py" "$m" >/dev/null 2>&1 || { echo "FAIL make_models.py"; exit 1; }
ort="node $root/tests/backends/ort_check.js"
strict="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
n=$($py -c "import numpy as np; print(np.load('$m/text_test/ids.npy').shape[0])")

# the test samples one by one (onnxq run takes the model's batch of 1)
$py - "$m" <<'PY'
import sys, numpy as np
m = sys.argv[1]
ids, mask, img = (np.load(f"{m}/text_test/ids.npy"), np.load(f"{m}/text_test/mask.npy"),
                  np.load(f"{m}/vit_test.npy"))
for k in range(ids.shape[0]):
    np.save(f"{m}/ids{k}.npy", ids[k:k + 1]); np.save(f"{m}/mask{k}.npy", mask[k:k + 1])
    np.save(f"{m}/img{k}.npy", img[k:k + 1])
PY

snr() {  # snr GOT.npy REF_STEM N: SNR in dB of GOT [N,10] against the N files REF_STEM<k>/out_0.npy
  $py - "$@" <<'PY'
import sys, numpy as np
got = np.load(sys.argv[1]).reshape(int(sys.argv[3]), -1).astype(np.float64)
ref = np.concatenate([np.load(f"{sys.argv[2]}{k}/out_0.npy") for k in range(int(sys.argv[3]))])
ref = ref.reshape(got.shape).astype(np.float64)
print(f"{10 * np.log10((ref ** 2).sum() / max(((got - ref) ** 2).sum(), 1e-30)):.2f}")
PY
}

models="text_gelu_op14 text_gelu_op17 text_relu_op14 text_relu_op17 vit_gelu_op14 vit_gelu_op17 vit_relu_op14 vit_relu_op17"
calib_of() { case $1 in text*) echo "ids=$m/text_calib/ids.npy,mask=$m/text_calib/mask.npy" ;; *) echo "$m/vit_calib.npy" ;; esac; }
ins() { case $1 in text*) echo "$m/ids$2.npy	$m/mask$2.npy" ;; *) echo "$m/img$2.npy" ;; esac; }
runin() { case $1 in text*) echo "--input ids=$m/ids$2.npy --input mask=$m/mask$2.npy" ;; *) echo "--input image=$m/img$2.npy" ;; esac; }
all_of() { case $1 in text*) echo "$m/text_test/ids.npy $m/text_test/mask.npy" ;; *) echo "$m/vit_test.npy" ;; esac; }

# quantize, then ONNX Runtime on the fp32 and the QDQ models (one node process for all jobs)
: >"$tmp/jobs"
for model in $models; do
  check "$model: quantize QDQ" "$onnxq" quantize "$m/$model.onnx" --calib "$(calib_of $model)" -o "$tmp/$model.q.onnx"
  check "$model: quantize --format int" "$onnxq" quantize "$m/$model.onnx" --calib "$(calib_of $model)" --format int -o "$tmp/$model.int.onnx"
  check "$model: quantize --format qop" "$onnxq" quantize "$m/$model.onnx" --calib "$(calib_of $model)" --format qop -o "$tmp/$model.qop.onnx"
  for k in $(seq 0 $((n - 1))); do
    mkdir -p "$tmp/$model.fp$k" "$tmp/$model.ortq$k" "$tmp/$model.ortqop$k"
    printf '%s\t%s\t%s\n' "$m/$model.onnx" "$tmp/$model.fp$k" "$(ins $model $k)" >>"$tmp/jobs"
    printf '%s\t%s\t%s\n' "$tmp/$model.q.onnx" "$tmp/$model.ortq$k" "$(ins $model $k)" >>"$tmp/jobs"
    printf '%s\t%s\t%s\n' "$tmp/$model.qop.onnx" "$tmp/$model.ortqop$k" "$(ins $model $k)" >>"$tmp/jobs"
  done
done
$ort --batch "$tmp/jobs" >"$tmp/ort.log" 2>&1 || true
nok=$(grep -c '"ok":true' "$tmp/ort.log" || true)
[ "$nok" = "$(wc -l <"$tmp/jobs")" ] && ok "ONNX Runtime loads and runs the 8 fp32, 8 QDQ and 8 QOperator models ($nok runs)" \
  || { bad "ONNX Runtime ran $nok of $(wc -l <"$tmp/jobs") jobs"; grep -v '"ok":true' "$tmp/ort.log" | head -5; }

# the runtime copy is the same for every model here (same --target, same kernel families):
# built once, strictly, and linked with each model's own files
first=1
for model in $models; do
  check "$model: compile to C" "$onnxq" compile "$m/$model.onnx" --calib "$(calib_of $model)" --emit-c "$tmp/$model.c" --name enc
  d=$tmp/$model.c
  if [ $first = 1 ]; then
    cp -r "$d/onnxq_rt" "$tmp/rt"
    check "the runtime copy builds with gcc $strict" sh -c "cd '$tmp/rt' && for f in \$(find . -name '*.c' | sort); do gcc $strict -I.. -c \$f -o \${f%.c}.o || exit 1; done && ar rcs ../librt.a \$(find . -name '*.o' | sort)"
    first=0
  elif ! diff -r -q -x '*.o' "$d/onnxq_rt" "$tmp/rt" >/dev/null; then
    bad "$model: its runtime copy differs from the first model's"
  fi
  check "$model: emitted C builds with gcc $strict" sh -c "cd '$d' && gcc $strict -o enc_main enc.c enc_weights.c enc_main.c '$tmp/librt.a' -lpthread -lm"
  rc=0
  for k in $(seq 0 $((n - 1))); do
    "$onnxq" run "$tmp/$model.int.onnx" $(runin $model $k) --output "$tmp/$model.ref$k" >/dev/null 2>&1 || rc=1
  done
  [ $rc = 0 ] || bad "$model: onnxq run failed"
  "$d/enc_main" $(all_of $model) "$tmp/$model.c.npy" >/dev/null 2>&1 || true
  if $py -c "
import sys, numpy as np
a = np.load('$tmp/$model.c.npy')
b = np.concatenate([np.load('$tmp/$model.ref%d/logits.npy' % k) for k in range($n)])
sys.exit(0 if a.tobytes() == b.reshape(a.shape).tobytes() else 1)" 2>/dev/null; then
    ok "$model: emitted C logits == onnxq run, bit for bit ($n samples)"
  else bad "$model: emitted C logits differ from onnxq run"; fi
  nqq=$(grep -c 'oq_q8_qlinear_matmul_ref(' "$d/enc.c" || true)
  [ "$nqq" = 4 ] && ok "$model: the 4 attention MatMuls (Q.K^T, attention.V x 2 layers) run int8 x int8" \
                 || bad "$model: $nqq int8 x int8 attention MatMuls in enc.c, want 4"
  s_c=$(snr "$tmp/$model.c.npy" "$tmp/$model.fp" $n 2>/dev/null || echo 0)
  s_q=$(snr "$tmp/$model.ortq0/out_0.npy" "$tmp/$model.fp" 1 2>/dev/null || echo 0)
  s_o=$(snr "$tmp/$model.ortqop0/out_0.npy" "$tmp/$model.fp" 1 2>/dev/null || echo 0)
  echo "     $model: SNR vs fp32: int8 C $s_c dB ($n samples); ONNX Runtime on the QDQ model $s_q dB, on the QOperator model $s_o dB (sample 0)"
  awk -v s="$s_c" 'BEGIN { exit !(s >= 20) }' && ok "$model: int8 SNR $s_c dB >= 20 dB" || bad "$model: int8 SNR $s_c dB < 20 dB"
done

# bad inputs, on the GELU text encoder (opset 17)
d=$tmp/text_gelu_op17.c
rtsrc=$(cd "$d" && find onnxq_rt -name '*.c' | sort | tr '\n' ' ')
check "emitted C builds under ASan+UBSan (-O1)" sh -c "cd '$d' && gcc -std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -o enc_asan enc.c enc_weights.c enc_main.c $rtsrc -lpthread -lm"
$py - "$m" <<'PY'
import sys, numpy as np
m = sys.argv[1]
ids, mask = np.load(f"{m}/text_test/ids.npy"), np.load(f"{m}/text_test/mask.npy")
np.save(f"{m}/ids_float.npy", ids.astype(np.float32))
oov = ids.copy(); oov[3, 5] = 100                      # vocabulary is 0..99
np.save(f"{m}/ids_oov.npy", oov)
neg = ids.copy(); neg[0, 0] = -101                     # below -vocab
np.save(f"{m}/ids_neg.npy", neg)
np.save(f"{m}/ids_long.npy", np.concatenate([ids, ids], 1))
np.save(f"{m}/mask_long.npy", np.concatenate([mask, mask], 1))
np.save(f"{m}/ids_oov0.npy", oov[3:4])
PY
check "ASan build on valid ids == the strict build" sh -c "'$d/enc_asan' $m/text_test/ids.npy $m/text_test/mask.npy '$tmp/asan.npy' && cmp -s '$tmp/asan.npy' '$tmp/text_gelu_op17.c.npy'"
refuse "float ids refused: want int64 .npy data" "want int64 .npy data" "$d/enc_main" "$m/ids_float.npy" "$m/text_test/mask.npy" "$tmp/x.npy"
refuse "out-of-vocabulary id refused (ASan+UBSan build, no out-of-bounds read)" "returned 4" "$d/enc_asan" "$m/ids_oov.npy" "$m/text_test/mask.npy" "$tmp/x.npy"
refuse "negative id past -vocab refused (ASan+UBSan build)" "returned 4" "$d/enc_asan" "$m/ids_neg.npy" "$m/text_test/mask.npy" "$tmp/x.npy"
refuse "sequence longer than compiled refused" "longer sequence than compiled" "$d/enc_main" "$m/ids_long.npy" "$m/mask_long.npy" "$tmp/x.npy"
refuse "onnxq run: out-of-vocabulary id names the node" "Gather).*index 100" "$onnxq" run "$tmp/text_gelu_op17.int.onnx" --input "ids=$m/ids_oov0.npy" --input "mask=$m/mask0.npy"
grep -q '#define ENC_INPUT0_DTYPE "int64"' "$d/enc.h" && grep -q 'int enc_run(const int64_t \*in0, const int64_t \*in1, float \*out0' "$d/enc.h" \
  && ok "enc.h states the int64 inputs (ENC_INPUT0_DTYPE, enc_run(const int64_t *...))" || bad "enc.h does not state the int64 inputs"

echo "encoder: $pass passed, $fail failed"
[ "$fail" = 0 ]
