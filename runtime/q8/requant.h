/* requant.h: static-inline scalar references of the two requantization modes (README.md, Numerics), the
 * definition every SIMD epilogue matches bit for bit. fp32: ONNX QLinearConv / ORT MLAS order
 * (float(acc) * scale, clamp to [qmin-zp, qmax-zp] in float, round half to even under the default
 * rounding mode, add zp). q31: TFLite MultiplyByQuantizedMultiplier (saturating rounding doubling
 * high multiply, then rounding divide by a power of two, ties away from zero). */
#ifndef OQ_REQUANT_H
#define OQ_REQUANT_H
#include <assert.h>
#include <math.h>
#include <stdint.h>

#include "q8.h"

/* fp32 mode: clamp(rne((float)acc * scale) + zp, qmin, qmax); scale finite and >= 0. */
static inline int32_t oq_requantize_fp32(int32_t acc, float scale, int32_t zp, int32_t qmin,
                                         int32_t qmax)
{
    assert(scale >= 0.0f && scale < INFINITY);
    assert(qmin <= qmax && zp >= -128 && zp <= 255);
    float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
    float f = (float)acc * scale;
    f = f > lo ? f : lo; /* the operand order of maxps/minps: NaN would give the bound */
    f = f < hi ? f : hi;
    return (int32_t)lrintf(f) + zp;
}

/* fp32-mode multiplier of output channel c: s_in * s_w[c] / s_out, evaluated in float in this
 * order. The interpreter and the C emitter both take it from here, so their scales agree bit for
 * bit. */
static inline float oq_q8_requant_scale(float s_in, float s_w, float s_out)
{
    return s_in * s_w / s_out;
}

/* gemmlowp SaturatingRoundingDoublingHighMul. */
static inline int32_t oq_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; e in [0, 31]. */
static inline int32_t oq_rdbpot(int32_t x, int e)
{
    assert(e >= 0 && e <= 31);
    int64_t mask = ((int64_t)1 << e) - 1;
    int64_t rem = (int64_t)x & mask;
    int64_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int32_t)(((int64_t)x >> e) + (rem > thr ? 1 : 0));
}

/* q31 mode: clamp(rdbpot(srdhm(sat32(acc << l), mult), r) + zp); shift > 0 is l, < 0 is -r. */
static inline int32_t oq_requantize_q31(int32_t acc, int32_t mult, int32_t shift, int32_t zp,
                                        int32_t qmin, int32_t qmax)
{
    assert(mult == 0 || (mult >= (1 << 30) && mult <= INT32_MAX));
    assert(shift >= -31 && shift <= 30);
    assert(qmin <= qmax);
    int64_t x = (int64_t)acc * ((int64_t)1 << (shift > 0 ? shift : 0));
    x = x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x;
    int32_t r = oq_rdbpot(oq_srdhm((int32_t)x, mult), shift > 0 ? 0 : -shift);
    int64_t y = (int64_t)r + zp;
    return (int32_t)(y < qmin ? qmin : y > qmax ? qmax : y);
}

/* Requantizes acc for channel ch with rq and stores it as element idx of c. */
static inline void oq_q8_store(const oq_q8_requant *rq, void *c, size_t idx, size_t ch,
                               int32_t acc)
{
    size_t p = ch * rq->channel_stride;
    int32_t v;
    switch (rq->mode) {
    case OQ_Q8_RQ_S32:
        ((int32_t *)c)[idx] = acc;
        return;
    case OQ_Q8_RQ_Q31:
        v = oq_requantize_q31(acc, rq->multiplier[p], rq->shift[p], rq->out_zp, rq->qmin,
                              rq->qmax);
        break;
    default:
        v = oq_requantize_fp32(acc, rq->scale[p], rq->out_zp, rq->qmin, rq->qmax);
        break;
    }
    if (rq->out_dtype == OQ_Q8_S8)
        ((int8_t *)c)[idx] = (int8_t)v;
    else
        ((uint8_t *)c)[idx] = (uint8_t)v;
}

/* Rounds d half to even, adds zp and saturates to [qmin, qmax] (element-wise ops). */
static inline int32_t oq_q8_round_sat(double d, int32_t zp, int32_t qmin, int32_t qmax)
{
    double lo = (double)(qmin - zp), hi = (double)(qmax - zp);
    d = d > lo ? d : lo;
    d = d < hi ? d : hi;
    return (int32_t)nearbyint(d) + zp;
}

/* Element i of a u8/s8 array as int32. */
static inline int32_t oq_q8_ld(const void *p, size_t i, oq_q8_dtype dt)
{
    return dt == OQ_Q8_S8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

/* Stores v (already in range) as element i. */
static inline void oq_q8_st(void *p, size_t i, int32_t v, oq_q8_dtype dt)
{
    if (dt == OQ_Q8_S8)
        ((int8_t *)p)[i] = (int8_t)v;
    else
        ((uint8_t *)p)[i] = (uint8_t)v;
}

/* Per-channel (or per-tensor) scales of rq for nn columns from channel ch into sc[16] (padding
 * with 0) — used by SIMD epilogues so tails and stride 0 need no special loads. */
static inline void oq_q8_load_scales(const oq_q8_requant *rq, size_t ch, size_t nn, float *sc)
{
    for (size_t j = 0; j < 16; j++)
        sc[j] = j < nn ? rq->scale[(ch + j) * rq->channel_stride] : 0.0f;
}

/* Pointer to 16 scales for channels ch.. (direct when per-channel and all 16 are valid, else
 * gathered into tmp by oq_q8_load_scales). */
static inline const float *oq_q8_scales16(const oq_q8_requant *rq, size_t ch, size_t nn,
                                          float *tmp)
{
    if (rq->channel_stride == 1 && nn == 16)
        return rq->scale + ch;
    oq_q8_load_scales(rq, ch, nn, tmp);
    return tmp;
}
#endif
