/* Range by entropy (TensorRT-style KL calibration, as in ONNX Runtime's calibrate.py): the
 * running histogram is folded onto |x| (2048 bins over [0, amax]); for each candidate threshold
 * bin i >= NQ the reference P = hist[0..i) with the outliers added to its last bin is compared
 * with Q = hist[0..i) merged into NQ levels and expanded back over the non-empty bins;
 * both are smoothed (eps 1e-4, as ORT) and the i with the smallest KL(P||Q) wins.
 * NQ = 128 (int8 levels per side); 256 when the data is one-sided (all >= 0, e.g. after ReLU),
 * since uint8 then spends all its levels on [0, threshold]; for such data the first bin (the
 * spike of exact zeros a ReLU leaves) is left out, else KL favours thresholds that keep the spike
 * unmerged and clips a half-normal at ~1.7 sigma instead of ~3.5. Not in PyTorch 1.13. */
#include <math.h>
#include <stdlib.h>

#include "observer.h"

/* Adds count spread uniformly over |x| in [a, b] (0 <= a <= b) onto h (n bins of width w). */
static void add_span(double *h, uint32_t n, double w, double a, double b, double count)
{
    if (count == 0.0)
        return;
    if (b <= a) {
        int64_t k = (int64_t)(a / w);
        h[k >= (int64_t)n ? n - 1 : k] += count;
        return;
    }
    double len = b - a;
    while (a < b) {
        int64_t k = (int64_t)(a / w);
        if (k >= (int64_t)n - 1) {
            h[n - 1] += count * (b - a) / len;
            return;
        }
        double e = (double)(k + 1) * w;
        if (e > b)
            e = b;
        if (e <= a) {                 /* rounding at an edge: step to the next bin */
            e = a + w * 1e-9;
        }
        h[k] += count * (e - a) / len;
        a = e;
    }
}

/* ORT smooth_distribution: move eps of mass onto the empty bins; false if all empty. */
static bool smooth(double *p, uint32_t n)
{
    const double eps = 1e-4;
    uint32_t nz = 0;
    for (uint32_t i = 0; i < n; i++)
        nz += p[i] == 0.0;
    if (nz == n)
        return false;
    double eps1 = eps * (double)nz / (double)(n - nz);
    for (uint32_t i = 0; i < n; i++)
        p[i] += p[i] == 0.0 ? eps : -eps1;
    return true;
}

static void normalize(double *p, uint32_t n)
{
    double s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += p[i];
    if (s > 0)
        for (uint32_t i = 0; i < n; i++)
            p[i] /= s;
}

void oq_hist_range_entropy(const oq_observer *o, float *lo, float *hi)
{
    *lo = o->hmin;
    *hi = o->hmax;
    if (!(o->hmin < o->hmax))
        return;
    const uint32_t nb = o->bins;
    double amax = fabs((double)o->hmin) > fabs((double)o->hmax) ? fabs((double)o->hmin)
                                                                 : fabs((double)o->hmax);
    double *h = calloc(3 * (size_t)nb, sizeof *h);
    if (!h)
        return;
    double *p = h + nb, *q = h + 2 * nb;
    double aw = amax / nb, bw = ((double)o->hmax - o->hmin) / nb;
    for (uint32_t i = 0; i < nb; i++) {
        double a = o->hmin + i * bw, b = a + bw;
        if (a >= 0)
            add_span(h, nb, aw, a, b, o->hist[i]);
        else if (b <= 0)
            add_span(h, nb, aw, -b, -a, o->hist[i]);
        else {
            add_span(h, nb, aw, 0, -a, o->hist[i] * (-a) / bw);
            add_span(h, nb, aw, 0, b, o->hist[i] * b / bw);
        }
    }
    if (o->hmin >= 0)
        h[0] = 0;              /* the ReLU spike at zero says nothing about the range */
    const uint32_t nq = o->hmin >= 0 ? 256 : 128;
    double best = INFINITY;
    uint32_t best_i = nb;
    double outliers = 0;
    for (uint32_t i = 0; i < nb; i++)
        outliers += h[i];
    for (uint32_t i = 0; i < nq; i++)
        outliers -= h[i];
    for (uint32_t i = nq; i <= nb; i++) {
        /* outliers == sum h[i..nb) */
        for (uint32_t k = 0; k < i; k++)
            p[k] = h[k];
        p[i - 1] += outliers;
        uint32_t merged = i / nq;
        for (uint32_t c = 0; c < nq; c++) {
            uint32_t s = c * merged, e = c == nq - 1 ? i : s + merged;
            double sum = 0;
            uint32_t nz = 0;
            for (uint32_t k = s; k < e; k++) {
                sum += h[k];
                nz += h[k] != 0.0;
            }
            for (uint32_t k = s; k < e; k++)
                q[k] = nz && h[k] != 0.0 ? sum / nz : 0.0;
        }
        normalize(p, i);
        normalize(q, i);
        if (i < nb)
            outliers -= h[i];
        if (!smooth(p, i) || !smooth(q, i))
            continue;
        double kl = 0;
        for (uint32_t k = 0; k < i; k++)
            if (p[k] > 0 && q[k] > 0)
                kl += p[k] * log(p[k] / q[k]);
        if (kl < best) {
            best = kl;
            best_i = i;
        }
    }
    free(h);
    float th = (float)(best_i * aw);
    *lo = o->hmin > -th ? o->hmin : -th;
    *hi = o->hmax < th ? o->hmax : th;
}
