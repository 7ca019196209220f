/* eltwise.c: QLinearAdd, QLinearMul, rescaling and Concat with scale alignment (scalar C; memory
 * bound). Add sums two products computed exactly in double (int x float fits 53 bits), so FMA
 * contraction by any compiler cannot change a result; Mul and rescale use one float product. */
#include <string.h>

#include "q8.h"
#include "requant.h"

/* Full range of dt. */
static void bounds(oq_q8_dtype dt, int32_t *lo, int32_t *hi)
{
    *lo = dt == OQ_Q8_S8 ? -128 : 0;
    *hi = dt == OQ_Q8_S8 ? 127 : 255;
}

void oq_q8_add_init(oq_q8_binary *p, oq_q8_dtype dt, float sa, int32_t za, float sb, int32_t zb,
                    float sy, int32_t zy)
{
    p->dt = dt, p->a_zp = za, p->b_zp = zb, p->y_zp = zy;
    p->a_mul = sa / sy, p->b_mul = sb / sy;
    bounds(dt, &p->qmin, &p->qmax);
}

void oq_q8_mul_init(oq_q8_binary *p, oq_q8_dtype dt, float sa, int32_t za, float sb, int32_t zb,
                    float sy, int32_t zy)
{
    p->dt = dt, p->a_zp = za, p->b_zp = zb, p->y_zp = zy;
    p->a_mul = sa * sb / sy, p->b_mul = 0.0f;
    bounds(dt, &p->qmin, &p->qmax);
}

void oq_q8_add(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride, void *y,
               const oq_q8_binary *p)
{
    double ra = p->a_mul, rb = p->b_mul;
    for (size_t i = 0; i < n; i++) {
        double d = (double)(oq_q8_ld(a, i * a_stride, p->dt) - p->a_zp) * ra +
                   (double)(oq_q8_ld(b, i * b_stride, p->dt) - p->b_zp) * rb;
        oq_q8_st(y, i, oq_q8_round_sat(d, p->y_zp, p->qmin, p->qmax), p->dt);
    }
}

void oq_q8_mul(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride, void *y,
               const oq_q8_binary *p)
{
    for (size_t i = 0; i < n; i++) {
        int32_t prod = (oq_q8_ld(a, i * a_stride, p->dt) - p->a_zp) *
                       (oq_q8_ld(b, i * b_stride, p->dt) - p->b_zp);
        oq_q8_st(y, i, oq_requantize_fp32(prod, p->a_mul, p->y_zp, p->qmin, p->qmax), p->dt);
    }
}

void oq_q8_rescale(size_t n, const void *x, float sx, int32_t zx, void *y, float sy, int32_t zy,
                   oq_q8_dtype dt)
{
    if (sx == sy && zx == zy) {
        memmove(y, x, n);
        return;
    }
    int32_t lo, hi;
    bounds(dt, &lo, &hi);
    float r = sx / sy;
    for (size_t i = 0; i < n; i++)
        oq_q8_st(y, i, oq_requantize_fp32(oq_q8_ld(x, i, dt) - zx, r, zy, lo, hi), dt);
}

void oq_q8_concat(size_t outer, size_t count, const void *const *x, const size_t *inner,
                  const float *scale, const int32_t *zp, void *y, float sy, int32_t zy,
                  oq_q8_dtype dt)
{
    size_t row = 0;
    for (size_t i = 0; i < count; i++)
        row += inner[i];
    for (size_t o = 0; o < outer; o++) {
        uint8_t *dst = (uint8_t *)y + o * row;
        for (size_t i = 0; i < count; i++) {
            oq_q8_rescale(inner[i], (const uint8_t *)x[i] + o * inner[i], scale[i], zp[i], dst, sy,
                          zy, dt);
            dst += inner[i];
        }
    }
}
