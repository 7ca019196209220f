/* The quantization flow shared by `onnxq quantize` and `onnxq compile` (cli/quantflow.c). */
#ifndef OQ_QUANTFLOW_H
#define OQ_QUANTFLOW_H
#include "cli.h"
#include "passes/passes.h"

typedef struct qflow {
    oq_options opt;            /* pass and quantizer options */
    const char **calib;        /* --calib entries (malloc'ed strings) */
    uint32_t ncalib;
    const char **exclude;      /* --exclude names */
    const char **op_types;     /* --op-types */
    const char *save_calib, *load_calib;
    oq_input_shape shapes[16]; /* --input-shape */
    uint32_t nshapes;
    oq_override *overrides;    /* --override entries (malloc) */
    uint32_t noverride;
    uint8_t sym_in[64], sym_out[64]; /* bit k: dim k of input/output i was symbolic (set to 1) */
    oq_calib_data samples;     /* the --calib entries, for opt.samples (data-aware passes) */
    const char *eval_x, *eval_labels; /* --eval X.npy --labels Y.npy (report, mixed precision) */
    uint32_t eval_limit;       /* --eval-limit N (0 = all rows) */
    bool mp_sqnr, mp_acc;      /* --target-sqnr / --max-accuracy-drop given */
    float target_sqnr, max_drop;
    const char **custom_ops;   /* --custom-op TYPE (malloc'ed strings) */
    uint32_t ncustom_ops;
    bool custom;               /* --custom-op / --custom-op-lib given: unknown ops are custom */
} qflow;

#define QFLOW_HELP                                                                          \
    "  --calib PATH[,PATH]   calibration samples: .npy / .pb files or directories of them\n" \
    "                        (NAME=PATH per input for multi-input models)\n"              \
    "  --calib-limit N       use at most N samples\n"                                     \
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
    "  --input-shape N=...   fix the shape of graph input N\n"                            \
    "  --custom-op TYPE      TYPE is a custom operator (any op of another domain is one too\n" \
    "                        once a --custom-op* option is given); repeatable\n"          \
    "  --custom-op-lib FILE  shared library of onnxq_custom_<TYPE> functions (C ABI in\n" \
    "                        runtime/interp/onnxq_custom.h) for calibration; repeatable\n" \
    "  --dump-after PASS     print the IR after PASS; --stop-after PASS stops there\n"   \
    "  --verify              run the IR verifier after every pass\n"                     \
    "  --target-sqnr DB      mixed precision: leave the most sensitive layers in float, one\n" \
    "                        at a time, until the output SQNR on the calibration samples\n" \
    "                        reaches DB\n"                                              \
    "  --max-accuracy-drop P mixed precision: ... until top-1 on --eval is within P points\n" \
    "                        of fp32\n"                                                 \
    "  --eval X.npy --labels Y.npy  labelled data for --max-accuracy-drop (--eval-limit N)\n"

/* Consumes the option at argv[*i] if it is a quantization option: 1 taken, 0 not ours,
 * -1 malformed (message printed). */
int qflow_opt(qflow *q, int argc, char **argv, int *i);
/* Imports path and produces the quantized QDQ graph in *out (or the graph at --stop-after). */
oq_status qflow_run(qflow *q, const char *path, oq_graph **out, oq_diag *d);
/* Puts the symbolic dims of the model's inputs and outputs back (before writing ONNX). */
void qflow_restore_symbolic(const qflow *q, oq_graph *g);
void qflow_free(qflow *q);
#endif
