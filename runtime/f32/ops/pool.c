/* pool.c: float MaxPool, AveragePool (1-3 spatial dims, dilations, clipped windows) and the
 * global pools (see ops.h). Averages sum in double and divide once. */
#include "ops.h"

#include <math.h>

void oq_f32_pool_taps(int64_t start, int64_t k, int64_t dl, int64_t lo, int64_t hi,
                      int64_t *k0, int64_t *k1)
{
    int64_t a = 0;
    if (start < lo)
        a = (lo - start + dl - 1) / dl;
    int64_t b = k;
    if (start + (k - 1) * dl >= hi)
        b = hi - start > 0 ? (hi - start + dl - 1) / dl : 0;
    *k0 = a;
    *k1 = b > a ? b : a;
}

/* MaxPool over nc planes (windows clipped to the input; an empty window gives -inf). */
void oq_f32_maxpool__scalar(const oq_f32_pool *p, const float *x, float *y)
{
    int64_t plane_in = p->in[0] * p->in[1] * p->in[2];
    for (int64_t c = 0; c < p->nc; c++) {
        const float *xc = x + c * plane_in;
        for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
            int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0;
            oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);
            for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
                int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1;
                oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);
                for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                    int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2;
                    oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);
                    float best = -INFINITY;
                    for (int64_t k0 = a0; k0 < b0; k0++)
                        for (int64_t k1 = a1; k1 < b1; k1++) {
                            const float *row = xc + ((s0 + k0 * p->dl[0]) * p->in[1] + s1 +
                                                     k1 * p->dl[1]) * p->in[2] + s2;
                            for (int64_t k2 = a2; k2 < b2; k2++) {
                                float v = row[k2 * p->dl[2]];
                                best = v > best ? v : best;
                            }
                        }
                    *y++ = best;
                }
            }
        }
    }
}

/* AveragePool; the divisor follows include_pad (an empty window gives 0). */
void oq_f32_averagepool__scalar(const oq_f32_pool *p, const float *x, float *y)
{
    int64_t plane_in = p->in[0] * p->in[1] * p->in[2];
    for (int64_t c = 0; c < p->nc; c++) {
        const float *xc = x + c * plane_in;
        for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
            int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0, c0, e0;
            oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);
            oq_f32_pool_taps(s0, p->k[0], p->dl[0], -p->pb[0], p->in[0] + p->pe[0], &c0, &e0);
            for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
                int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1, c1, e1;
                oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);
                oq_f32_pool_taps(s1, p->k[1], p->dl[1], -p->pb[1], p->in[1] + p->pe[1], &c1,
                                 &e1);
                for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                    int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2, c2, e2;
                    oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);
                    oq_f32_pool_taps(s2, p->k[2], p->dl[2], -p->pb[2], p->in[2] + p->pe[2],
                                     &c2, &e2);
                    double sum = 0;
                    for (int64_t k0 = a0; k0 < b0; k0++)
                        for (int64_t k1 = a1; k1 < b1; k1++)
                            for (int64_t k2 = a2; k2 < b2; k2++)
                                sum += xc[((s0 + k0 * p->dl[0]) * p->in[1] + s1 +
                                           k1 * p->dl[1]) * p->in[2] + s2 + k2 * p->dl[2]];
                    int64_t cnt = p->include_pad ? (e0 - c0) * (e1 - c1) * (e2 - c2)
                                                 : (b0 - a0) * (b1 - a1) * (b2 - a2);
                    *y++ = (float)(cnt ? sum / (double)cnt : 0.0);
                }
            }
        }
    }
}

void oq_f32_globalaveragepool__scalar(int64_t nc, int64_t sp, const float *x, float *y)
{
    for (int64_t c = 0; c < nc; c++) {
        const float *p = x + c * sp;
        double acc = 0.0;
        for (int64_t i = 0; i < sp; i++)
            acc += p[i];
        y[c] = (float)(sp ? acc / (double)sp : 0.0);
    }
}

void oq_f32_globalmaxpool__scalar(int64_t nc, int64_t sp, const float *x, float *y)
{
    for (int64_t c = 0; c < nc; c++) {
        const float *p = x + c * sp;
        double acc = -INFINITY;
        for (int64_t i = 0; i < sp; i++)
            acc = p[i] > acc ? p[i] : acc;
        y[c] = (float)acc;
    }
}
