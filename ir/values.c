/* Reading and writing one element of a tensor buffer of any numeric dtype: the one place that
 * turns (data, dtype, index) into a number, used by shape folding, the passes, the C emitter
 * and the interpreter. Conversions follow C casts (float -> int truncates toward zero, bool is
 * 0 or 1), which is what ONNX Cast specifies; float16 reads exactly and writes rounded to
 * nearest even (one rounding, as numpy's astype). Types without numbers read as 0. */
#include <math.h>

#include "ir.h"

/* IEEE half (binary16) bits -> double (exact). */
static double half_to_f64(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

/* double -> IEEE half bits, rounded to nearest even. */
static uint16_t f64_to_half(double v)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs(v);
    if (isnan(v))
        return 0x7e00;
    if (a >= 65520.0)
        return sign | 0x7c00;  /* overflow (and inf) */
    if (a < ldexp(1, -14)) {   /* subnormal (or zero): multiples of 2^-24 */
        double q = nearbyint(ldexp(a, 24));
        return sign | (uint16_t)q; /* q == 1024 is the smallest normal's encoding */
    }
    int ex;
    frexp(a, &ex);             /* a in [2^(ex-1), 2^ex) */
    int e = ex - 1;
    double m = nearbyint((ldexp(a, -e) - 1.0) * 1024.0);
    if (m >= 1024) {
        m = 0;
        e++;
    }
    if (e > 15)
        return sign | 0x7c00;
    return sign | (uint16_t)((e + 15) << 10) | (uint16_t)m;
}

double oq_elem_f64(const void *p, oq_dtype t, int64_t i)
{
    switch (t) {
    case OQ_DT_FLOAT: return ((const float *)p)[i];
    case OQ_DT_DOUBLE: return ((const double *)p)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)p)[i];
    case OQ_DT_INT8: return ((const int8_t *)p)[i];
    case OQ_DT_UINT16: return ((const uint16_t *)p)[i];
    case OQ_DT_INT16: return ((const int16_t *)p)[i];
    case OQ_DT_INT32: return ((const int32_t *)p)[i];
    case OQ_DT_UINT32: return ((const uint32_t *)p)[i];
    case OQ_DT_INT64: return (double)((const int64_t *)p)[i];
    case OQ_DT_UINT64: return (double)((const uint64_t *)p)[i];
    case OQ_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
    case OQ_DT_FLOAT16: return half_to_f64(((const uint16_t *)p)[i]);
    default: return 0;
    }
}

int64_t oq_elem_i64(const void *p, oq_dtype t, int64_t i)
{
    switch (t) {
    case OQ_DT_FLOAT: return (int64_t)((const float *)p)[i];
    case OQ_DT_DOUBLE: return (int64_t)((const double *)p)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)p)[i];
    case OQ_DT_INT8: return ((const int8_t *)p)[i];
    case OQ_DT_UINT16: return ((const uint16_t *)p)[i];
    case OQ_DT_INT16: return ((const int16_t *)p)[i];
    case OQ_DT_INT32: return ((const int32_t *)p)[i];
    case OQ_DT_UINT32: return ((const uint32_t *)p)[i];
    case OQ_DT_INT64: return ((const int64_t *)p)[i];
    case OQ_DT_UINT64: return (int64_t)((const uint64_t *)p)[i];
    case OQ_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
    case OQ_DT_FLOAT16: return (int64_t)half_to_f64(((const uint16_t *)p)[i]);
    default: return 0;
    }
}

void oq_elem_set_f64(void *p, oq_dtype t, int64_t i, double v)
{
    switch (t) {
    case OQ_DT_FLOAT: ((float *)p)[i] = (float)v; break;
    case OQ_DT_DOUBLE: ((double *)p)[i] = v; break;
    case OQ_DT_UINT8: ((uint8_t *)p)[i] = (uint8_t)(int64_t)v; break;
    case OQ_DT_INT8: ((int8_t *)p)[i] = (int8_t)(int64_t)v; break;
    case OQ_DT_UINT16: ((uint16_t *)p)[i] = (uint16_t)(int64_t)v; break;
    case OQ_DT_INT16: ((int16_t *)p)[i] = (int16_t)(int64_t)v; break;
    case OQ_DT_INT32: ((int32_t *)p)[i] = (int32_t)(int64_t)v; break;
    case OQ_DT_UINT32: ((uint32_t *)p)[i] = (uint32_t)(int64_t)v; break;
    case OQ_DT_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case OQ_DT_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    case OQ_DT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case OQ_DT_FLOAT16: ((uint16_t *)p)[i] = f64_to_half(v); break;
    default: break;
    }
}

void oq_elem_set_i64(void *p, oq_dtype t, int64_t i, int64_t v)
{
    switch (t) {
    case OQ_DT_FLOAT: ((float *)p)[i] = (float)v; break;
    case OQ_DT_DOUBLE: ((double *)p)[i] = (double)v; break;
    case OQ_DT_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case OQ_DT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case OQ_DT_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case OQ_DT_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case OQ_DT_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case OQ_DT_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case OQ_DT_INT64: ((int64_t *)p)[i] = v; break;
    case OQ_DT_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    case OQ_DT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case OQ_DT_FLOAT16: ((uint16_t *)p)[i] = f64_to_half((double)v); break;
    default: break;
    }
}
