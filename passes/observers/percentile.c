/* Range by percentile over the running histogram (--percentile 99.99): hi is the p-th
 * percentile and lo the (100-p)-th, interpolated linearly inside a bin; data that is all >= 0
 * keeps lo = min (one-sided, e.g. after ReLU). ONNX Runtime's percentile calibrator uses |x|
 * and a symmetric range; ours is two-sided, which suits uint8 affine activations. */
#include <math.h>

#include "observer.h"

/* Value below which a fraction f of the histogram's mass lies. */
static float quantile(const oq_observer *o, double total, double f)
{
    double target = f * total, cum = 0;
    double bw = ((double)o->hmax - o->hmin) / o->bins;
    for (uint32_t i = 0; i < o->bins; i++) {
        if (o->hist[i] > 0 && cum + o->hist[i] >= target) {
            double frac = (target - cum) / o->hist[i];
            frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
            return (float)(o->hmin + (i + frac) * bw);
        }
        cum += o->hist[i];
    }
    return o->hmax;
}

void oq_hist_range_percentile(const oq_observer *o, float *lo, float *hi)
{
    *lo = o->hmin;
    *hi = o->hmax;
    if (!(o->hmin < o->hmax))
        return;
    double total = 0;
    for (uint32_t i = 0; i < o->bins; i++)
        total += o->hist[i];
    if (total <= 0)
        return;
    double p = o->percentile / 100.0;
    p = p < 0.5 ? 0.5 : p > 1.0 ? 1.0 : p;
    *hi = quantile(o, total, p);
    if (o->hmin < 0)
        *lo = quantile(o, total, 1.0 - p);
}
