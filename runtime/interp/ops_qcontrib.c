/* ONNX Runtime com.microsoft quantized contrib ops, over the runtime/q8 kernels the emitted C
 * calls (so `onnxq run` and the C backend agree bit for bit):
 *   QLinearAdd(A, sA, zA, B, sB, zB, sC, zC)          numpy broadcasting, oq_q8_add
 *   QLinearMul(A, sA, zA, B, sB, zB, sC, zC)          numpy broadcasting, oq_q8_mul
 * and onnxq's own (domain com.onnxq):
 *   QLinearLookup(X, table, sY, zY)                   y = table[byte of x], oq_q8_lut_apply
 *   QLinearGlobalAveragePool(X, sx, zx, sy, zy)       NCHW (channels_last=0), oq_q8_global_avgpool
 *   QLinearConcat(sy, zy, X0, s0, z0, ...; axis)      oq_q8_concat
 * Scales and zero points are per tensor; absent zero points are 0. */
#include <stdlib.h>

#include "ops.h"

#include "runtime/q8/q8.h"

static bool q8_of(oq_dtype t, oq_q8_dtype *q)
{
    if (t != OQ_DT_UINT8 && t != OQ_DT_INT8)
        return false;
    *q = t == OQ_DT_INT8 ? OQ_Q8_S8 : OQ_Q8_U8;
    return true;
}

/* Scalar (scale, zero point) from inputs si / zi (zi may be absent). */
static bool scalar_qp(const oq_rt_tensor *in, uint32_t nin, uint32_t si, uint32_t zi, float *s,
                      int32_t *z)
{
    if (in[si].dtype != OQ_DT_FLOAT || oq_rt_numel(&in[si]) != 1)
        return false;
    *s = *(const float *)in[si].data;
    bool hz = zi < nin && in[zi].data;
    if (hz && oq_rt_numel(&in[zi]) != 1)
        return false;
    *z = hz ? (int32_t)oq_rt_get_i64(&in[zi], 0) : 0;
    return true;
}

/* Offset of a broadcast operand (shape sh, right-aligned to rank r) at the output index idx. */
static size_t bcast_off(const oq_shape *sh, int r, const int64_t *idx)
{
    size_t off = 0;
    for (int i = 0; i < sh->rank; i++) {
        int64_t d = sh->dim[i], k = idx[i + r - sh->rank];
        off = off * (size_t)d + (size_t)(d == 1 ? 0 : k);
    }
    return off;
}

/* QLinearAdd / QLinearMul: y = q8 add or mul of a and b (broadcast), row by row over the last
 * output dim. */
oq_status oq_exec_qlinear_add(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                              oq_rt_tensor *out, void *state, oq_diag *d)
{
    (void)state;
    uint32_t nin = g->nodes[node].nin;
    bool mul = g->nodes[node].op == OQ_OP_QLinearMul;
    oq_q8_dtype dt;
    if (!q8_of(in[0].dtype, &dt) || in[3].dtype != in[0].dtype || out[0].dtype != in[0].dtype)
        return oq_bad_dtype(g, node, d, in[0].dtype);
    float sa, sb, sy;
    int32_t za, zb, zy;
    if (!scalar_qp(in, nin, 1, 2, &sa, &za) || !scalar_qp(in, nin, 4, 5, &sb, &zb) ||
        !scalar_qp(in, nin, 6, 7, &sy, &zy))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "%s scales/zero points must be scalars",
                         g->nodes[node].op_type);
    oq_q8_binary p;
    if (mul)
        oq_q8_mul_init(&p, dt, sa, za, sb, zb, sy, zy);
    else
        oq_q8_add_init(&p, dt, sa, za, sb, zb, sy, zy);
    const oq_shape *ys = &out[0].shape, *as = &in[0].shape, *bs = &in[3].shape;
    int64_t n = oq_rt_numel(&out[0]);
    if (n == 0)
        return OQ_OK;
    int r = ys->rank;
    int64_t last = r ? ys->dim[r - 1] : 1;
    size_t sta = as->rank && as->dim[as->rank - 1] != 1 ? 1 : 0;
    size_t stb = bs->rank && bs->dim[bs->rank - 1] != 1 ? 1 : 0;
    int64_t idx[OQ_MAX_RANK] = {0};
    const uint8_t *a = in[0].data, *b = in[3].data;
    uint8_t *y = out[0].data;
    for (int64_t row = 0; row < n / last; row++) {
        (mul ? oq_q8_mul : oq_q8_add)((size_t)last, a + bcast_off(as, r, idx), sta,
                                      b + bcast_off(bs, r, idx), stb, y + row * last, &p);
        for (int i = r - 2; i >= 0; i--) {   /* next row index */
            if (++idx[i] < ys->dim[i])
                break;
            idx[i] = 0;
        }
    }
    return OQ_OK;
}

/* QLinearLookup: y = table[x] over the raw bytes (X and table uint8 or int8). */
oq_status oq_exec_qlinear_lookup(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                 oq_rt_tensor *out, void *state, oq_diag *d)
{
    (void)state;
    oq_q8_dtype dt;
    if (!q8_of(in[0].dtype, &dt) || !q8_of(in[1].dtype, &dt) || out[0].dtype != in[1].dtype)
        return oq_bad_dtype(g, node, d, in[0].dtype);
    if (oq_rt_numel(&in[1]) != 256)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "QLinearLookup table must have 256 entries");
    oq_q8_lut_apply((size_t)oq_rt_numel(&out[0]), in[0].data, in[1].data, out[0].data);
    return OQ_OK;
}

/* QLinearGlobalAveragePool on NCHW: each (n, c) plane averaged, as batch n*c with one channel. */
oq_status oq_exec_qlinear_gap(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                              oq_rt_tensor *out, void *state, oq_diag *d)
{
    (void)state;
    const oq_node *nd = &g->nodes[node];
    oq_q8_dtype dt;
    if (!q8_of(in[0].dtype, &dt) || out[0].dtype != in[0].dtype)
        return oq_bad_dtype(g, node, d, in[0].dtype);
    if (ir_attr_i(nd, OQ_A_QLinearGlobalAveragePool_channels_last) != 0 || in[0].shape.rank < 3)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "QLinearGlobalAveragePool: only channels_last=0 with rank >= 3");
    float sx, sy;
    int32_t zx, zy;
    if (!scalar_qp(in, nd->nin, 1, 2, &sx, &zx) || !scalar_qp(in, nd->nin, 3, 4, &sy, &zy))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "scales/zero points must be scalars");
    int64_t nc = in[0].shape.dim[0] * in[0].shape.dim[1];
    int64_t hw = nc ? oq_rt_numel(&in[0]) / nc : 0;
    if (nc && hw)
        oq_q8_global_avgpool((size_t)nc, (size_t)hw, 1, in[0].data, sx, zx, out[0].data, sy, zy, dt);
    return OQ_OK;
}

/* QLinearConcat: inputs rescaled to (sy, zy) and joined along axis, by oq_q8_concat. */
oq_status oq_exec_qlinear_concat(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                 oq_rt_tensor *out, void *state, oq_diag *d)
{
    (void)state;
    const oq_node *nd = &g->nodes[node];
    oq_q8_dtype dt;
    if (!q8_of(out[0].dtype, &dt))
        return oq_bad_dtype(g, node, d, out[0].dtype);
    float sy;
    int32_t zy;
    if (!scalar_qp(in, nd->nin, 0, 1, &sy, &zy))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "scales/zero points must be scalars");
    int r = out[0].shape.rank;
    int64_t axis = ir_attr_i(nd, OQ_A_QLinearConcat_axis);
    if (axis < 0)
        axis += r;
    size_t count = (nd->nin - 2) / 3, outer = 1;
    for (int64_t k = 0; k < axis; k++)
        outer *= (size_t)out[0].shape.dim[k];
    const void **x = malloc(count * sizeof *x);
    size_t *inner = malloc(count * sizeof *inner);
    float *sc = malloc(count * sizeof *sc);
    int32_t *zp = malloc(count * sizeof *zp);
    oq_status st = OQ_OK;
    if (!x || !inner || !sc || !zp) {
        st = oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        const oq_rt_tensor *t = &in[2 + 3 * i];
        if (t->dtype != out[0].dtype) {
            st = oq_bad_dtype(g, node, d, t->dtype);
            goto done;
        }
        if (!scalar_qp(in, nd->nin, (uint32_t)(3 + 3 * i), (uint32_t)(4 + 3 * i), &sc[i], &zp[i])) {
            st = oq_errorf(d, g, node, OQ_ERR_SHAPE, "scales/zero points must be scalars");
            goto done;
        }
        x[i] = t->data;
        inner[i] = outer ? (size_t)oq_rt_numel(t) / outer : 0;
    }
    if (outer && oq_rt_numel(&out[0]))
        oq_q8_concat(outer, count, x, inner, sc, zp, out[0].data, sy, zy, dt);
done:
    free(x), free(inner), free(sc), free(zp);
    return st;
}
