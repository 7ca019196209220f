/* Range by L2 quantization-error search over the histogram: PyTorch 1.13's
 * HistogramObserver._non_linear_param_search / _compute_quantization_error (from caffe2's
 * NormMinimization), the default HistogramObserver behaviour. Bins are dropped from whichever
 * side is cheaper in 1e-5 quantile steps while the estimated L2 error keeps falling.
 * Computed in double where PyTorch mixes float32 tensors and Python floats. */
#include <math.h>
#include <stdlib.h>

#include "observer.h"

#define DST_NBINS 256            /* 2 ** iinfo(quint8 / qint8).bits */

/* density * integral_{b}^{e} x^2 dx */
static double l2norm(double b, double e, double density)
{
    return density * (e * e * e - b * b * b) / 3.0;
}

/* _compute_quantization_error: error of quantizing bins [sb, eb] onto DST_NBINS levels. */
static double qerror(const oq_observer *o, int64_t sb, int64_t eb)
{
    double bw = ((double)o->hmax - (double)o->hmin) / o->bins;
    double dw = bw * (double)(eb - sb + 1) / DST_NBINS;
    if (dw == 0.0)
        return 0.0;
    double total = 0.0;
    for (int64_t i = 0; i < (int64_t)o->bins; i++) {
        double density = o->hist[i] / bw;
        if (density == 0.0)
            continue;
        double b = (double)(i - sb) * bw, e = b + bw;
        double db = floor(b / dw), de = floor(e / dw);
        db = db < 0 ? 0 : db > DST_NBINS - 1 ? DST_NBINS - 1 : db;
        de = de < 0 ? 0 : de > DST_NBINS - 1 ? DST_NBINS - 1 : de;
        double dbc = (db + 0.5) * dw;
        double norm = l2norm(b - dbc, dw / 2, density);
        norm += (de - db - 1) * l2norm(-dw / 2, dw / 2, density);
        double dec = de * dw + dw / 2;
        norm += l2norm(-dw / 2, e - dec, density);
        total += norm;
    }
    return total;
}

void oq_hist_range_mse(const oq_observer *o, float *lo, float *hi)
{
    if (isinf(o->hmin) && o->hmin > 0) {
        *lo = INFINITY;
        *hi = -INFINITY;
        return;
    }
    int64_t nb = o->bins;
    double *csum = malloc(nb * sizeof *csum);
    if (!csum) {                       /* fall back to the full range */
        *lo = o->hmin;
        *hi = o->hmax;
        return;
    }
    double total = 0;
    for (int64_t i = 0; i < nb; i++) {
        total += o->hist[i];
        csum[i] = total;
    }
    const double step = 1e-5;
    double alpha = 0.0, beta = 1.0, norm_min = INFINITY;
    int64_t sb = 0, eb = nb - 1;
    while (alpha < beta) {
        double na = alpha + step, nbeta = beta - step;
        int64_t l = sb, r = eb;
        while (l < eb && csum[l] < na * total)
            l++;
        while (r > sb && csum[r] > nbeta * total)
            r--;
        int64_t nsb = sb, neb = eb;
        if ((l - sb) > (eb - r)) {
            nsb = l;
            alpha = na;
        } else {
            neb = r;
            beta = nbeta;
        }
        if (nsb == sb && neb == eb)
            continue;
        double norm = qerror(o, nsb, neb);
        if (norm > norm_min)
            break;
        norm_min = norm;
        sb = nsb;
        eb = neb;
    }
    free(csum);
    float bw = (o->hmax - o->hmin) / (float)o->bins;     /* float32, as the torch tensors */
    *lo = o->hmin + bw * (float)sb;
    *hi = o->hmin + bw * (float)(eb + 1);
}
