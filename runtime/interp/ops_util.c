/* Helpers shared by the op implementations: element access across dtypes (ir/values.c), strides
 * and broadcasting, axis normalization, rounding. float16 is readable and writable (Cast);
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

/* Element access goes through ir/values.c (the one reader and writer of typed buffers). */
double oq_rt_get_f64(const oq_rt_tensor *t, int64_t i)
{
    return oq_elem_f64(t->data, t->dtype, i);
}

int64_t oq_rt_get_i64(const oq_rt_tensor *t, int64_t i)
{
    return oq_elem_i64(t->data, t->dtype, i);
}

void oq_rt_set_f64(oq_rt_tensor *t, int64_t i, double v)
{
    oq_elem_set_f64(t->data, t->dtype, i, v);
}

void oq_rt_set_i64(oq_rt_tensor *t, int64_t i, int64_t v)
{
    oq_elem_set_i64(t->data, t->dtype, i, v);
}

/* See ops.h. */
int oq_rt_xtype(oq_dtype t)
{
    switch (t) {
    case OQ_DT_BOOL: return OQ_X_BOOL;
    case OQ_DT_UINT8: return OQ_X_U8;
    case OQ_DT_INT8: return OQ_X_S8;
    case OQ_DT_INT32: return OQ_X_I32;
    case OQ_DT_INT64: return OQ_X_I64;
    case OQ_DT_FLOAT: return OQ_X_F32;
    default: return -1;
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


/* See ops.h. */
oq_status oq_matmul_plan_of(const oq_graph *g, uint32_t node, const oq_shape *a,
                            const oq_shape *b, oq_matmul_plan *p, oq_diag *d)
{
    int ra = a->rank, rb = b->rank;
    p->M = ra >= 2 ? a->dim[ra - 2] : 1, p->K = a->dim[ra - 1];
    int64_t Kb = rb >= 2 ? b->dim[rb - 2] : b->dim[0];
    p->N = rb >= 2 ? b->dim[rb - 1] : 1;
    if (p->K != Kb)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "inner dims %lld and %lld differ",
                         (long long)p->K, (long long)Kb);
    p->ab = (oq_shape){ra > 2 ? ra - 2 : 0, {0}}, p->bb = (oq_shape){rb > 2 ? rb - 2 : 0, {0}};
    for (int i = 0; i < p->ab.rank; i++)
        p->ab.dim[i] = a->dim[i];
    for (int i = 0; i < p->bb.rank; i++)
        p->bb.dim[i] = b->dim[i];
    p->ob = (oq_shape){p->ab.rank > p->bb.rank ? p->ab.rank : p->bb.rank, {0}};
    for (int i = 0; i < p->ob.rank; i++) {
        int ia = i - (p->ob.rank - p->ab.rank), ib = i - (p->ob.rank - p->bb.rank);
        int64_t da = ia >= 0 ? p->ab.dim[ia] : 1, db = ib >= 0 ? p->bb.dim[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return oq_errorf(d, g, node, OQ_ERR_SHAPE, "batch dims do not broadcast");
        p->ob.dim[i] = da == 1 ? db : da;
    }
    oq_bcast_strides(&p->ab, &p->ob, p->sa);
    oq_bcast_strides(&p->bb, &p->ob, p->sb);
    return OQ_OK;
}

/* See ops.h. */
void oq_matmul_next(const oq_matmul_plan *p, int64_t *idx, int64_t *ao, int64_t *bo)
{
    for (int k = p->ob.rank - 1; k >= 0; k--) {
        idx[k]++;
        *ao += p->sa[k];
        *bo += p->sb[k];
        if (idx[k] < p->ob.dim[k])
            return;
        *ao -= p->sa[k] * p->ob.dim[k];
        *bo -= p->sb[k] * p->ob.dim[k];
        idx[k] = 0;
    }
}
