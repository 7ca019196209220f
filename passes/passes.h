/* passes/: the table of contents of the graph passes, calibration and the quantizer.
 * Every pass is `oq_status pass_<verb>(oq_graph *g, const oq_options *o, oq_diag *d)`: on OQ_OK
 * the graph is valid (uses filled, topologically ordered, shapes inferred); on error the graph
 * is poisoned (the caller frees it) and d names the node. pipeline.c runs them in order.
 * Fused activations (fuse.c): the Relu/Clip node stays in the graph; the producer
 * (Conv/Gemm/MatMul/Add) gets INT attribute "onnxq_fused"=1 and its output is then neither
 * observed nor quantized: only the activation's output is (PyTorch fusion semantics). */
#ifndef OQ_PASSES_H
#define OQ_PASSES_H
#include "../ir/ir.h"
#include "../runtime/interp/interp.h"
#include "observers/observer.h"

typedef enum oq_qmode {
    OQ_MODE_STATIC,            /* weights and activations (calibrated) */
    OQ_MODE_DYNAMIC,           /* MatMul/Gemm weights int8; activations quantized at run time */
} oq_qmode;

/* --override TENSOR=KIND or TENSOR=SCALE:ZERO_POINT: per-tensor observer or fixed qparams. */
typedef struct oq_override {
    const char *tensor;        /* value name (an activation the quantizer quantizes) */
    char buf[256];             /* oq_parse_override stores the name here (tensor points to it) */
    bool fixed;                /* true: scale / zero_point below; false: observer */
    oq_obs_kind observer;      /* observer kind for this tensor */
    float scale;               /* fixed scale (> 0) */
    int32_t zero_point;        /* fixed zero point (within the activation type) */
} oq_override;

/* Parses "NAME=minmax|moving-average|mse|entropy|percentile" or "NAME=SCALE:ZP" (the last '='
 * splits; the name is copied into out->buf). USAGE error naming the spec when malformed. */
oq_status oq_parse_override(const char *spec, oq_override *out, oq_diag *d) OQ_NODISCARD;

/* Calibration progress: done of total samples (total 0 = unknown). */
typedef void (*oq_progress_fn)(void *ctx, uint32_t done, uint32_t total);

typedef struct oq_options {
    oq_qmode mode;             /* static (default) or dynamic */
    bool per_tensor;           /* weights per tensor instead of per output channel */
    bool act_symmetric;        /* activations symmetric (u8: zp 128, s8: zp 0) */
    oq_dtype act_type;         /* OQ_DT_UINT8 (default; 0 means that) or OQ_DT_INT8 */
    bool reduce_range;         /* 7-bit activations (PyTorch reduce_range) */
    oq_obs_kind observer;      /* activation observer (default 0 = minmax) */
    float percentile;          /* for OQ_OBS_PERCENTILE (0 = 99.99) */
    const char *const *exclude;/* node names left in float */
    uint32_t nexclude;
    const char *const *op_types; /* if non-empty: only these op types get quantized */
    uint32_t nop_types;
    const oq_override *overrides; /* per-tensor observer / qparams (each must match a tensor
                                     the quantizer quantizes, else USAGE) */
    uint32_t noverride;
    uint32_t calib_limit;      /* max calibration samples (0 = all) */
    oq_progress_fn progress;   /* calibration progress callback (NULL = none) */
    void *progress_ctx;
    bool verify;               /* ir_verify after each pass (tests and debug builds) */
    const char *dump_after;    /* pipeline: pass name whose output is printed to dump_file */
    FILE *dump_file;
    const char *stop_after;    /* pipeline: last pass to run */
    bool contrib_ops;          /* lower_int may emit com.microsoft QLinearAdd / QLinear*Pool */
    bool equalize;             /* cross-layer equalization after fuse (passes/equalize.c) */
    bool equalize_relu6;       /* equalize also across Clip(0, hi), which becomes Relu */
    const struct oq_calib_data *samples; /* calibration samples for equalize across Clip(0, hi)
                                    kept exact on them (NULL: such pairs are skipped) */
    bool bias_correct;         /* bias correction before calibration (passes/biascorrect.c) */
} oq_options;

/* ---------------------------------------------------------------- one pass per file */
oq_status pass_canonicalize(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
oq_status pass_constfold(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
/* passes/lnfuse.c: decomposed LayerNormalization -> one LayerNormalization node. */
oq_status pass_lnfuse(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
oq_status pass_dce(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
oq_status pass_cse(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
oq_status pass_bnfold(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
oq_status pass_fuse(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
/* Cross-layer equalization of Conv/Gemm pairs; no-op unless o->equalize (equalize.c). */
oq_status pass_equalize(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
/* QDQ -> integer ops (QLinearConv incl. Gemm as 1x1, QLinearMatMul, data movement on int8;
 * with contrib_ops also QLinearAdd/Mul/Concat/GlobalAveragePool and QLinearLookup tables);
 * what the interpreter and the C backend run bit-exactly (lower_int.c). */
oq_status pass_lower_int(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- eltregion.c */
enum { OQ_ELT_NONE, OQ_ELT_INNER, OQ_ELT_TAIL };  /* role of a node in an element-wise region */
/* Element-wise regions of g (uses filled; o may be NULL: nothing excluded): per node, src[n]
 * is the value its region computes from (OQ_NONE: in no region) and role[n] OQ_ELT_INNER
 * (output read only inside the region) or OQ_ELT_TAIL (output leaves it). Arrays of g->nnode. */
oq_status oq_elt_regions(const oq_graph *g, const oq_options *o, uint32_t *src, uint8_t *role,
                         oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- lower_lut.c */
/* Part of lower_int: DQ -> element-wise region -> Q becomes QLinearLookup (a 256-entry table
 * the interpreter computes from the region); adds the number lowered to *count. */
oq_status oq_lower_lut(oq_graph *g, const oq_options *o, uint32_t *count, oq_diag *d) OQ_NODISCARD;
/* Narrows [*lo, *hi] (the observed range of value s, the source of element-wise regions that
 * read it alone; src/role from oq_elt_regions) to where some tail of those regions is not
 * constant: x * Clip(x + 3, 0, 6) / 6 needs no codes below -3, Clip(x + 3, 0, 6) none beyond
 * 3. Evaluated by the interpreter on 4096 points; the range stays when it cannot run them. */
oq_status oq_elt_active_range(oq_graph *g, const uint32_t *src, const uint8_t *role,
                              uint32_t nsrc, uint32_t s, float *lo, float *hi,
                              oq_diag *d) OQ_NODISCARD;  /* nsrc: entries of src and role */

/* ---------------------------------------------------------------- pipeline.c */
/* Runs the float passes (canonicalize .. fuse) in order, honouring dump_after / stop_after. */
oq_status oq_run_passes(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
/* Pass names in order (NULL-terminated) and their one-line descriptions, for --help. */
const char *const *oq_pass_names(void);
const char *oq_pass_description(const char *name);

/* ---------------------------------------------------------------- calibrate.c */
/* Observer state for every float activation (value id -> state). Each value keeps one running
 * histogram (which also tracks the exact min/max) and one moving-average min/max, so any
 * observer kind can be chosen after calibration (or after --load-calib) without re-running. */
typedef struct oq_calib oq_calib;

/* Calibration inputs. Each entry is one file (.npy or .pb) or directory; with one model input,
 * every file is a sample (or a batch along dim 0 when its rank is one more than the input's, or
 * its dim 0 is a multiple of the model's batch). With several inputs, `spec` entries are
 * NAME=PATH (a file or a directory per input; directories are read in sorted order and paired
 * by position), or one directory holding one sub-directory per input name. */
typedef struct oq_calib_data {
    const char *const *spec;   /* paths or NAME=PATH entries */
    uint32_t nspec;
    const oq_rt_tensor *mem;   /* or samples in memory (when nmem > 0; spec is then unused):
                                  sample k's tensor for g->inputs[i] is mem[k * ninput + i],
                                  of exactly that input's dtype and shape, values finite */
    uint32_t nmem;
    bool skip_misfit;          /* files whose shape does not fit the graph's inputs are passed
                                  over instead of being an error (a graph fixed to one of the
                                  shapes of a calibration set whose samples differ) */
} oq_calib_data;

/* The sample files of a calibration spec, one list per graph input (same length, k-th files of
 * all inputs = sample k), resolved by the layout rules above (calib_data.c). USAGE / DATA /
 * IO errors name the entry or file. lists[g->ninput] zeroed by the caller; free each list. */
typedef struct oq_file_list {
    char **path;               /* malloc'd strings */
    uint32_t n, cap;
} oq_file_list;
oq_status oq_calib_files(const oq_graph *g, const oq_calib_data *data, oq_file_list *lists,
                         oq_diag *d) OQ_NODISCARD;
void oq_file_list_free(oq_file_list *f);

/* Creates observer state for every float graph input and node output of g, except outputs of
 * nodes marked onnxq_fused (only the activation after them is observed). */
oq_status oq_calib_new(const oq_graph *g, const oq_options *o, oq_calib **out,
                       oq_diag *d) OQ_NODISCARD;
void oq_calib_free(oq_calib *c);
/* Runs the fp32 interpreter once per sample, feeding every observer via the node hook.
 * Bad data (shape, dtype, NaN/Inf, unreadable) is an ERR_DATA naming the file. */
oq_status oq_calibrate(oq_calib *c, const oq_graph *g, const oq_calib_data *data,
                       const oq_options *o, oq_diag *d) OQ_NODISCARD;
/* Observes one sample: in[i] bound to g->inputs[i] (shapes exactly the graph's). Keeps an
 * interpreter over g between calls: call oq_calib_done before changing g (oq_calibrate does). */
oq_status oq_calib_feed(oq_calib *c, const oq_graph *g, const oq_rt_tensor *in,
                        oq_diag *d) OQ_NODISCARD;
/* Range of value v chosen by observer kind k (percentile from o, default 99.99); false when v
 * has no state or was never observed. */
bool oq_calib_range(const oq_calib *c, uint32_t v, oq_obs_kind k, float percentile, float *lo,
                    float *hi);
uint32_t oq_calib_samples(const oq_calib *c);
/* Releases the interpreter oq_calib_feed keeps (the observer state stays). */
void oq_calib_done(oq_calib *c);
/* A calibration state for graph dst that shares src's observer states (made on graph gsrc),
 * matched by value name; src must outlive it and not be fed while it lives. Used when src was
 * calibrated on a graph whose input dims are symbolic and dst is that graph fixed to one shape. */
oq_status oq_calib_view(const oq_calib *src, const oq_graph *gsrc, const oq_graph *dst,
                        oq_calib **out, oq_diag *d) OQ_NODISCARD;
/* Saves / loads the observer states (binary "OQCALIB1" file keyed by value name). */
oq_status oq_calib_save(const oq_calib *c, const oq_graph *g, const char *path,
                        oq_diag *d) OQ_NODISCARD;
oq_status oq_calib_load(oq_calib *c, const oq_graph *g, const char *path,
                        oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- biascorrect.c */
/* Bias correction (o->bias_correct): per-tap input means of every Conv/Gemm the quantizer will
 * quantize, measured on float runs; apply subtracts E[(W_q - W) x] from each bias (W_q as
 * oq_quantize makes it from o). Run after the float passes, before calibration. */
typedef struct oq_biascorr oq_biascorr;
oq_status oq_biascorr_new(const oq_graph *g, const oq_options *o, oq_biascorr **out,
                          oq_diag *d) OQ_NODISCARD;
/* Runs the float graph on one sample (in[i] bound to g->inputs[i]) and accumulates. */
oq_status oq_biascorr_feed(oq_biascorr *b, const oq_graph *g, const oq_rt_tensor *in,
                           oq_diag *d) OQ_NODISCARD;
/* Replaces the biases by corrected constants; DATA error when nothing was fed. */
oq_status oq_biascorr_apply(oq_biascorr *b, oq_graph *g, const oq_options *o,
                            oq_diag *d) OQ_NODISCARD;
void oq_biascorr_free(oq_biascorr *b);
/* new + feed over the calibration files (one-input models; calib_limit honoured) + apply. */
oq_status oq_bias_correct(oq_graph *g, const oq_calib_data *data, const oq_options *o,
                          oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- calib_data.c */
/* Called once per calibration sample: in[i] is bound to g->inputs[i] (its dtype and shape). */
typedef oq_status (*oq_sample_fn)(void *ctx, const oq_graph *g, const oq_rt_tensor *in,
                                  oq_diag *d);
/* The one sample reader: the samples of data (files by the layout and acceptance rules of
 * calib_data.c, or samples in memory), at most limit (0 = all), each handed to fn; progress
 * (may be NULL) after each file. The first error stops it: DATA / IO naming the file, or fn's. */
oq_status oq_for_each_sample(const oq_graph *g, const oq_calib_data *data, uint32_t limit,
                             oq_progress_fn progress, void *progress_ctx, oq_sample_fn fn,
                             void *ctx, oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- quantize.c */
/* Rewrites the float graph into the QDQ form (passes/README.md) using the calibration (static mode;
 * c may be NULL in dynamic mode). */
oq_status oq_quantize(oq_graph *g, const oq_calib *c, const oq_options *o,
                      oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- helpers (passes/util.c) */
/* The user rule that keeps node in float: named by o->exclude, or o->op_types is given without
 * its op type; OQ_FLOAT_NONE if neither. The quantizer records it on the node (float_why). */
OQ_INTERNAL oq_float_why oq_pass_float_why(const oq_graph *g, uint32_t node, const oq_options *o);
/* oq_pass_float_why(g, node, o) != OQ_FLOAT_NONE. */
OQ_INTERNAL bool oq_pass_excluded(const oq_graph *g, uint32_t node, const oq_options *o);
/* Adds a constant value (data copied) and returns its id, OQ_NONE on NOMEM. */
OQ_INTERNAL uint32_t oq_add_const(oq_graph *g, const char *base, oq_dtype dt, const oq_shape *s,
                                  const void *data);
/* Number of live nodes using v plus one if v is a graph output. Requires uses filled. */
OQ_INTERNAL uint32_t oq_use_count(const oq_graph *g, uint32_t v);
/* Finishes a pass: sweeps dead nodes, re-sorts, re-infers, verifies when o->verify. */
OQ_INTERNAL oq_status oq_pass_finish(oq_graph *g, const oq_options *o, oq_diag *d) OQ_NODISCARD;
#endif
