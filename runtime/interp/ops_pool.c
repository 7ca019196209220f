/* Pooling: MaxPool (optional int64 Indices output, dilations, ceil_mode, storage_order),
 * AveragePool (count_include_pad, ceil_mode, dilations), GlobalAveragePool, GlobalMaxPool.
 * 1D/2D/3D: fewer spatial dims are padded to three with size-1 dims. Output sizes come from
 * the inferred output shape (ceil_mode is decided there); pads from ir_conv_geom, through
 * oq_kparams_pool as the C emitter takes them. Windows are clipped to the input; AveragePool
 * with count_include_pad counts positions inside the padded input ([-pad_begin, in +
 * pad_end)), without it only those inside the input. */
#include <math.h>

#include "kparams.h"
#include "ops.h"

typedef struct pool_state {
    oq_f32_pool g;             /* the geometry, as runtime/f32/ops takes it */
    bool col_major;            /* MaxPool storage_order = 1 */
} pool_state;

/* Pool geometry (oq_kparams_pool) and storage_order. */
oq_status oq_prep_pool(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    oq_f32_pool p;
    oq_status st = oq_kparams_pool(g, node, &p, d);
    if (st)
        return st;
    pool_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    ps->g = p;
    ps->col_major = ir_attr_i(nd, OQ_A_MaxPool_storage_order) != 0;
    *state = ps;
    return OQ_OK;
}

/* MaxPool with optional Indices (row- or column-major flat input index): runtime/f32/ops's
 * kernel for the element type. */
oq_status oq_exec_maxpool(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                          oq_rt_tensor *out, void *state, oq_diag *d)
{
    const pool_state *ps = state;
    const oq_f32_pool *p = &ps->g;
    const oq_node *nd = &g->nodes[node];
    int64_t *ind = nd->nout > 1 && out[1].data ? out[1].data : NULL;
    int cm = ps->col_major;
    switch (in[0].dtype) {
    case OQ_DT_FLOAT:
        if (!ind)
            oq_f32_kernel(nd->op)->pool(p, in[0].data, out[0].data);
        else
            oq_f32_maxpool_idx__scalar(p, in[0].data, out[0].data, ind, cm);
        return OQ_OK;
    case OQ_DT_DOUBLE:
        oq_f64_maxpool_idx__scalar(p, in[0].data, out[0].data, ind, cm);
        return OQ_OK;
    case OQ_DT_UINT8:
        oq_u8_maxpool_idx__scalar(p, in[0].data, out[0].data, ind, cm);
        return OQ_OK;
    case OQ_DT_INT8:
        oq_s8_maxpool_idx__scalar(p, in[0].data, out[0].data, ind, cm);
        return OQ_OK;
    default: return oq_bad_dtype(g, node, d, in[0].dtype);
    }
}

/* AveragePool; the divisor follows count_include_pad (runtime/f32/ops). */
oq_status oq_exec_avgpool(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                          oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_f32_pool *p = &((const pool_state *)state)->g;
    if (in[0].dtype == OQ_DT_FLOAT)
        oq_f32_kernel(g->nodes[node].op)->pool(p, in[0].data, out[0].data);
    else if (in[0].dtype == OQ_DT_DOUBLE)
        oq_f64_averagepool__scalar(p, in[0].data, out[0].data);
    else
        return oq_bad_dtype(g, node, d, in[0].dtype);
    return OQ_OK;
}

/* GlobalAveragePool / GlobalMaxPool over all spatial dims (runtime/f32/ops). */
oq_status oq_exec_globalpool(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                             oq_rt_tensor *out, void *state, oq_diag *d)
{
    bool mx = g->nodes[node].op == OQ_OP_GlobalMaxPool;
    const oq_rt_tensor *x = &in[0];
    if (x->shape.rank < 2)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "input rank %d < 2", x->shape.rank);
    int64_t nc = x->shape.dim[0] * x->shape.dim[1], sp = nc ? oq_rt_numel(x) / nc : 0;
    if (x->dtype == OQ_DT_FLOAT)
        oq_f32_kernel(g->nodes[node].op)->gpool(nc, sp, x->data, out[0].data);
    else if (x->dtype == OQ_DT_DOUBLE)
        (mx ? oq_f64_globalmaxpool__scalar : oq_f64_globalaveragepool__scalar)(nc, sp, x->data,
                                                                              out[0].data);
    else
        return oq_bad_dtype(g, node, d, x->dtype);
    return OQ_OK;
}
