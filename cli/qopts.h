/* The quantization flags shared by `onnxq quantize`, `compile` and `report` (cli/qopts.c): one
 * table of flags parsed into the library's onnxq_options. */
#ifndef OQ_CLI_QOPTS_H
#define OQ_CLI_QOPTS_H
#include "cli.h"

typedef struct qflow {
    onnxq_options o;           /* what the flags set (qflow_finish points it at the lists) */
    const char **calib;        /* --calib entries (malloc'ed strings) */
    uint32_t ncalib;
    const char **exclude;      /* --exclude names (malloc'ed strings) */
    uint32_t nexclude;
    const char **op_types;     /* --op-types (malloc'ed strings) */
    uint32_t nop_types;
    const char **overrides;    /* --override specs (argv strings) */
    uint32_t noverride;
    onnxq_input_shape shapes[16]; /* --input-shape (names malloc'ed) */
    uint32_t nshapes;
    const char **custom_ops;   /* --custom-op TYPE (malloc'ed strings) */
    uint32_t ncustom_ops;
} qflow;

#define QFLOW_HELP                                                                          \
    "  --calib PATH[,PATH]   calibration samples: .npy / .pb files or directories of them\n" \
    "                        (NAME=PATH per input for multi-input models)\n"              \
    "  --calib-limit N       use at most N samples\n"                                     \
    "  --check-samples N     after quantizing, measure the output SQNR against fp32 on N\n" \
    "                        samples past --calib-limit (else the first N; default 8, 0:\n" \
    "                        no check); below 20 dB warn, naming the worst layers\n"      \
    "  --mode static|dynamic static (default) or dynamic (weight-only MatMul/Gemm)\n"     \
    "  --observer KIND       minmax (default), moving-average, mse, entropy, percentile\n" \
    "  --percentile P        percentile for the percentile observer (default 99.99)\n"    \
    "  --per-tensor          per-tensor weights (default per output channel)\n"          \
    "  --act-symmetric       symmetric activations\n"                                     \
    "  --equalize            cross-layer equalization of Conv/Gemm pairs (Relu/linear;\n" \
    "                        Relu6 pairs kept exact on the --calib samples)\n"              \
    "  --equalize-relu6      also across Relu6, which becomes Relu (changes the model)\n" \
    "  --bias-correct        correct biases for the weight-quantization shift (needs --calib)\n" \
    "  --act-type u8|s8      activation type (default u8)\n"                              \
    "  --reduce-range        7-bit activations (as PyTorch's reduce_range)\n"            \
    "  --exclude N1,N2       leave these nodes (ONNX node names) in float\n"              \
    "  --op-types T1,T2      quantize only these op types\n"                              \
    "  --override T=SPEC     per tensor: an observer kind, or fixed SCALE:ZERO_POINT\n"   \
    "  --save-calib FILE     save the observer states after calibration\n"                \
    "  --load-calib FILE     reuse saved observer states instead of running the model\n"  \
    "  --input-shape N=...   fix the shape of graph input N (? or a name: symbolic)\n"  \
    "  --custom-op TYPE      TYPE is a custom operator (any op of another domain is one too\n" \
    "                        once a --custom-op* option is given); repeatable\n"          \
    "  --custom-op-lib FILE  shared library of onnxq_custom_<TYPE> functions (C ABI in\n" \
    "                        runtime/interp/onnxq_custom.h) for calibration; repeatable\n" \
    "  --dump-after PASS     print the IR after PASS; --stop-after PASS stops there\n"   \
    "  --verify              run the IR verifier after every pass\n"                     \
    "  --target-sqnr DB      mixed precision: leave the fewest most sensitive layers in\n" \
    "                        float (bisection, then another observer tried for each) so\n" \
    "                        that the output SQNR on the calibration samples reaches DB\n" \
    "  --max-accuracy-drop P mixed precision: ... until top-1 on --eval is within P points\n" \
    "                        of fp32\n"                                                 \
    "  --eval X.npy --labels Y.npy  labelled data for --max-accuracy-drop (--eval-limit N)\n"

/* Sets q->o to the defaults. */
void qflow_init(qflow *q);
/* Consumes the option at argv[*i] if it is a quantization option: 1 taken, 0 not ours,
 * -1 malformed (message printed). */
int qflow_opt(qflow *q, int argc, char **argv, int *i);
/* Points q->o at the parsed lists and sets the CLI's callbacks (warnings to stderr, mixed
 * precision's lines and dumps to stdout, calibration progress when stderr is a terminal);
 * returns &q->o. */
const onnxq_options *qflow_finish(qflow *q);
/* Exit code of a failed call on s (2 for ONNXQ_ERR_USAGE when usage_ok, else 1), after
 * printing its message. */
int qflow_fail(const onnxq_session *s, bool usage_ok);
void qflow_free(qflow *q);
#endif
