#!/bin/sh
# tests/report/browser_test.sh: renders the HTML report in a real browser (Debian's headless
# chromium). Usage:
#   browser_test.sh synth REPORT_SAMPLE [NLAYERS] [KEEP_DIR]   synthetic report (synth.h)
#   browser_test.sh model ONNXQ SOURCE_ROOT [KEEP_DIR]         `onnxq report` on fashion_cnn
# Checks: the parsed DOM has exactly 1 + nlayers <svg class="oq-chart"> and no <script>; the page
# logs nothing to the console (no errors, no Content-Security-Policy violations, i.e. no network
# or script); the PNG screenshot exists, is large and holds the chart colours. A canary page with
# console.error proves the console check can fail. Exit 77 (meson: skipped) without chromium.
set -u
mode=$1
tool=$2

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "SKIP: chromium not installed (apt-get install chromium)"
    exit 77
fi

dir=$(mktemp -d /tmp/oq_report_browser.XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# run_chromium LOG ARGS...: headless chromium with its own profile; console messages to LOG.
run_chromium() {
    log=$1
    shift
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --no-first-run --user-data-dir="$dir/profile" --enable-logging=stderr --v=0 "$@" 2>"$log"
}

# 0. the console check must see a console.error (canary)
cat >"$dir/canary.html" <<'EOF'
<!DOCTYPE html><html><body><p>canary</p><script>console.error("oq-canary");</script></body></html>
EOF
run_chromium "$dir/canary.log" --dump-dom "file://$dir/canary.html" >/dev/null
grep -q 'CONSOLE.*oq-canary' "$dir/canary.log" || no "console messages not captured (canary)"

# 1. the report
if [ "$mode" = synth ]; then
    n=${3:-12}
    keep=${4:-}
    "$tool" html "$n" "$dir/report.html" || { echo "FAIL: report_sample"; exit 1; }
else
    root=$3
    keep=${4:-}
    ex=$root/examples
    "$tool" report "$ex/fashion_cnn.onnx" --calib "$ex/calib" --calib-limit 32 \
        --eval "$ex/test100_input.npy" --labels "$ex/test100_labels.npy" \
        -o "$dir/report.html" --json "$dir/report.json" >"$dir/report.txt" 2>"$dir/onnxq.err" ||
        { cat "$dir/onnxq.err"; echo "FAIL: onnxq report"; exit 1; }
    n=$(grep -c '^      "name": ' "$dir/report.json")
    [ "$n" -ge 4 ] || no "fashion_cnn report has $n layers, want >= 4 (3 Conv + Gemm)"
    [ "$(grep -c '^/conv[123]/Conv \|^/fc/Gemm ' "$dir/report.txt")" -eq 4 ] ||
        no "text table lacks the 4 layers"
fi
want=$((n + 1))
[ "$(grep -o '<svg class="oq-chart' "$dir/report.html" | wc -l)" -eq "$want" ] ||
    no "file: not $want charts"

# 2. parsed DOM: chart count, no script
run_chromium "$dir/dom.log" --dump-dom "file://$dir/report.html" >"$dir/dom.html" ||
    no "chromium --dump-dom failed"
got=$(grep -o '<svg class="oq-chart' "$dir/dom.html" | wc -l)
[ "$got" -eq "$want" ] || no "DOM has $got charts, want $want"
grep -qi '<script' "$dir/dom.html" && no "DOM has a <script>"
# the parsed DOM keeps the layer names escaped (no element made from a name)
grep -q '<b>' "$dir/dom.html" && no "a layer name became a <b> element"

# 3. screenshot
run_chromium "$dir/shot.log" --screenshot="$dir/report.png" --window-size=1200,3000 \
    "file://$dir/report.html" >/dev/null || no "chromium --screenshot failed"
if [ ! -s "$dir/report.png" ]; then
    no "no screenshot"
else
    size=$(wc -c <"$dir/report.png")
    [ "$size" -gt 50000 ] || no "screenshot only $size bytes"
    [ "$(head -c 4 "$dir/report.png" | od -An -tx1 | tr -d ' \n')" = "89504e47" ] ||
        no "screenshot is not a PNG"
    if /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
        /usr/bin/python3 - "$dir/report.png" <<'EOF' || no "screenshot lacks the chart colours"
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
cols = {c for _, c in im.getcolors(1 << 24)}
# the four SQNR series (Okabe-Ito) and the histogram fill must be on the page
need = {(0x00, 0x72, 0xB2): "weight", (0xE6, 0x9F, 0x00): "activation",
        (0x00, 0x9E, 0x73): "cumulative", (0xCC, 0x79, 0xA7): "sensitivity",
        (0xC9, 0xC9, 0xC9): "histogram"}
miss = [name for c, name in need.items() if c not in cols]
print("png %dx%d, %d colours, missing: %s" % (im.width, im.height, len(cols), miss or "none"))
sys.exit(1 if miss or len(cols) < 50 else 0)
EOF
    fi
fi

# 4. no console output from the report (errors, CSP violations = blocked loads or scripts)
for log in "$dir/dom.log" "$dir/shot.log"; do
    if grep -E ':CONSOLE|Uncaught' "$log"; then
        no "console messages while rendering the report ($(basename "$log"))"
    fi
done

if [ -n "$keep" ]; then
    mkdir -p "$keep" && cp "$dir"/report.* "$dir/dom.html" "$keep/"
fi
[ "$fail" -eq 0 ] && echo "PASS: $want charts in the DOM, no console messages, screenshot ok"
exit "$fail"
