/* Helpers shared by the op implementations: element access across dtypes, strides and
 * broadcasting, axis normalization, rounding. float16 is readable and writable here (Cast);
 * the ops that compute check for float/double themselves.
 * Conversions follow C casts (float -> int truncates), which is what ONNX Cast specifies. */
#include <math.h>

#include "ops.h"

/* Element count (1 for a scalar). */
int64_t oq_rt_numel(const oq_rt_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->shape.rank; i++)
        n *= t->shape.dim[i];
    return n;
}

/* IEEE half (binary16) bits -> double (exact). */
static double half_to_f64(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

/* double -> IEEE half bits, rounded to nearest even (one rounding, as numpy's astype). */
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

/* See ops.h. */
double oq_rt_get_f64(const oq_rt_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case OQ_DT_FLOAT: return ((const float *)t->data)[i];
    case OQ_DT_DOUBLE: return ((const double *)t->data)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)t->data)[i];
    case OQ_DT_UINT16: return ((const uint16_t *)t->data)[i];
    case OQ_DT_INT16: return ((const int16_t *)t->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)t->data)[i];
    case OQ_DT_UINT32: return ((const uint32_t *)t->data)[i];
    case OQ_DT_INT64: return (double)((const int64_t *)t->data)[i];
    case OQ_DT_UINT64: return (double)((const uint64_t *)t->data)[i];
    case OQ_DT_BOOL: return ((const uint8_t *)t->data)[i] != 0;
    case OQ_DT_FLOAT16: return half_to_f64(((const uint16_t *)t->data)[i]);
    default: return 0;
    }
}

/* See ops.h. */
int64_t oq_rt_get_i64(const oq_rt_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case OQ_DT_FLOAT: return (int64_t)((const float *)t->data)[i];
    case OQ_DT_DOUBLE: return (int64_t)((const double *)t->data)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)t->data)[i];
    case OQ_DT_UINT16: return ((const uint16_t *)t->data)[i];
    case OQ_DT_INT16: return ((const int16_t *)t->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)t->data)[i];
    case OQ_DT_UINT32: return ((const uint32_t *)t->data)[i];
    case OQ_DT_INT64: return ((const int64_t *)t->data)[i];
    case OQ_DT_UINT64: return (int64_t)((const uint64_t *)t->data)[i];
    case OQ_DT_BOOL: return ((const uint8_t *)t->data)[i] != 0;
    case OQ_DT_FLOAT16: return (int64_t)half_to_f64(((const uint16_t *)t->data)[i]);
    default: return 0;
    }
}

/* See ops.h. */
void oq_rt_set_f64(oq_rt_tensor *t, int64_t i, double v)
{
    switch (t->dtype) {
    case OQ_DT_FLOAT: ((float *)t->data)[i] = (float)v; break;
    case OQ_DT_DOUBLE: ((double *)t->data)[i] = v; break;
    case OQ_DT_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)(int64_t)v; break;
    case OQ_DT_INT8: ((int8_t *)t->data)[i] = (int8_t)(int64_t)v; break;
    case OQ_DT_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)(int64_t)v; break;
    case OQ_DT_INT16: ((int16_t *)t->data)[i] = (int16_t)(int64_t)v; break;
    case OQ_DT_INT32: ((int32_t *)t->data)[i] = (int32_t)(int64_t)v; break;
    case OQ_DT_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)(int64_t)v; break;
    case OQ_DT_INT64: ((int64_t *)t->data)[i] = (int64_t)v; break;
    case OQ_DT_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
    case OQ_DT_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
    case OQ_DT_FLOAT16: ((uint16_t *)t->data)[i] = f64_to_half(v); break;
    default: break;
    }
}

/* See ops.h. */
void oq_rt_set_i64(oq_rt_tensor *t, int64_t i, int64_t v)
{
    switch (t->dtype) {
    case OQ_DT_FLOAT: ((float *)t->data)[i] = (float)v; break;
    case OQ_DT_DOUBLE: ((double *)t->data)[i] = (double)v; break;
    case OQ_DT_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case OQ_DT_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case OQ_DT_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
    case OQ_DT_INT16: ((int16_t *)t->data)[i] = (int16_t)v; break;
    case OQ_DT_INT32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case OQ_DT_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)v; break;
    case OQ_DT_INT64: ((int64_t *)t->data)[i] = v; break;
    case OQ_DT_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
    case OQ_DT_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
    case OQ_DT_FLOAT16: ((uint16_t *)t->data)[i] = f64_to_half((double)v); break;
    default: break;
    }
}

/* See ops.h. */
bool oq_norm_axis(int64_t axis, int rank, int *out)
{
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= (rank > 0 ? rank : 1))
        return false;
    *out = (int)axis;
    return true;
}

/* See ops.h. */
void oq_strides(const oq_shape *s, int64_t *st)
{
    int64_t acc = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        st[i] = acc;
        acc *= s->dim[i];
    }
}

/* See ops.h. */
bool oq_bcast_strides(const oq_shape *in, const oq_shape *out, int64_t *st)
{
    int64_t ist[OQ_MAX_RANK];
    if (in->rank > out->rank)
        return false;
    oq_strides(in, ist);
    int off = out->rank - in->rank;
    for (int i = 0; i < out->rank; i++) {
        if (i < off) {
            st[i] = 0;
            continue;
        }
        int64_t di = in->dim[i - off];
        if (di == out->dim[i])
            st[i] = di == 1 ? 0 : ist[i - off];
        else if (di == 1)
            st[i] = 0;
        else
            return false;
    }
    return true;
}

/* See ops.h. */
void oq_rt_copy(oq_rt_tensor *out, const oq_rt_tensor *t)
{
    size_t n = (size_t)oq_rt_numel(t) * oq_dtype_size(t->dtype);
    if (n && out->data != t->data)
        memmove(out->data, t->data, n);
}

/* See ops.h. */
double oq_round_half_even(double x)
{
    double r = nearbyint(x);     /* default rounding mode: to nearest, ties to even */
    return r;
}

/* See ops.h. */
bool oq_dtype_is_float(oq_dtype t)
{
    return t == OQ_DT_FLOAT || t == OQ_DT_DOUBLE;
}

/* See ops.h. */
bool oq_dtype_is_int(oq_dtype t)
{
    switch (t) {
    case OQ_DT_UINT8: case OQ_DT_INT8: case OQ_DT_UINT16: case OQ_DT_INT16: case OQ_DT_INT32:
    case OQ_DT_UINT32: case OQ_DT_INT64: case OQ_DT_UINT64: case OQ_DT_BOOL:
        return true;
    default:
        return false;
    }
}

/* See ops.h. */
oq_status oq_bad_dtype(const oq_graph *g, uint32_t node, oq_diag *d, oq_dtype t)
{
    return oq_errorf(d, g, node, OQ_ERR_DTYPE, "element type %s not supported by this op",
                     oq_dtype_name(t));
}

