/* eltwise.c: QLinearAdd, QLinearMul, rescaling and Concat with scale alignment. The *_ref
 * functions are the scalar definition of the numerics; the public ones run the element-wise
 * kernel table chosen once per process (qu8-eltwise/), bit-identical to them. Add sums two
 * products computed exactly in double (int x float fits 53 bits), so FMA contraction by any
 * compiler cannot change a result; Mul and rescale use one float product. */
#include <string.h>

#include "q8.h"
#include "qu8-eltwise/qu8-eltwise.h"
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

void oq_q8_add_ref(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride,
                   void *y, const oq_q8_binary *p)
{
    double ra = p->a_mul, rb = p->b_mul;
    for (size_t i = 0; i < n; i++) {
        double d = (double)(oq_q8_ld(a, i * a_stride, p->dt) - p->a_zp) * ra +
                   (double)(oq_q8_ld(b, i * b_stride, p->dt) - p->b_zp) * rb;
        oq_q8_st(y, i, oq_q8_round_sat(d, p->y_zp, p->qmin, p->qmax), p->dt);
    }
}

void oq_q8_mul_ref(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride,
                   void *y, const oq_q8_binary *p)
{
    for (size_t i = 0; i < n; i++) {
        int32_t prod = (oq_q8_ld(a, i * a_stride, p->dt) - p->a_zp) *
                       (oq_q8_ld(b, i * b_stride, p->dt) - p->b_zp);
        oq_q8_st(y, i, oq_requantize_fp32(prod, p->a_mul, p->y_zp, p->qmin, p->qmax), p->dt);
    }
}

void oq_q8_rescale_ref(size_t n, const void *x, float sx, int32_t zx, void *y, float sy,
                       int32_t zy, oq_q8_dtype dt)
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

/* a with its qparams swapped for b's (Add and Mul are symmetric, bit for bit). */
static oq_q8_binary swapped(const oq_q8_binary *p)
{
    oq_q8_binary q = *p;
    q.a_zp = p->b_zp, q.b_zp = p->a_zp;
    q.a_mul = p->b_mul, q.b_mul = p->a_mul;
    return q;
}

/* Runs kernel fn for strides (1, 0|1) or (0, 1); false if the strides need the reference. */
static bool binary_with(void (*fn)(size_t, const void *, const void *, size_t, void *,
                                   const oq_q8_binary *),
                        bool is_mul, size_t n, const void *a, size_t a_stride, const void *b,
                        size_t b_stride, void *y, const oq_q8_binary *p)
{
    if (n == 0)
        return true;
    if (a_stride == 1 && b_stride <= 1) {
        fn(n, a, b, b_stride, y, p);
        return true;
    }
    if (a_stride == 0 && b_stride == 1) {
        oq_q8_binary q = swapped(p);
        if (is_mul) /* Mul's a_mul is the product of both scales: swap only the zero points */
            q.a_mul = p->a_mul, q.b_mul = p->b_mul;
        fn(n, b, a, 0, y, &q);
        return true;
    }
    return false;
}

void oq_q8_add_with(const oq_q8_elt_ukernels *k, size_t n, const void *a, size_t a_stride,
                    const void *b, size_t b_stride, void *y, const oq_q8_binary *p)
{
    if (!binary_with(k->add, false, n, a, a_stride, b, b_stride, y, p))
        oq_q8_add_ref(n, a, a_stride, b, b_stride, y, p);
}

void oq_q8_mul_with(const oq_q8_elt_ukernels *k, size_t n, const void *a, size_t a_stride,
                    const void *b, size_t b_stride, void *y, const oq_q8_binary *p)
{
    if (!binary_with(k->mul, true, n, a, a_stride, b, b_stride, y, p))
        oq_q8_mul_ref(n, a, a_stride, b, b_stride, y, p);
}

void oq_q8_add(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride, void *y,
               const oq_q8_binary *p)
{
    oq_q8_add_with(oq_q8_elt(), n, a, a_stride, b, b_stride, y, p);
}

void oq_q8_mul(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride, void *y,
               const oq_q8_binary *p)
{
    oq_q8_mul_with(oq_q8_elt(), n, a, a_stride, b, b_stride, y, p);
}

void oq_q8_rescale_with(const oq_q8_elt_ukernels *k, size_t n, const void *x, float sx,
                        int32_t zx, void *y, float sy, int32_t zy, oq_q8_dtype dt)
{
    if (sx == sy && zx == zy) {
        memmove(y, x, n);
        return;
    }
    if (n == 0)
        return;
    oq_q8_rescale_params p;
    p.dt = dt, p.zx = zx, p.zy = zy, p.r = sx / sy;
    bounds(dt, &p.lo, &p.hi);
    k->rescale(n, x, y, &p);
}

void oq_q8_rescale(size_t n, const void *x, float sx, int32_t zx, void *y, float sy, int32_t zy,
                   oq_q8_dtype dt)
{
    oq_q8_rescale_with(oq_q8_elt(), n, x, sx, zx, y, sy, zy, dt);
}

void oq_q8_concat_with(const oq_q8_elt_ukernels *k, size_t outer, size_t count,
                       const void *const *x, const size_t *inner, const float *scale,
                       const int32_t *zp, void *y, float sy, int32_t zy, oq_q8_dtype dt)
{
    size_t row = 0;
    for (size_t i = 0; i < count; i++)
        row += inner[i];
    for (size_t o = 0; o < outer; o++) {
        uint8_t *dst = (uint8_t *)y + o * row;
        for (size_t i = 0; i < count; i++) {
            if (k)
                oq_q8_rescale_with(k, inner[i], (const uint8_t *)x[i] + o * inner[i], scale[i],
                                   zp[i], dst, sy, zy, dt);
            else
                oq_q8_rescale_ref(inner[i], (const uint8_t *)x[i] + o * inner[i], scale[i],
                                  zp[i], dst, sy, zy, dt);
            dst += inner[i];
        }
    }
}

void oq_q8_concat(size_t outer, size_t count, const void *const *x, const size_t *inner,
                  const float *scale, const int32_t *zp, void *y, float sy, int32_t zy,
                  oq_q8_dtype dt)
{
    oq_q8_concat_with(oq_q8_elt(), outer, count, x, inner, scale, zp, y, sy, zy, dt);
}
