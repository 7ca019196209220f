/* pool.c: MaxPool (optionally with indices), AveragePool (1-3 spatial dims, dilations, clipped
 * windows) and the global pools (see ops.h), each loop written once for every element type the
 * interpreter and the emitted C run them on. Averages sum in double and divide once. */
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

/* The MaxPool of one element type T, written once for float, double, uint8 and int8: windows
 * clipped to the input, the first greatest value wins (NaN never does), an empty window gives
 * LOWEST and index -1. ind (NULL: not wanted) gets each maximum's flat input index, the plane's
 * offset included, over the spatial dims row-major or, with col_major, reversed. */
#define MAXPOOL_KERNEL(NAME, T, LOWEST)                                                           \
    void NAME(const oq_f32_pool *p, const T *x, T *y, int64_t *ind, int col_major)                \
    {                                                                                             \
        int64_t plane_in = p->in[0] * p->in[1] * p->in[2];                                        \
        for (int64_t c = 0; c < p->nc; c++) {                                                     \
            const T *xc = x + c * plane_in;                                                       \
            for (int64_t o0 = 0; o0 < p->out[0]; o0++) {                                          \
                int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0;                                     \
                oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);                   \
                for (int64_t o1 = 0; o1 < p->out[1]; o1++) {                                      \
                    int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1;                                 \
                    oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);               \
                    for (int64_t o2 = 0; o2 < p->out[2]; o2++) {                                  \
                        int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2;                             \
                        oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);           \
                        T best = LOWEST;                                                          \
                        int64_t bi = -1;                                                          \
                        for (int64_t k0 = a0; k0 < b0; k0++)                                      \
                            for (int64_t k1 = a1; k1 < b1; k1++) {                                \
                                int64_t r = ((s0 + k0 * p->dl[0]) * p->in[1] + s1 +               \
                                             k1 * p->dl[1]) * p->in[2] + s2;                      \
                                for (int64_t k2 = a2; k2 < b2; k2++) {                            \
                                    T v = xc[r + k2 * p->dl[2]];                                  \
                                    if (v > best || bi < 0) {                                     \
                                        best = v > best ? v : best;                               \
                                        bi = r + k2 * p->dl[2];                                   \
                                    }                                                             \
                                }                                                                 \
                            }                                                                     \
                        *y++ = best;                                                              \
                        if (ind)                                                                  \
                            *ind++ = bi < 0 ? -1 : c * plane_in + flat_index(p, bi, col_major);   \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

/* Row-major flat spatial index i, or its column-major (reversed dims) counterpart. */
static int64_t flat_index(const oq_f32_pool *p, int64_t i, int col_major)
{
    if (!col_major)
        return i;
    int64_t d = i / (p->in[1] * p->in[2]), h = i / p->in[2] % p->in[1], w = i % p->in[2];
    return (w * p->in[1] + h) * p->in[0] + d;
}

MAXPOOL_KERNEL(oq_f32_maxpool_idx__scalar, float, -INFINITY)
MAXPOOL_KERNEL(oq_f64_maxpool_idx__scalar, double, -INFINITY)
MAXPOOL_KERNEL(oq_u8_maxpool_idx__scalar, uint8_t, 0)
MAXPOOL_KERNEL(oq_s8_maxpool_idx__scalar, int8_t, INT8_MIN)

/* MaxPool over nc planes without indices. */
void oq_f32_maxpool__scalar(const oq_f32_pool *p, const float *x, float *y)
{
    oq_f32_maxpool_idx__scalar(p, x, y, NULL, 0);
}

/* The AveragePool of one element type T (float, double): the divisor follows include_pad (an
 * empty window gives 0), the sum in double. */
#define AVGPOOL_KERNEL(NAME, T)                                                                   \
    void NAME(const oq_f32_pool *p, const T *x, T *y)                                             \
    {                                                                                             \
        int64_t plane_in = p->in[0] * p->in[1] * p->in[2];                                        \
        for (int64_t c = 0; c < p->nc; c++) {                                                     \
            const T *xc = x + c * plane_in;                                                       \
            for (int64_t o0 = 0; o0 < p->out[0]; o0++) {                                          \
                int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0, c0, e0;                             \
                oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);                   \
                oq_f32_pool_taps(s0, p->k[0], p->dl[0], -p->pb[0], p->in[0] + p->pe[0], &c0,      \
                                 &e0);                                                            \
                for (int64_t o1 = 0; o1 < p->out[1]; o1++) {                                      \
                    int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1, c1, e1;                         \
                    oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);               \
                    oq_f32_pool_taps(s1, p->k[1], p->dl[1], -p->pb[1], p->in[1] + p->pe[1], &c1,  \
                                     &e1);                                                        \
                    for (int64_t o2 = 0; o2 < p->out[2]; o2++) {                                  \
                        int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2, c2, e2;                     \
                        oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);           \
                        oq_f32_pool_taps(s2, p->k[2], p->dl[2], -p->pb[2], p->in[2] + p->pe[2],   \
                                         &c2, &e2);                                               \
                        double sum = 0;                                                           \
                        for (int64_t k0 = a0; k0 < b0; k0++)                                      \
                            for (int64_t k1 = a1; k1 < b1; k1++)                                  \
                                for (int64_t k2 = a2; k2 < b2; k2++)                              \
                                    sum += xc[((s0 + k0 * p->dl[0]) * p->in[1] + s1 +             \
                                               k1 * p->dl[1]) * p->in[2] + s2 + k2 * p->dl[2]];   \
                        int64_t cnt = p->include_pad ? (e0 - c0) * (e1 - c1) * (e2 - c2)          \
                                                     : (b0 - a0) * (b1 - a1) * (b2 - a2);         \
                        *y++ = (T)(cnt ? sum / (double)cnt : 0.0);                                \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

AVGPOOL_KERNEL(oq_f32_averagepool__scalar, float)
AVGPOOL_KERNEL(oq_f64_averagepool__scalar, double)

/* The global pools of one element type T (float, double): sums and maxima in double. */
#define GLOBALPOOL_KERNELS(AVG, MAX, T)                                                           \
    void AVG(int64_t nc, int64_t sp, const T *x, T *y)                                            \
    {                                                                                             \
        for (int64_t c = 0; c < nc; c++) {                                                        \
            const T *p = x + c * sp;                                                              \
            double acc = 0.0;                                                                     \
            for (int64_t i = 0; i < sp; i++)                                                      \
                acc += p[i];                                                                      \
            y[c] = (T)(sp ? acc / (double)sp : 0.0);                                              \
        }                                                                                         \
    }                                                                                             \
    void MAX(int64_t nc, int64_t sp, const T *x, T *y)                                            \
    {                                                                                             \
        for (int64_t c = 0; c < nc; c++) {                                                        \
            const T *p = x + c * sp;                                                              \
            double acc = -INFINITY;                                                               \
            for (int64_t i = 0; i < sp; i++)                                                      \
                acc = p[i] > acc ? p[i] : acc;                                                    \
            y[c] = (T)acc;                                                                        \
        }                                                                                         \
    }

GLOBALPOOL_KERNELS(oq_f32_globalaveragepool__scalar, oq_f32_globalmaxpool__scalar, float)
GLOBALPOOL_KERNELS(oq_f64_globalaveragepool__scalar, oq_f64_globalmaxpool__scalar, double)
