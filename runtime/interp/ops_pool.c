/* Pooling: MaxPool (optional int64 Indices output, dilations, ceil_mode, storage_order),
 * AveragePool (count_include_pad, ceil_mode, dilations), GlobalAveragePool, GlobalMaxPool.
 * 1D/2D/3D: fewer spatial dims are padded to three with size-1 dims. Output sizes come from
 * the inferred output shape (ceil_mode is decided there); pads from ir_conv_geom. Windows
 * are clipped to the input; AveragePool with count_include_pad counts positions inside the
 * padded input ([-pad_begin, in + pad_end)), without it only those inside the input. */
#include <math.h>

#include "ops.h"

typedef struct pool_state {
    oq_f32_pool g;             /* the geometry, as runtime/f32/ops takes it */
    bool col_major;            /* MaxPool storage_order = 1 */
} pool_state;

/* Pool geometry from ir_conv_geom, padded to three spatial dims. */
oq_status oq_prep_pool(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_shape *x = &g->values[nd->in[0]].shape, *y = &g->values[nd->out[0]].shape;
    oq_conv_geom cg;
    if (x->rank < 3 || x->rank > 5)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "only 1D, 2D and 3D pooling is supported (input rank %d)", x->rank);
    oq_status st = ir_conv_geom(g, node, &cg, d);
    if (st)
        return st;
    pool_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    oq_f32_pool *p = &ps->g;
    int off = 3 - cg.nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - off;
        bool real = j >= 0;
        p->in[i] = real ? x->dim[2 + j] : 1;
        p->out[i] = real ? y->dim[2 + j] : 1;
        p->k[i] = real ? cg.k[j] : 1;
        p->s[i] = real ? cg.stride[j] : 1;
        p->dl[i] = real ? cg.dil[j] : 1;
        p->pb[i] = real ? cg.pad[j] : 0;
        p->pe[i] = real ? cg.pad[cg.nsp + j] : 0;
    }
    p->nc = x->dim[0] * x->dim[1];
    p->include_pad = ir_attr_i(nd, OQ_A_AveragePool_count_include_pad) != 0;
    ps->col_major = ir_attr_i(nd, OQ_A_MaxPool_storage_order) != 0;
    *state = ps;
    return OQ_OK;
}

/* MaxPool without indices for u8/s8 (the lowered integer graphs; float runs runtime/f32/ops).
 * LOWEST is the type's smallest value. */
#define MAXPOOL_TYPED(NAME, T, LOWEST)                                                           \
    static void NAME(const oq_f32_pool *p, const T *restrict x, T *restrict y)                   \
    {                                                                                           \
        int64_t plane_in = p->in[0] * p->in[1] * p->in[2];                                      \
        for (int64_t c = 0; c < p->nc; c++) {                                                   \
            const T *xc = x + c * plane_in;                                                     \
            for (int64_t o0 = 0; o0 < p->out[0]; o0++) {                                        \
                int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0;                                   \
                oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);                             \
                for (int64_t o1 = 0; o1 < p->out[1]; o1++) {                                    \
                    int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1;                               \
                    oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);                         \
                    for (int64_t o2 = 0; o2 < p->out[2]; o2++) {                                \
                        int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2;                           \
                        oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);                     \
                        T best = LOWEST;                                                        \
                        for (int64_t k0 = a0; k0 < b0; k0++)                                    \
                            for (int64_t k1 = a1; k1 < b1; k1++) {                              \
                                const T *row = xc + ((s0 + k0 * p->dl[0]) * p->in[1] + s1 +     \
                                                     k1 * p->dl[1]) * p->in[2] + s2;            \
                                for (int64_t k2 = a2; k2 < b2; k2++) {                          \
                                    T v = row[k2 * p->dl[2]];                                   \
                                    best = v > best ? v : best;                                 \
                                }                                                               \
                            }                                                                   \
                        *y++ = best;                                                            \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

MAXPOOL_TYPED(maxpool_u8, uint8_t, 0)
MAXPOOL_TYPED(maxpool_s8, int8_t, INT8_MIN)

/* MaxPool with optional Indices (row- or column-major flat input index). */
oq_status oq_exec_maxpool(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                          oq_rt_tensor *out, void *state, oq_diag *d)
{
    const pool_state *ps = state;
    const oq_f32_pool *p = &ps->g;
    const oq_node *nd = &g->nodes[node];
    bool want_idx = nd->nout > 1 && out[1].data;
    oq_dtype t = in[0].dtype;
    if (t != OQ_DT_FLOAT && t != OQ_DT_DOUBLE && t != OQ_DT_UINT8 && t != OQ_DT_INT8)
        return oq_bad_dtype(g, node, d, t);
    if (!want_idx && t != OQ_DT_DOUBLE) {
        if (t == OQ_DT_FLOAT)
            oq_f32_kernel(nd->op)->pool(p, in[0].data, out[0].data);
        else if (t == OQ_DT_UINT8)
            maxpool_u8(p, in[0].data, out[0].data);
        else
            maxpool_s8(p, in[0].data, out[0].data);
        return OQ_OK;
    }
    int64_t plane_in = p->in[0] * p->in[1] * p->in[2];
    int64_t plane_out = p->out[0] * p->out[1] * p->out[2];
    int64_t *ind = want_idx ? out[1].data : NULL;
    for (int64_t c = 0; c < p->nc; c++) {
        int64_t ib = c * plane_in, ob = c * plane_out;
        for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
            int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0;
            oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);
            for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
                int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1;
                oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);
                for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                    int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2;
                    oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);
                    double best = -INFINITY;
                    int64_t bi = -1, bh = 0, bw = 0, bd = 0;
                    for (int64_t k0 = a0; k0 < b0; k0++)
                        for (int64_t k1 = a1; k1 < b1; k1++)
                            for (int64_t k2 = a2; k2 < b2; k2++) {
                                int64_t i0 = s0 + k0 * p->dl[0], i1 = s1 + k1 * p->dl[1];
                                int64_t i2 = s2 + k2 * p->dl[2];
                                int64_t ii = (i0 * p->in[1] + i1) * p->in[2] + i2;
                                double v = t == OQ_DT_FLOAT ? ((const float *)in[0].data)[ib + ii]
                                                            : oq_rt_get_f64(&in[0], ib + ii);
                                if (v > best || bi < 0) {
                                    best = v;
                                    bi = ii;
                                    bd = i0;
                                    bh = i1;
                                    bw = i2;
                                }
                            }
                    int64_t oi = ob + (o0 * p->out[1] + o1) * p->out[2] + o2;
                    if (t == OQ_DT_FLOAT)
                        ((float *)out[0].data)[oi] = (float)best;
                    else
                        oq_rt_set_f64(&out[0], oi, best);
                    if (ind) {
                        /* column-major: index over the spatial dims reversed */
                        int64_t li = ps->col_major
                                         ? (bw * p->in[1] + bh) * p->in[0] + bd
                                         : bi;
                        ind[oi] = bi < 0 ? -1 : ib + li;
                    }
                }
            }
        }
    }
    return OQ_OK;
}

/* AveragePool; the divisor follows count_include_pad (float: runtime/f32/ops). */
oq_status oq_exec_avgpool(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                          oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_f32_pool *p = &((const pool_state *)state)->g;
    if (in[0].dtype == OQ_DT_FLOAT) {
        oq_f32_kernel(g->nodes[node].op)->pool(p, in[0].data, out[0].data);
        return OQ_OK;
    }
    if (in[0].dtype != OQ_DT_DOUBLE)
        return oq_bad_dtype(g, node, d, in[0].dtype);
    int64_t plane_in = p->in[0] * p->in[1] * p->in[2];
    int64_t plane_out = p->out[0] * p->out[1] * p->out[2];
    for (int64_t c = 0; c < p->nc; c++) {
        int64_t ib = c * plane_in, ob = c * plane_out;
        for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
            int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0, c0, e0;
            oq_f32_pool_taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);
            oq_f32_pool_taps(s0, p->k[0], p->dl[0], -p->pb[0], p->in[0] + p->pe[0], &c0, &e0);
            for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
                int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1, c1, e1;
                oq_f32_pool_taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);
                oq_f32_pool_taps(s1, p->k[1], p->dl[1], -p->pb[1], p->in[1] + p->pe[1], &c1, &e1);
                for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                    int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2, c2, e2;
                    oq_f32_pool_taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);
                    oq_f32_pool_taps(s2, p->k[2], p->dl[2], -p->pb[2], p->in[2] + p->pe[2], &c2, &e2);
                    double sum = 0;
                    for (int64_t k0 = a0; k0 < b0; k0++)
                        for (int64_t k1 = a1; k1 < b1; k1++)
                            for (int64_t k2 = a2; k2 < b2; k2++) {
                                int64_t ii = ((s0 + k0 * p->dl[0]) * p->in[1] + s1 +
                                              k1 * p->dl[1]) * p->in[2] + s2 + k2 * p->dl[2];
                                sum += ((const double *)in[0].data)[ib + ii];
                            }
                    int64_t cnt = p->include_pad ? (e0 - c0) * (e1 - c1) * (e2 - c2)
                                                 : (b0 - a0) * (b1 - a1) * (b2 - a2);
                    oq_rt_set_f64(&out[0], ob + (o0 * p->out[1] + o1) * p->out[2] + o2,
                                  cnt ? sum / (double)cnt : 0.0);
                }
            }
        }
    }
    return OQ_OK;
}

/* GlobalAveragePool / GlobalMaxPool over all spatial dims. */
oq_status oq_exec_globalpool(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                             oq_rt_tensor *out, void *state, oq_diag *d)
{
    bool mx = g->nodes[node].op == OQ_OP_GlobalMaxPool;
    const oq_rt_tensor *x = &in[0];
    if (x->shape.rank < 2)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "input rank %d < 2", x->shape.rank);
    if (!oq_dtype_is_float(x->dtype))
        return oq_bad_dtype(g, node, d, x->dtype);
    int64_t nc = x->shape.dim[0] * x->shape.dim[1], sp = nc ? oq_rt_numel(x) / nc : 0;
    if (x->dtype == OQ_DT_FLOAT) {
        oq_f32_kernel(g->nodes[node].op)->gpool(nc, sp, x->data, out[0].data);
        return OQ_OK;
    }
    for (int64_t c = 0; c < nc; c++) {
        double acc = mx ? -INFINITY : 0.0;
        for (int64_t i = 0; i < sp; i++) {
            double v = oq_rt_get_f64(x, c * sp + i);
            acc = mx ? (v > acc ? v : acc) : acc + v;
        }
        oq_rt_set_f64(&out[0], c, mx ? acc : (sp ? acc / (double)sp : 0.0));
    }
    return OQ_OK;
}
