/* norm.c: the normalizations of floats (see ops.h). Statistics in double, in element order:
 * mean, then the mean of squared deviations (biased), as two passes.
 * LayerNormalization over the last `inner` elements of each of `outer` rows:
 * inv = 1 / sqrt(var + eps); y = (x - mean) * inv * scale + bias in double, rounded to float.
 * InstanceNormalization per plane of sp elements (n x c planes), scale and bias per channel. */
#include "ops.h"

#include <math.h>

void oq_f32_layernorm__scalar(int64_t outer, int64_t inner, const float *x, const float *scale,
                              const float *bias, float eps, float *y, float *mean, float *invstd)
{
    for (int64_t o = 0; o < outer; o++) {
        const float *xr = x + o * inner;
        float *yr = y + o * inner;
        double m = 0, var = 0;
        for (int64_t i = 0; i < inner; i++)
            m += xr[i];
        m /= (double)inner;
        for (int64_t i = 0; i < inner; i++) {
            double t = xr[i] - m;
            var += t * t;
        }
        var /= (double)inner;
        double inv = 1.0 / sqrt(var + (double)eps);
        for (int64_t i = 0; i < inner; i++) {
            double v = (xr[i] - m) * inv * scale[i];
            if (bias)
                v += bias[i];
            yr[i] = (float)v;
        }
        if (mean)
            mean[o] = (float)m;
        if (invstd)
            invstd[o] = (float)inv;
    }
}

void oq_f32_instancenormalization__scalar(int64_t n, int64_t c, int64_t sp, const float *x,
                                          const float *scale, const float *bias, float eps,
                                          float *y)
{
    for (int64_t p = 0; p < n * c; p++) {
        const float *xp = x + p * sp;
        float *yp = y + p * sp;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < sp; i++)
            mean += xp[i];
        mean = sp ? mean / (double)sp : 0.0;
        for (int64_t i = 0; i < sp; i++) {
            double t = xp[i] - mean;
            var += t * t;
        }
        var = sp ? var / (double)sp : 0.0;
        double k = (double)scale[p % c] / sqrt(var + (double)eps), b = bias[p % c];
        for (int64_t i = 0; i < sp; i++)
            yp[i] = (float)((xp[i] - mean) * k + b);
    }
}
