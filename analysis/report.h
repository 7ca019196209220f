/* analysis/: where accuracy goes. The data model of `onnxq report` (per-layer SQNR, sensitivity,
 * activation histograms with each observer's clipping range) shared by the code that computes it
 * (analysis/report.c, sensitivity.c) and the code that draws it as HTML with inline
 * SVG, JSON and a text table (analysis/render_*.c, svg.c). Mixed precision
 * (--target-sqnr / --max-accuracy-drop) ranks layers by the same sensitivity figures.
 * SQNR is 10*log10(sum x^2 / sum (x - xq)^2) in dB over all calibration samples; +INFINITY when
 * the error is exactly zero; NAN when the figure does not apply (e.g. no weights). */
#ifndef OQ_REPORT_H
#define OQ_REPORT_H
#include "../ir/ir.h"
#include "../passes/passes.h"

#define OQ_REPORT_BINS 128     /* histogram bins stored per activation (rebinned for drawing) */

/* A layer as another tool quantized it (onnxq report --compare OTHER_QDQ.onnx): the node
 * matched in the other QDQ model (by node name and op; else the k-th layer of that op when both
 * models have as many), the qparams it chose and the SQNR of each figure, measured like onnxq's.
 * how[0] == 0: no match (every figure NAN). */
typedef struct oq_layer_compare {
    char node[128];            /* the other model's node name */
    char how[8];               /* "name", "order" or "" */
    float scale;               /* output activation qparams (its QuantizeLinear); NAN: none */
    int32_t zero_point;
    float w_scale_min, w_scale_max;
    float weight_sqnr_min;     /* dB: float weight vs the other model's dequantized weight */
    float weight_sqnr_mean;
    float out_sqnr;            /* dB: float output vs itself quantized with the other's qparams */
    float cum_sqnr;            /* dB: float output vs the other model run up to the layer */
} oq_layer_compare;

/* One quantizable layer (a node the quantizer turns into an integer kernel). */
typedef struct oq_layer_report {
    char name[128];            /* ONNX node name (or "<op>_<index>" when unnamed) */
    char op[32];               /* op type, e.g. "Conv" */
    char output[128];          /* name of the activation it produces (after fusion: the Relu's) */
    bool quantized;            /* false when excluded / left in float */
    float weight_sqnr_min;     /* dB over output channels (per-channel figure); NAN: no weight */
    float weight_sqnr_mean;    /* dB, mean over channels */
    float act_sqnr;            /* dB: float output vs this layer in int8 fed float inputs */
    float cum_sqnr;            /* dB: float output vs the whole int8 graph up to this layer */
    float sens_sqnr;           /* dB: model output SQNR with only this layer quantized */
    float sens_acc;            /* top-1 % with only this layer quantized; NAN without --eval */
    /* Histogram of this layer's float output over the calibration data. */
    float hist_lo, hist_hi;    /* range of the bins (the observed min / max) */
    double hist[OQ_REPORT_BINS];
    /* Clipping range each observer kind would choose (affine); the renderer derives the
     * symmetric range as [-max(|lo|,|hi|), max(|lo|,|hi|)]. */
    float range_lo[OQ_OBS_COUNT], range_hi[OQ_OBS_COUNT];
    float scale;               /* the chosen activation qparams (the run's observer) */
    int32_t zero_point;
    float w_scale_min, w_scale_max; /* weight scales over output channels; NAN: no int8 weight */
    float out_sqnr;            /* dB: float output vs itself quantized with (scale, zero_point) */
    oq_layer_compare cmp;      /* the same layer in the --compare model */
} oq_layer_report;

typedef struct oq_report {
    char model[256];           /* model file name as given */
    char observer[32];         /* observer used for the int8 figures */
    uint32_t samples;          /* calibration samples used */
    float model_sqnr;          /* dB: model output, float vs full int8 */
    float acc_fp32, acc_int8;  /* top-1 % on --eval data; NAN without --eval */
    uint32_t eval_samples;     /* 0 without --eval */
    char compare[256];         /* --compare model file name; "" without */
    float cmp_model_sqnr;      /* dB: model output, float vs the --compare model */
    float acc_cmp;             /* top-1 % of the --compare model on --eval data; NAN without */
    uint32_t cmp_matched;      /* layers matched in the --compare model */
    oq_layer_report *layers;   /* in topological order (malloc) */
    uint32_t nlayers;
} oq_report;

void oq_report_free(oq_report *r);   /* frees r->layers (r itself is the caller's) */

/* Renderers (P). Each writes the whole document to f; IO error on a failed write. */
/* One self-contained HTML file: no network, no script; inline SVG bar chart of per-layer
 * SQNR (weight / activation / cumulative / sensitivity) and one histogram per activation
 * with the observer ranges marked (affine and symmetric). */
oq_status oq_report_write_html(const oq_report *r, FILE *f, oq_diag *d) OQ_NODISCARD;
oq_status oq_report_write_json(const oq_report *r, FILE *f, oq_diag *d) OQ_NODISCARD;
oq_status oq_report_write_text(const oq_report *r, FILE *f, oq_diag *d) OQ_NODISCARD;
#endif
