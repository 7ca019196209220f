/* analysis/: the compute side of `onnxq report` and of automatic mixed precision.
 * Everything here starts from the float graph after the float passes (oq_run_passes) and its
 * calibration, and quantizes private copies of it (oq_graph_clone), so the caller's graph is
 * never changed. Figures are measured with the reference interpreter on a sample set held in
 * memory (the calibration samples, at most --calib-limit of them; optionally a labelled eval
 * set). Cost: a report over L layers runs the float graph and the full int8 graph once per
 * sample, then per layer one "only this layer quantized" graph (plus the float graph up to that
 * layer) once per sample and once per eval sample: about (1.5 L + 2) x samples runs. */
#ifndef OQ_ANALYSIS_H
#define OQ_ANALYSIS_H
#include "../passes/passes.h"
#include "report.h"

/* ---------------------------------------------------------------- clone.c */
/* Deep copy of g (values keep their ids, nodes their order; data, qparams, attributes and
 * symbolic dim names copied into the new graph's arena; uses filled). NULL on NOMEM. */
oq_graph *oq_graph_clone(const oq_graph *g);

/* ---------------------------------------------------------------- samples.c */
/* Model inputs held in memory, one graph run per sample. */
typedef struct oq_samples {
    uint32_t n;                /* samples (graph runs) */
    uint32_t ninput;           /* g->ninput of the graph they were read for */
    size_t *bytes;             /* per input: bytes of one sample (the input's exact shape) */
    uint8_t **data;            /* per input: n * bytes[i] (malloc) */
    uint32_t batch;            /* eval sets: labelled rows per sample (input dim 0), else 1 */
    int64_t *labels;           /* eval sets: n * batch labels, -1 for padding rows; else NULL */
    uint32_t rows;             /* eval sets: real labelled rows; else 0 */
} oq_samples;

/* Reads calibration data (the layout of oq_calib_data / --calib: files or directories of
 * .npy / .pb; NAME=PATH or one directory with a sub-directory per input for several inputs;
 * a file may hold a batch along dim 0) into s, at most limit samples (0 = all). ERR_DATA names
 * the file on a wrong dtype / shape or a non-finite element. */
oq_status oq_samples_load_calib(const oq_graph *g, const oq_calib_data *data, uint32_t limit,
                                oq_samples *s, oq_diag *d) OQ_NODISCARD;
/* Reads a labelled eval set for a one-input model: x.npy [N, ...] of the input's dtype whose
 * rows have the input's shape without dim 0, labels.npy integer [N]; rows are packed `batch`
 * (the input's dim 0) per sample, the last sample padded with zeros (label -1). At most limit
 * rows (0 = all). */
oq_status oq_samples_load_eval(const oq_graph *g, const char *x, const char *labels,
                               uint32_t limit, oq_samples *s, oq_diag *d) OQ_NODISCARD;
void oq_samples_free(oq_samples *s);

/* ---------------------------------------------------------------- measure.c */
/* Running sums of an SQNR: signal = sum x^2, noise = sum (x - y)^2 (double). */
typedef struct oq_sqnr_acc {
    double signal, noise;
    int64_t n;                 /* elements added */
} oq_sqnr_acc;
void oq_sqnr_add(oq_sqnr_acc *a, const float *ref, const float *x, int64_t n);
/* 10 log10(signal / noise) as float; +INFINITY when noise == 0 (also for a zero signal),
 * -INFINITY for a zero signal with noise, NAN when nothing was added. */
float oq_sqnr_db(const oq_sqnr_acc *a);
/* Binds sample i of s to g's inputs (rt: g->ninput entries; data points into s). */
void oq_samples_bind(const oq_graph *g, const oq_samples *s, uint32_t i, oq_rt_tensor *rt);
/* Float elements over g's outputs, and their copy (outputs in order) into dst. */
int64_t oq_output_floats(const oq_graph *g);
void oq_copy_outputs(const oq_graph *g, const oq_rt_tensor *outs, float *dst);
/* Correct top-1 rows of output out0 ([batch, classes]) for sample i of eval set e. */
int64_t oq_top1_correct(const oq_graph *g, const oq_rt_tensor *out0, const oq_samples *e,
                        uint32_t i);

/* Model output SQNR of graph q against graph f (same inputs and outputs; all float outputs
 * pooled) over the samples. */
oq_status oq_measure_sqnr(const oq_graph *f, const oq_graph *q, const oq_samples *s, float *db,
                          oq_diag *d) OQ_NODISCARD;
/* Top-1 % of g (first output [batch, classes]) on a labelled eval set. */
oq_status oq_measure_accuracy(const oq_graph *g, const oq_samples *e, float *pct,
                              oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- layers.c */
/* A quantizable layer of the float graph: a node with its own activation qparams (Conv,
 * ConvTranspose, Gemm, MatMul, Add, Mul, Concat, standalone activations); an activation fused
 * into its producer (onnxq_fused) belongs to the producer's layer and gives it its output. */
typedef struct oq_layer {
    uint32_t node;             /* the layer's node in the float graph (name used for --exclude) */
    uint32_t output;           /* the activation it produces (the fused activation's output) */
} oq_layer;

/* Candidate layers of the float graph fg (after oq_run_passes), topological order (malloc).
 * Candidates the quantizer refuses even alone are dropped by oq_quantize_only. */
oq_status oq_find_layers(const oq_graph *fg, oq_layer **out, uint32_t *n,
                         oq_diag *d) OQ_NODISCARD;
/* A copy of fg quantized with options o plus `extra` more node names excluded (nextra of
 * them). Caller frees *out. */
oq_status oq_quantize_copy(const oq_graph *fg, const oq_calib *c, const oq_options *o,
                           const char *const *extra, uint32_t nextra, oq_graph **out,
                           oq_diag *d) OQ_NODISCARD;
/* A copy of fg where only layer `which` is quantized (every other layer excluded; o's own
 * exclude / op-type lists ignored; o's overrides kept where they name this layer's inputs or
 * output). *out is NULL (OQ_OK) when the quantizer leaves the layer float even alone. */
oq_status oq_quantize_only(const oq_graph *fg, const oq_calib *c, const oq_options *o,
                           const oq_layer *layers, uint32_t nlayers, uint32_t which,
                           oq_graph **out, oq_diag *d) OQ_NODISCARD;
/* Copies from's error into d unless d already holds one (first error wins); returns
 * from->status. */
oq_status oq_diag_forward(oq_diag *d, const oq_diag *from);
/* True when value `name` of quantized graph qg is written by a DequantizeLinear (the layer
 * whose output it is was quantized). */
bool oq_layer_quantized(const oq_graph *qg, const char *name);
/* Scale / zero point of the DequantizeLinear writing value name in qg (NAN / 0 if none). */
void oq_layer_output_qparams(const oq_graph *qg, const char *name, float *s, int32_t *z);

/* ---------------------------------------------------------------- sensitivity.c */
/* One-at-a-time sensitivity: for each layer, the graph with only that layer quantized. */
typedef struct oq_sensitivity {
    bool quantizable;          /* the quantizer quantizes this layer when it is alone */
    float act_sqnr;            /* dB: the layer's output vs float (its own error) */
    float sens_sqnr;           /* dB: model output vs float */
    float sens_acc;            /* top-1 % on the eval set; NAN without one */
    float w_sqnr_min, w_sqnr_mean; /* dB over output channels; NAN without a constant weight */
    float scale;               /* the layer's output qparams in that graph */
    int32_t zero_point;
} oq_sensitivity;

/* Fills sens[nlayers] (s: measurement samples, e: eval set or NULL); layers with skip[l]
 * (skip may be NULL) are left unmeasured (quantizable false). ref: the float reference whose
 * outputs the figures compare against (NULL = fg; e.g. fg before --bias-correct changed its
 * biases; same activation value ids as fg). */
oq_status oq_layer_sensitivity(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                               const oq_options *o,
                               const oq_layer *layers, uint32_t nlayers, const bool *skip,
                               const oq_samples *s,
                               const oq_samples *e, oq_sensitivity *sens,
                               oq_diag *d) OQ_NODISCARD;
/* Per-output-channel SQNR of weight wf (float) against wq (dequantized), shape ws, channels
 * along axis: min and mean of the finite per-channel dB (+INFINITY when every channel is
 * exact). */
void oq_weight_sqnr(const float *wf, const float *wq, const oq_shape *ws, int axis, float *min,
                    float *mean);
/* Weight SQNR (worst channel / mean) and weight-scale range of float-graph layer node fn
 * against the DequantizeLinear weight of node qn in qg (any QDQ graph); NAN when absent. */
void oq_dq_weight_figures(const oq_graph *fg, uint32_t fn, const oq_graph *qg, uint32_t qn,
                          float *min, float *mean, float *smin, float *smax);

/* ---------------------------------------------------------------- report.c */
/* Fills r for the float graph fg (after oq_run_passes) calibrated in c: per layer weight,
 * activation, cumulative and sensitivity figures, histograms over the calibration samples s
 * and each observer's range; accuracy figures when e (eval set) is given. `model` names the
 * file; ref as for oq_layer_sensitivity (NULL = fg). r->layers is malloc'ed (oq_report_free). */
oq_status oq_report_build(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                          const oq_options *o,
                          const oq_samples *s, const oq_samples *e, const char *model,
                          const oq_graph *og, const char *other,
                          oq_report *r, oq_diag *d) OQ_NODISCARD;
/* With og (another tool's QDQ model of the same network, file `other`; NULL: none), each
 * layer's cmp figures are filled as well (r->compare, r->cmp_*). */

/* ---------------------------------------------------------------- compare.c */
/* Quantization parameters of an activation: scale, zero point and the integer range of its
 * type (u8 0..255 when the zero point is absent, as in ONNX). */
typedef struct oq_act_qp {
    float scale;               /* NAN: not quantized */
    int32_t zero_point, lo, hi;
} oq_act_qp;

/* Matches report layer k (float node layers[keep[k]].node) to a node of og and fills
 * r->layers[k].cmp's qparams and weight figures; ovalue[k] = og's value holding the layer's
 * output (OQ_NONE when unmatched), oqp[k] its qparams. qg is onnxq's quantized graph: fills
 * the layers' own w_scale_* and qp[k]. Sets r->cmp_matched. */
void oq_compare_match(const oq_graph *fg, const oq_graph *qg, const oq_graph *og,
                      const oq_layer *layers, const uint32_t *keep, uint32_t nk, oq_report *r,
                      uint32_t *ovalue, oq_act_qp *qp, oq_act_qp *oqp);
/* Adds to a the error of x (n floats) against x quantized with q and dequantized. */
void oq_fakequant_sqnr_add(oq_sqnr_acc *a, const float *x, int64_t n, const oq_act_qp *q);

/* ---------------------------------------------------------------- mixed.c */
typedef struct oq_mixed_target {
    bool by_sqnr;              /* target: model output SQNR >= sqnr_db (on the samples) */
    float sqnr_db;
    bool by_accuracy;          /* target: fp32 top-1 - top-1 <= max_drop (points, eval set) */
    float max_drop;
    /* called when a phase starts ("sensitivity", "search", "observers") with the number of
     * steps it takes; o->progress then counts them (NULL: no calls) */
    void (*phase)(void *ctx, const char *name, uint32_t steps);
    void *phase_ctx;
} oq_mixed_target;

typedef struct oq_mixed_result {
    uint32_t *float_nodes;     /* node ids (in fg) of the layers left in float, in the order
                                  they were chosen (malloc; oq_mixed_result_free) */
    uint32_t nfloat;
    oq_override *overrides;    /* observer kinds that keep layers int8 which the search would
                                  otherwise leave float (malloc; o's overrides not included) */
    uint32_t noverride;
    uint32_t measured;         /* quantize + measure steps the search took */
    uint32_t nlayers;          /* layers the full int8 graph quantizes */
    float int8_sqnr, sqnr;     /* dB: full int8, and the result */
    float acc_fp32, int8_acc, acc; /* top-1 % (NAN without an eval set) */
    bool met;                  /* the result meets the target */
} oq_mixed_result;

/* Automatic mixed precision: quantizes fg with o; when the target does not hold, ranks the
 * layers by one-at-a-time sensitivity (lowest model SQNR, or lowest top-1 for an accuracy
 * target), finds by bisection the fewest most-sensitive layers whose float version meets it,
 * then tries to bring each of those back to int8 with another observer (percentile, MSE) on
 * its output. On OQ_OK res says which layers stay float (the caller adds them to its exclude
 * list) and which observer overrides to add; ERR_DATA (naming the best figure reached) when
 * even every layer in float misses the target. ref: the float reference (NULL = fg), as for
 * oq_layer_sensitivity; layers left float keep fg's constants. */
oq_status oq_mixed_precision(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                             const oq_options *o,
                             const oq_samples *s, const oq_samples *e, const oq_mixed_target *t,
                             oq_mixed_result *res, oq_diag *d) OQ_NODISCARD;
void oq_mixed_result_free(oq_mixed_result *res);
/* Layers of quantized graph q still in float (weight not dequantized) whose bias differs from
 * the one of the same node in ref (e.g. --bias-correct changed it for int8) read ref's bias
 * again (q must hold ref's values with the same ids, as copies of a graph made after ref). */
void oq_restore_float_biases(oq_graph *q, const oq_graph *ref);
#endif
