/* Pre-quantized models (QDQ from QAT or other tools, QOperator): mirror the constant scale and
 * zero-point operands of QuantizeLinear, DequantizeLinear, QLinearConv and QLinearMatMul into
 * value->q of the integer values they describe, so passes can keep a model's own scales.
 * Runs after inference (ranks and dtypes known). Only well-formed constants are mirrored
 * (finite scale > 0, one per tensor or one per channel of the axis); the first node that
 * describes a value wins, and a later disagreeing one only warns. */
#include <math.h>
#include <string.h>

#include "fe_int.h"

/* Reads element i of an integer constant value as int32 (zero-point types). */
static bool zp_at(const oq_value *z, size_t i, int32_t *out)
{
    switch (z->dtype) {
    case OQ_DT_UINT8: *out = ((const uint8_t *)z->data)[i]; return true;
    case OQ_DT_INT8: *out = ((const int8_t *)z->data)[i]; return true;
    case OQ_DT_INT32: *out = ((const int32_t *)z->data)[i]; return true;
    default: return false;
    }
}

/* Sets the qparams of value v from constant scale sv and optional zero point zv along axis
 * (for per-axis). Silently skips anything malformed or non-constant. */
static oq_status mirror(oq_graph *g, uint32_t node, uint32_t v, uint32_t sv, uint32_t zv,
                        int64_t axis, oq_diag *d)
{
    if (v == OQ_NONE || sv == OQ_NONE)
        return OQ_OK;
    const oq_value *s = &g->values[sv];
    const oq_value *z = zv != OQ_NONE ? &g->values[zv] : NULL;
    oq_value *val = &g->values[v];
    int64_t n = oq_shape_numel(&s->shape);
    if (!s->data || s->dtype != OQ_DT_FLOAT || n < 1 || s->shape.rank > 1 || n > UINT32_MAX)
        return OQ_OK;
    if (z && (!z->data || oq_shape_numel(&z->shape) != n))
        return OQ_OK;
    oq_dtype qdt = z ? z->dtype : OQ_DT_UINT8;
    if (val->dtype == OQ_DT_UINT8 || val->dtype == OQ_DT_INT8 || val->dtype == OQ_DT_INT32)
        qdt = val->dtype;
    if (qdt != OQ_DT_UINT8 && qdt != OQ_DT_INT8 && qdt != OQ_DT_INT32)
        return OQ_OK;
    int32_t ax = 0;
    if (n > 1) {
        int r = val->shape.rank;
        if (r < 0)
            return OQ_OK;
        if (axis < 0)
            axis += r;
        if (axis < 0 || axis >= r || val->shape.dim[axis] != n)
            return OQ_OK;
        ax = (int32_t)axis;
    }
    const float *sc = s->data;
    for (int64_t i = 0; i < n; i++)
        if (!(sc[i] > 0) || !isfinite(sc[i]))
            return OQ_OK;
    if (val->q.n) {
        bool same = val->q.n == (uint32_t)n && val->q.axis == ax;
        for (int64_t i = 0; same && i < n; i++) {
            int32_t zp = 0;
            if (z)
                zp_at(z, (size_t)i, &zp);
            same = val->q.scale[i] == sc[i] && val->q.zero_point[i] == zp;
        }
        if (!same)
            oq_warnf(d, g, node, "value '%s' already has other qparams; keeping the first",
                     val->name);
        return OQ_OK;
    }
    float *scale = oq_arena_dup(&g->arena, sc, (size_t)n * sizeof(float));
    int32_t *zps = oq_arena_alloc(&g->arena, (size_t)n * sizeof(int32_t));
    if (!scale || !zps)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory recording qparams");
    for (int64_t i = 0; i < n; i++)
        if (z && !zp_at(z, (size_t)i, &zps[i]))
            return OQ_OK;
    val = &g->values[v];
    val->q.dtype = qdt;
    val->q.axis = ax;
    val->q.n = (uint32_t)n;
    val->q.scale = scale;
    val->q.zero_point = zps;
    return OQ_OK;
}

/* Input k of node n, or OQ_NONE. */
static uint32_t in_at(const oq_node *nd, uint32_t k) { return k < nd->nin ? nd->in[k] : OQ_NONE; }

oq_status oq_fe_fill_qparams(oq_graph *g, oq_diag *d)
{
    oq_status st = OQ_OK;
    for (uint32_t n = 0; n < g->nnode && st == OQ_OK; n++) {
        const oq_node *nd = &g->nodes[n];
        int64_t axis = ir_attr_i(nd, OQ_A_DequantizeLinear_axis);
        uint32_t out0 = nd->nout ? nd->out[0] : OQ_NONE;
        switch (nd->op) {
        case OQ_OP_QuantizeLinear:
            st = mirror(g, n, out0, in_at(nd, 1), in_at(nd, 2), axis, d);
            break;
        case OQ_OP_DequantizeLinear:
            st = mirror(g, n, in_at(nd, 0), in_at(nd, 1), in_at(nd, 2), axis, d);
            break;
        case OQ_OP_QLinearConv:   /* x, xs, xz, w, ws, wz, ys, yz, [B]; w per output channel */
            if ((st = mirror(g, n, in_at(nd, 0), in_at(nd, 1), in_at(nd, 2), 1, d)) == OQ_OK &&
                (st = mirror(g, n, in_at(nd, 3), in_at(nd, 4), in_at(nd, 5), 0, d)) == OQ_OK)
                st = mirror(g, n, out0, in_at(nd, 6), in_at(nd, 7), 1, d);
            break;
        case OQ_OP_QLinearMatMul: /* a, as, az, b, bs, bz, ys, yz; b per column (last axis) */
            if ((st = mirror(g, n, in_at(nd, 0), in_at(nd, 1), in_at(nd, 2), -1, d)) == OQ_OK &&
                (st = mirror(g, n, in_at(nd, 3), in_at(nd, 4), in_at(nd, 5), -1, d)) == OQ_OK)
                st = mirror(g, n, out0, in_at(nd, 6), in_at(nd, 7), -1, d);
            break;
        default:
            break;
        }
    }
    return st;
}
