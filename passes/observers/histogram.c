/* Running histogram (PyTorch HistogramObserver.forward, 2048 bins, upsample rate 128): the
 * first tensor sets [min, max] and is binned like torch.histc; a later tensor that widens the
 * range grows it to a whole multiple of the old bin grid (only max is relaxed) and the old
 * counts are resampled onto the new bins (the upsample / integral / downsample of
 * _combine_histograms, done bin by bin instead of through a 2048*rate array). Difference:
 * PyTorch calls histc(min=int(min_val), max=int(max_val)), truncating the edges to integers
 * (a 1.13 bug); we bin with the true float edges. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "observer.h"

/* torch.histc over [lo, hi] (lo == hi widens to [lo-1, hi+1]); adds counts into h. */
static void histc(const float *x, int64_t n, uint32_t bins, float lo, float hi, double *h)
{
    if (lo == hi) {
        lo -= 1.0f;
        hi += 1.0f;
    }
    float w = hi - lo;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (!(v >= lo && v <= hi))   /* also skips NaN */
            continue;
        int64_t pos = (int64_t)((v - lo) * (float)bins / w);
        if (pos >= (int64_t)bins)
            pos = bins - 1;
        h[pos] += 1.0;
    }
}

static void tensor_minmax(const float *x, int64_t n, float *mn, float *mx)
{
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
    *mn = lo;
    *mx = hi;
}

/* new[j] += resampled old histogram: old bin i covers fine cells [start + i*up, +up) of a grid
 * whose new bin j covers cells [j*down, (j+1)*down); each cell carries old[i] / up. */
static void combine(double *nh, const double *old, uint32_t bins, int64_t up, int64_t down,
                    int64_t start)
{
    int64_t ncell = (int64_t)bins * down;
    for (uint32_t i = 0; i < bins; i++) {
        if (old[i] == 0.0)
            continue;
        int64_t a = start + (int64_t)i * up, b = a + up;
        if (a < 0)
            a = 0;
        if (b > ncell)
            b = ncell;
        while (a < b) {
            int64_t j = a / down;
            int64_t e = (j + 1) * down < b ? (j + 1) * down : b;
            nh[j] += old[i] * (double)(e - a) / (double)up;
            a = e;
        }
    }
}

void oq_hist_observe(oq_observer *o, const float *x, const oq_shape *s)
{
    int64_t n = oq_shape_numel(s);
    if (n <= 0)
        return;
    float nmin, nmax;
    tensor_minmax(x, n, &nmin, &nmax);
    if (!isfinite(nmin))
        return;
    o->nobs++;
    o->min[0] = nmin < o->min[0] ? nmin : o->min[0];
    o->max[0] = nmax > o->max[0] ? nmax : o->max[0];
    bool uninit = isinf(o->hmin) && o->hmin > 0;
    if (uninit || o->hmin == o->hmax) {           /* PyTorch restarts on a degenerate range */
        o->hmin = nmin;
        o->hmax = nmax;
        memset(o->hist, 0, o->bins * sizeof *o->hist);
        histc(x, n, o->bins, nmin, nmax, o->hist);
        return;
    }
    float cmin = nmin < o->hmin ? nmin : o->hmin;
    float cmax = nmax > o->hmax ? nmax : o->hmax;
    /* _adjust_min_max, in float32 like the torch tensors */
    float hbw = (o->hmax - o->hmin) / (float)(o->bins * OQ_HIST_UPSAMPLE);
    float span = (float)o->bins * hbw;
    double dr = ceil((double)((cmax - cmin) / span));
    int64_t down = dr < 1 ? 1 : dr > 1e12 ? (int64_t)1e12 : (int64_t)dr;
    float e = (float)down * span - (cmax - cmin);
    cmax = cmax + e;
    int64_t start = (int64_t)nearbyint((double)((o->hmin - cmin) / hbw));
    double *nh = calloc(o->bins, sizeof *nh);
    if (!nh)
        return;                                   /* keep the old state; cannot happen twice */
    histc(x, n, o->bins, cmin, cmax, nh);
    if (cmin == o->hmin && cmax == o->hmax) {
        for (uint32_t i = 0; i < o->bins; i++)
            nh[i] += o->hist[i];
    } else {
        combine(nh, o->hist, o->bins, OQ_HIST_UPSAMPLE, down, start);
    }
    memcpy(o->hist, nh, o->bins * sizeof *nh);
    free(nh);
    o->hmin = cmin;
    o->hmax = cmax;
}

const oq_observer_vt oq_obs_mse_vt = {"mse", true, oq_hist_observe, oq_hist_range_mse};
const oq_observer_vt oq_obs_entropy_vt = {"entropy", true, oq_hist_observe,
                                          oq_hist_range_entropy};
const oq_observer_vt oq_obs_percentile_vt = {"percentile", true, oq_hist_observe,
                                             oq_hist_range_percentile};
