/* MinMax and MovingAverageMinMax observers, per tensor or per channel (PyTorch MinMaxObserver,
 * PerChannelMinMaxObserver, MovingAverage[PerChannel]MinMaxObserver). The first tensor sets
 * min/max; later ones take min/max (MinMax) or move by c*(cur - run) in float32 (moving average,
 * c = 0.01). Non-finite elements are skipped (PyTorch would propagate NaN into the range). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "observer.h"

/* Current per-channel min/max of x into cmin/cmax (nch entries) (+inf/-inf where nothing finite). */
static void tensor_minmax(const oq_observer *o, const float *x, const oq_shape *s, float *cmin,
                          float *cmax)
{
    int64_t outer = 1, inner = 1, c = 1;
    for (int i = 0; i < s->rank; i++) {
        if (o->axis < 0 || i == o->axis)
            c *= o->axis < 0 ? 1 : s->dim[i];
        if (o->axis < 0 || i > o->axis)
            inner *= s->dim[i];
        else if (i < o->axis)
            outer *= s->dim[i];
    }
    assert(c == (int64_t)o->nch);
    for (uint32_t k = 0; k < o->nch; k++) {
        cmin[k] = INFINITY;
        cmax[k] = -INFINITY;
    }
    for (int64_t a = 0; a < outer; a++)
        for (int64_t k = 0; k < c; k++) {
            const float *p = x + (a * c + k) * inner;
            float lo = cmin[k], hi = cmax[k];
            for (int64_t i = 0; i < inner; i++) {
                float v = p[i];
                if (!isfinite(v))
                    continue;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            cmin[k] = lo;
            cmax[k] = hi;
        }
}

#define CHUNK 256

/* Requires shape rank >= 1 along the axis; empty tensors are ignored (PyTorch does the same). */
static void minmax_observe(oq_observer *o, const float *x, const oq_shape *s)
{
    if (oq_shape_numel(s) <= 0)
        return;
    float cmin[CHUNK], cmax[CHUNK];
    float *mn = cmin, *mx = cmax;
    float *heap = NULL;
    if (o->nch > CHUNK) {
        heap = malloc(2 * (size_t)o->nch * sizeof *heap);
        if (!heap)
            return;           /* cannot happen for sane channel counts; range stays as is */
        mn = heap;
        mx = heap + o->nch;
    }
    tensor_minmax(o, x, s, mn, mx);
    for (uint32_t k = 0; k < o->nch; k++) {
        if (o->kind == OQ_OBS_MOVING_AVG && isfinite(o->min[k]) && isfinite(mn[k])) {
            o->min[k] = o->min[k] + o->avg_const * (mn[k] - o->min[k]);
            o->max[k] = o->max[k] + o->avg_const * (mx[k] - o->max[k]);
        } else {
            o->min[k] = mn[k] < o->min[k] ? mn[k] : o->min[k];
            o->max[k] = mx[k] > o->max[k] ? mx[k] : o->max[k];
        }
    }
    o->nobs++;
    free(heap);
}

static void minmax_finalize(const oq_observer *o, float *lo, float *hi)
{
    for (uint32_t k = 0; k < o->nch; k++) {
        lo[k] = o->min[k];
        hi[k] = o->max[k];
    }
}

const oq_observer_vt oq_obs_minmax_vt = {"minmax", false, minmax_observe, minmax_finalize};
const oq_observer_vt oq_obs_movavg_vt = {"moving-average", false, minmax_observe, minmax_finalize};
