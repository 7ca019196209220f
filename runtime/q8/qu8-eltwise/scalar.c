/* qu8-eltwise/scalar.c: portable fast versions of the element-wise kernels, bit-identical to the
 * references in eltwise.c/pool.c/quant.c (which call libm's nearbyint/lrintf per element): the
 * value is clamped first, so |v| < 2^22 and (v + 1.5*2^52) - 1.5*2^52 rounds it to an integer in
 * the current rounding mode exactly as nearbyint does (float: 1.5*2^23). Where the compiler may
 * not keep that (x87 excess precision, -ffast-math) the libm call stays. Loops are specialised
 * per dtype so the element loads carry no branch. Also the tail code of the SIMD variants. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "../requant.h"
#include "qu8-eltwise.h"

#if defined(__GNUC__)
#define OQ_INLINE static inline __attribute__((always_inline))
#else
#define OQ_INLINE static inline
#endif

#if FLT_EVAL_METHOD == 0 && !defined(__FAST_MATH__)
/* nearbyint(d) for |d| < 2^51 */
OQ_INLINE double rint_d(double d)
{
    return (d + 0x1.8p52) - 0x1.8p52;
}
/* nearbyintf(f) for |f| < 2^22 */
OQ_INLINE float rint_f(float f)
{
    return (f + 0x1.8p23f) - 0x1.8p23f;
}
#else
OQ_INLINE double rint_d(double d)
{
    return nearbyint(d);
}
OQ_INLINE float rint_f(float f)
{
    return nearbyintf(f);
}
#endif

/* oq_q8_round_sat without the libm call. */
OQ_INLINE int32_t round_sat_d(double d, int32_t zp, double lo, double hi)
{
    d = d > lo ? d : lo;
    d = d < hi ? d : hi;
    return (int32_t)rint_d(d) + zp;
}

/* oq_requantize_fp32 without the libm call (lo/hi already qmin - zp, qmax - zp). */
OQ_INLINE int32_t requant_f(int32_t x, float r, int32_t zp, float lo, float hi)
{
    float f = (float)x * r;
    f = f > lo ? f : lo;
    f = f < hi ? f : hi;
    return (int32_t)rint_f(f) + zp;
}

OQ_INLINE int32_t ld(const void *p, size_t i, oq_q8_dtype dt)
{
    return dt == OQ_Q8_S8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

OQ_INLINE void st(void *p, size_t i, int32_t v, oq_q8_dtype dt)
{
    if (dt == OQ_Q8_S8)
        ((int8_t *)p)[i] = (int8_t)v;
    else
        ((uint8_t *)p)[i] = (uint8_t)v;
}

OQ_INLINE void add_dt(size_t n, const void *a, const void *b, size_t bs, void *y,
                      const oq_q8_binary *p, oq_q8_dtype dt)
{
    const double ra = p->a_mul, rb = p->b_mul;
    const double lo = (double)(p->qmin - p->y_zp), hi = (double)(p->qmax - p->y_zp);
    for (size_t i = 0; i < n; i++) {
        double d = (double)(ld(a, i, dt) - p->a_zp) * ra +
                   (double)(ld(b, i * bs, dt) - p->b_zp) * rb;
        st(y, i, round_sat_d(d, p->y_zp, lo, hi), dt);
    }
}

static void oq_qu8_vadd_minmax_ukernel_x1__scalar(size_t n, const void *a, const void *b, size_t bs,
                                                  void *y, const oq_q8_binary *p)
{
    if (p->dt == OQ_Q8_S8)
        add_dt(n, a, b, bs, y, p, OQ_Q8_S8);
    else
        add_dt(n, a, b, bs, y, p, OQ_Q8_U8);
}

OQ_INLINE void mul_dt(size_t n, const void *a, const void *b, size_t bs, void *y,
                      const oq_q8_binary *p, oq_q8_dtype dt)
{
    const float lo = (float)(p->qmin - p->y_zp), hi = (float)(p->qmax - p->y_zp);
    for (size_t i = 0; i < n; i++) {
        int32_t prod = (ld(a, i, dt) - p->a_zp) * (ld(b, i * bs, dt) - p->b_zp);
        st(y, i, requant_f(prod, p->a_mul, p->y_zp, lo, hi), dt);
    }
}

static void oq_qu8_vmul_minmax_ukernel_x1__scalar(size_t n, const void *a, const void *b, size_t bs,
                                                  void *y, const oq_q8_binary *p)
{
    if (p->dt == OQ_Q8_S8)
        mul_dt(n, a, b, bs, y, p, OQ_Q8_S8);
    else
        mul_dt(n, a, b, bs, y, p, OQ_Q8_U8);
}

OQ_INLINE void rescale_dt(size_t n, const void *x, void *y, const oq_q8_rescale_params *p,
                          oq_q8_dtype dt)
{
    const float lo = (float)(p->lo - p->zy), hi = (float)(p->hi - p->zy);
    for (size_t i = 0; i < n; i++)
        st(y, i, requant_f(ld(x, i, dt) - p->zx, p->r, p->zy, lo, hi), dt);
}

static void oq_qu8_vrescale_minmax_ukernel_x1__scalar(size_t n, const void *x, void *y,
                                                      const oq_q8_rescale_params *p)
{
    if (p->dt == OQ_Q8_S8)
        rescale_dt(n, x, y, p, OQ_Q8_S8);
    else
        rescale_dt(n, x, y, p, OQ_Q8_U8);
}

static void oq_qu8_maxpool_ukernel_x1__scalar(size_t c, size_t pixels, size_t taps,
                                              const uint8_t *const *in, size_t step, void *y,
                                              oq_q8_dtype dt)
{
    for (size_t p = 0; p < pixels; p++) {
        const size_t off = p * step;
        if (dt == OQ_Q8_S8) {
            int8_t *o = (int8_t *)y + p * c;
            for (size_t ch = 0; ch < c; ch++) {
                int8_t m = (int8_t)in[0][off + ch];
                for (size_t t = 1; t < taps; t++) {
                    int8_t v = (int8_t)in[t][off + ch];
                    m = v > m ? v : m;
                }
                o[ch] = m;
            }
        } else {
            uint8_t *o = (uint8_t *)y + p * c;
            for (size_t ch = 0; ch < c; ch++) {
                uint8_t m = in[0][off + ch];
                for (size_t t = 1; t < taps; t++)
                    m = in[t][off + ch] > m ? in[t][off + ch] : m;
                o[ch] = m;
            }
        }
    }
}

/* The average of one integer sum (exact: |sum| < 2^29, r has 24 bits; one rounding of the
 * product... none: the product is exact, then one rounding of the division). */
OQ_INLINE int32_t avg1(int32_t sum, const oq_q8_avg_params *p, double lo, double hi)
{
    return round_sat_d((double)(sum + p->bias) * p->r / p->cnt, p->zy, lo, hi);
}

/* One pixel (its taps at in[t] + off). */
static void avgpool1(size_t c, size_t taps, const uint8_t *const *in, size_t off, void *y,
                     const oq_q8_avg_params *p)
{
    const double lo = (double)(p->lo - p->zy), hi = (double)(p->hi - p->zy);
    for (size_t ch = 0; ch < c; ch++) {
        int32_t sum = 0;
        for (size_t t = 0; t < taps; t++)
            sum += ld(in[t], off + ch, p->dt);
        st(y, ch, avg1(sum, p, lo, hi), p->dt);
    }
}

static void oq_qu8_avgpool_minmax_ukernel_x1__scalar(size_t c, size_t pixels, size_t taps,
                                                     const uint8_t *const *in, size_t step, void *y,
                                                     const oq_q8_avg_params *p)
{
    for (size_t px = 0; px < pixels; px++)
        avgpool1(c, taps, in, px * step, (uint8_t *)y + px * c, p);
}


static void oq_qu8_gavgpool_minmax_ukernel_x1__scalar(size_t rows, size_t c, const void *x, void *y,
                                                      const oq_q8_avg_params *p)
{
    const double lo = (double)(p->lo - p->zy), hi = (double)(p->hi - p->zy);
    for (size_t ch = 0; ch < c; ch++) {
        int32_t sum = 0;
        if (p->dt == OQ_Q8_S8)
            for (size_t r = 0; r < rows; r++)
                sum += ((const int8_t *)x)[r * c + ch];
        else
            for (size_t r = 0; r < rows; r++)
                sum += ((const uint8_t *)x)[r * c + ch];
        st(y, ch, avg1(sum, p, lo, hi), p->dt);
    }
}

static void oq_f32_qu8_vcvt_ukernel_x1__scalar(size_t n, const float *x, float scale, int32_t zp,
                                               oq_q8_dtype dt, void *q)
{
    int32_t qmin = dt == OQ_Q8_S8 ? -128 : 0, qmax = dt == OQ_Q8_S8 ? 127 : 255;
    float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
    for (size_t i = 0; i < n; i++) {
        float f = x[i] / scale;
        f = f > lo ? f : lo;
        f = f < hi ? f : hi;
        st(q, i, (int32_t)rint_f(f) + zp, dt);
    }
}

static void oq_qu8_f32_vcvt_ukernel_x1__scalar(size_t n, const void *q, oq_q8_dtype dt, float scale,
                                               int32_t zp, float *x)
{
    if (dt == OQ_Q8_S8)
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(((const int8_t *)q)[i] - zp) * scale;
    else
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(((const uint8_t *)q)[i] - zp) * scale;
}

static void oq_x8_lut_ukernel_x1__scalar(size_t n, const uint8_t *x, const uint8_t table[256],
                                         uint8_t *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = table[x[i]];
}

static void oq_x8_chw2hwc_ukernel_1x1__scalar(size_t c, size_t hw, const uint8_t *x, uint8_t *y)
{
    for (size_t p0 = 0; p0 < hw; p0 += 64) { /* 64-pixel strips: c input streams, one output */
        size_t pe = p0 + 64 < hw ? p0 + 64 : hw;
        for (size_t ch = 0; ch < c; ch++)
            for (size_t p = p0; p < pe; p++)
                y[p * c + ch] = x[ch * hw + p];
    }
}

static void oq_x8_hwc2chw_ukernel_1x1__scalar(size_t c, size_t hw, const uint8_t *x, uint8_t *y)
{
    for (size_t p0 = 0; p0 < hw; p0 += 64) {
        size_t pe = p0 + 64 < hw ? p0 + 64 : hw;
        for (size_t ch = 0; ch < c; ch++)
            for (size_t p = p0; p < pe; p++)
                y[ch * hw + p] = x[p * c + ch];
    }
}

const oq_q8_elt_ukernels oq_q8_elt_scalar = {
    OQ_ISA_SCALAR, "scalar", oq_qu8_vadd_minmax_ukernel_x1__scalar,
    oq_qu8_vmul_minmax_ukernel_x1__scalar, oq_qu8_vrescale_minmax_ukernel_x1__scalar,
    oq_qu8_maxpool_ukernel_x1__scalar, oq_qu8_avgpool_minmax_ukernel_x1__scalar,
    oq_qu8_gavgpool_minmax_ukernel_x1__scalar, oq_f32_qu8_vcvt_ukernel_x1__scalar,
    oq_qu8_f32_vcvt_ukernel_x1__scalar, oq_x8_lut_ukernel_x1__scalar,
    oq_x8_chw2hwc_ukernel_1x1__scalar, oq_x8_hwc2chw_ukernel_1x1__scalar,
};
