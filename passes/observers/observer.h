/* Calibration observers (PyTorch names and formulas): a tiny vtable {init, observe, finalize}
 * per kind. Observers keep running statistics only (per-channel min/max, one fixed 2048-bin
 * histogram), never activations, so memory is bounded whatever the number of samples.
 * finalize() yields the chosen float range per channel; oq_calc_qparams() turns a range into
 * (scale, zero_point) exactly as torch.ao.quantization's _calculate_qparams does, in float32.
 * Deliberate differences from PyTorch 1.13 are listed in passes/observers/README.md. */
#ifndef OQ_OBSERVER_H
#define OQ_OBSERVER_H
#include "../../ir/ir.h"

/* OQ_OBSERVER(ID, "cli name", vtable symbol) */
#define OQ_OBSERVER_LIST(X)                                                                        \
    X(MINMAX, "minmax", oq_obs_minmax_vt)                                                          \
    X(MOVING_AVG, "moving-average", oq_obs_movavg_vt)                                              \
    X(MSE, "mse", oq_obs_mse_vt)                                                                   \
    X(ENTROPY, "entropy", oq_obs_entropy_vt)                                                       \
    X(PERCENTILE, "percentile", oq_obs_percentile_vt)

typedef enum oq_obs_kind {
#define OQ_X(id, str, vt) OQ_OBS_##id,
    OQ_OBSERVER_LIST(OQ_X)
#undef OQ_X
    OQ_OBS_COUNT
} oq_obs_kind;

#define OQ_HIST_BINS 2048      /* PyTorch HistogramObserver default */
#define OQ_HIST_UPSAMPLE 128   /* PyTorch upsample_rate */
#define OQ_MOVAVG_CONST 0.01f  /* PyTorch averaging_constant */

typedef struct oq_observer oq_observer;

typedef struct oq_observer_vt {
    const char *name;          /* CLI / state-file name */
    bool histogram;            /* keeps the running histogram (per tensor only) */
    /* Observes one tensor x of shape s (non-finite elements are skipped). */
    void (*observe)(oq_observer *o, const float *x, const oq_shape *s);
    /* Chosen range per channel into lo[nch], hi[nch]; unobserved: +inf / -inf. */
    void (*finalize)(const oq_observer *o, float *lo, float *hi);
} oq_observer_vt;

struct oq_observer {
    const oq_observer_vt *vt;  /* behaviour */
    oq_obs_kind kind;          /* which entry of OQ_OBSERVER_LIST */
    int32_t axis;              /* channel axis, -1 = per tensor */
    uint32_t nch;              /* channels (1 when per tensor) */
    float *min, *max;          /* running min/max per channel (malloc), +inf/-inf until seen */
    uint64_t nobs;             /* tensors observed */
    float avg_const;           /* moving-average constant */
    float percentile;          /* percentile kind: e.g. 99.99 */
    uint32_t bins;             /* histogram bins */
    float hmin, hmax;          /* histogram range (PyTorch's min_val/max_val) */
    double *hist;              /* bins counts (malloc) or NULL */
};

/* How a range becomes qparams (PyTorch qscheme + dtype + quant_min/max). */
typedef struct oq_qscheme {
    oq_dtype dtype;            /* OQ_DT_UINT8 or OQ_DT_INT8 */
    bool symmetric;            /* per_*_symmetric */
    bool reduce_range;         /* drop one bit: u8 [0,127], s8 [-64,63] */
    bool narrow;               /* custom range [-127,127] (weights; PyTorch quant_min=-127) */
} oq_qscheme;

extern const oq_observer_vt oq_obs_minmax_vt, oq_obs_movavg_vt, oq_obs_mse_vt,
    oq_obs_entropy_vt, oq_obs_percentile_vt;

/* Sets up o (axis -1 = per tensor, else nch channels along axis). Histogram kinds are per
 * tensor only (as in PyTorch): axis >= 0 gives USAGE. NOMEM when malloc fails. */
oq_status oq_observer_init(oq_observer *o, oq_obs_kind kind, int32_t axis, uint32_t nch,
                           oq_diag *d) OQ_NODISCARD;
void oq_observer_free(oq_observer *o);               /* frees what init allocated */
oq_obs_kind oq_observer_lookup(const char *name);    /* OQ_OBS_COUNT if unknown */
const char *oq_observer_name(oq_obs_kind k);

/* torch.ao.quantization.utils.calculate_qmin_qmax for our schemes. */
void oq_qrange(const oq_qscheme *q, int32_t *qmin, int32_t *qmax);
/* PyTorch _calculate_qparams for n channels; an unobserved range (+inf/-inf) gives 1.0 / 0. */
void oq_calc_qparams(const oq_qscheme *q, const float *lo, const float *hi, uint32_t n,
                     float *scale, int32_t *zp);
/* finalize + calc_qparams; scale/zp have o->nch entries. */
oq_status oq_observer_qparams(const oq_observer *o, const oq_qscheme *q, float *scale,
                              int32_t *zp, oq_diag *d) OQ_NODISCARD;

/* histogram.c, for the histogram range choices */
OQ_INTERNAL void oq_hist_observe(oq_observer *o, const float *x, const oq_shape *s);
/* mse.c / entropy.c / percentile.c: range from the histogram */
OQ_INTERNAL void oq_hist_range_mse(const oq_observer *o, float *lo, float *hi);
OQ_INTERNAL void oq_hist_range_entropy(const oq_observer *o, float *lo, float *hi);
OQ_INTERNAL void oq_hist_range_percentile(const oq_observer *o, float *lo, float *hi);
#endif
