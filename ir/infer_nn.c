/* Shape and dtype inference of compute ops: elementwise, convolutions and pools, matrix
 * products, reductions, normalizations, softmax, (de)quantization, casts and the quantized
 * com.microsoft ops. Each rule fills a node's outputs from its inputs and attributes (see
 * ir/infer.c for the driver and the conventions: unknown dims stay -1). */
#include <string.h>

#include "ir.h"

/* Elementwise result: the dtype of input 0 and the broadcast of every present input. */
static oq_status infer_bcast(oq_graph *g, uint32_t n, oq_diag *d, uint32_t first, oq_shape *o)
{
    const oq_node *nd = &g->nodes[n];
    bool have = false;
    for (uint32_t i = first; i < nd->nin; i++) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v)
            continue;
        if (!have) {
            *o = v->shape;
            have = true;
            continue;
        }
        oq_status st = ir_bcast2(g, n, o, &v->shape, o, d);
        if (st)
            return st;
    }
    if (!have)
        *o = ir_unknown_shape();
    return OQ_OK;
}

/* Checks that inputs i and j have the same element type when both are known. */
static oq_status same_dtype(oq_graph *g, uint32_t n, oq_diag *d, uint32_t i, uint32_t j)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *a = ir_in_val(g, nd, i), *b = ir_in_val(g, nd, j);
    if (!a || !b || a->dtype == OQ_DT_UNDEFINED || b->dtype == OQ_DT_UNDEFINED ||
        a->dtype == b->dtype)
        return OQ_OK;
    return oq_errorf(d, g, n, OQ_ERR_DTYPE, "inputs '%s' (%s) and '%s' (%s) differ in type",
                     a->name, oq_dtype_name(a->dtype), b->name, oq_dtype_name(b->dtype));
}

/* com.microsoft QLinearConcat(sY, zY, X0, s0, z0, X1, ...; axis): dtype of X0, dims summed. */
oq_status ir_infer_qlinear_concat(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_value *y = ir_out_val(g, nd, 0);
    const oq_value *x0 = ir_in_val(g, nd, 2);
    if (!x0 || !ir_attr_get(nd, OQ_A_QLinearConcat_axis) || (nd->nin - 2) % 3 != 0)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "QLinearConcat needs axis and (X, scale, zp) triples");
    y->dtype = x0->dtype;
    int r = x0->shape.rank, ax;
    if (r < 0) {
        y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    int64_t axis = ir_attr_i(nd, OQ_A_QLinearConcat_axis);
    if (!ir_norm_axis(axis, r, &ax))
        return ir_err_axis(g, n, d, "axis", axis, r);
    y->shape = x0->shape;
    for (uint32_t i = 5; i < nd->nin; i += 3) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v || v->shape.rank != r)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearConcat inputs must share the rank");
        int64_t a = y->shape.dim[ax], b = v->shape.dim[ax];
        y->shape.dim[ax] = a < 0 || b < 0 ? -1 : a + b;
    }
    return OQ_OK;
}

/* com.microsoft QLinearAdd / QLinearMul(A, sA, zA, B, sB, zB, sC, zC): dtype of A, broadcast
 * of A and B. */
oq_status ir_infer_qlinear_add(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *a = ir_in_val(g, nd, 0), *b = ir_in_val(g, nd, 3);
    oq_value *y = ir_out_val(g, nd, 0);
    if (!a || !b || !y)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "%s needs inputs A and B", nd->op_type);
    y->dtype = a->dtype;
    return ir_bcast2(g, n, &a->shape, &b->shape, &y->shape, d);
}

/* QLinearLookup(X, table, sY, zY): a 256-entry table indexed by X's byte; X's shape, the
 * table's dtype (uint8 or int8). */
oq_status ir_infer_qlinear_lookup(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0), *t = ir_in_val(g, nd, 1);
    oq_value *y = ir_out_val(g, nd, 0);
    if (!x || !t || !y)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearLookup needs inputs X and table");
    if ((x->dtype != OQ_DT_UINT8 && x->dtype != OQ_DT_INT8) ||
        (t->dtype != OQ_DT_UINT8 && t->dtype != OQ_DT_INT8))
        return oq_errorf(d, g, n, OQ_ERR_DTYPE, "QLinearLookup takes uint8 or int8 X and table");
    if (t->shape.rank != 1 || t->shape.dim[0] != 256)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearLookup table must have shape [256]");
    y->dtype = t->dtype;
    y->shape = x->shape;
    return OQ_OK;
}

oq_status ir_infer_conv(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    bool qconv = nd->op == OQ_OP_QLinearConv;
    bool convt = nd->op == OQ_OP_ConvTranspose;
    uint32_t wi = qconv ? 3 : 1;
    oq_status st = ir_need_in(g, n, d, wi);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *w = ir_in_val(g, nd, wi);
    oq_value *y = ir_out_val(g, nd, 0);
    if (nd->op == OQ_OP_ConvInteger)
        y->dtype = OQ_DT_INT32;
    else if (qconv)
        y->dtype = ir_in_val(g, nd, 7) ? ir_in_val(g, nd, 7)->dtype : x->dtype;
    else
        y->dtype = x->dtype;
    oq_conv_geom geo;
    if ((st = ir_conv_geom(g, n, &geo, d)))
        return st;
    if (geo.nsp < 0) {
        y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    if (w->shape.rank >= 0 && w->shape.rank != geo.nsp + 2)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "weight '%s' has rank %d; expected %d", w->name,
                         w->shape.rank, geo.nsp + 2);
    int64_t c = x->shape.rank >= 0 ? x->shape.dim[1] : -1;
    int64_t wc = w->shape.rank >= 0 ? w->shape.dim[convt ? 0 : 1] : -1;
    int64_t m = w->shape.rank >= 0 ? w->shape.dim[convt ? 1 : 0] : -1;
    if (!convt && c >= 0 && wc >= 0 && c != wc * geo.group)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                         "input '%s' has %lld channels but weight '%s' expects %lld x group %lld",
                         x->name, (long long)c, w->name, (long long)wc, (long long)geo.group);
    if (convt && c >= 0 && wc >= 0 && c != wc)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                         "input '%s' has %lld channels but weight '%s' dim 0 is %lld", x->name,
                         (long long)c, w->name, (long long)wc);
    if (!convt && m >= 0 && m % geo.group)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "%lld output channels not divisible by group %lld",
                         (long long)m, (long long)geo.group);
    if (convt && m >= 0) {
        if (m > INT64_MAX / geo.group)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output channels overflow");
        m *= geo.group;
    }
    const oq_value *b = ir_in_val(g, nd, qconv ? 8 : 2);
    if (b && nd->op != OQ_OP_ConvInteger && b->shape.rank == 1 && b->shape.dim[0] >= 0 && m >= 0 &&
        b->shape.dim[0] != m)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "bias '%s' has %lld entries for %lld channels",
                         b->name, (long long)b->shape.dim[0], (long long)m);
    oq_shape o = ir_rank_shape(geo.nsp + 2);
    o.dim[0] = x->shape.rank >= 0 ? x->shape.dim[0] : -1;
    o.dim[1] = m;
    for (int i = 0; i < geo.nsp; i++)
        o.dim[2 + i] = geo.out[i];
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_pool(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0), *ix = ir_out_val(g, nd, 1);
    y->dtype = x->dtype;
    if (nd->op == OQ_OP_GlobalAveragePool || nd->op == OQ_OP_GlobalMaxPool) {
        if (x->shape.rank >= 0 && x->shape.rank < 3)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "input '%s' has rank %d; expected >= 3",
                             x->name, x->shape.rank);
        y->shape = x->shape;
        for (int i = 2; i < x->shape.rank; i++)
            y->shape.dim[i] = 1;
        return OQ_OK;
    }
    oq_conv_geom geo;
    oq_status st = ir_conv_geom(g, n, &geo, d);
    if (st)
        return st;
    if (geo.nsp < 0) {
        y->shape = ir_unknown_shape();
    } else {
        oq_shape o = ir_rank_shape(geo.nsp + 2);
        o.dim[0] = x->shape.rank >= 0 ? x->shape.dim[0] : -1;
        o.dim[1] = x->shape.rank >= 0 ? x->shape.dim[1] : -1;
        for (int i = 0; i < geo.nsp; i++)
            o.dim[2 + i] = geo.out[i];
        y->shape = o;
    }
    if (ix) {
        ix->dtype = OQ_DT_INT64;
        ix->shape = y->shape;
    }
    return OQ_OK;
}

/* MatMul family: a and b are input indices. */
oq_status ir_infer_matmul(oq_graph *g, uint32_t n, oq_diag *d, uint32_t ai, uint32_t bi)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = ir_need_in(g, n, d, bi);
    if (st)
        return st;
    const oq_value *a = ir_in_val(g, nd, ai), *b = ir_in_val(g, nd, bi);
    oq_value *y = ir_out_val(g, nd, 0);
    if (nd->op == OQ_OP_MatMulInteger)
        y->dtype = OQ_DT_INT32;
    else if (nd->op == OQ_OP_QLinearMatMul)
        y->dtype = ir_in_val(g, nd, 7) ? ir_in_val(g, nd, 7)->dtype : a->dtype;
    else
        y->dtype = a->dtype;
    if (a->shape.rank < 0 || b->shape.rank < 0) {
        y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    if (a->shape.rank == 0 || b->shape.rank == 0)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "MatMul operands must have rank >= 1");
    oq_shape sa = a->shape, sb = b->shape;
    bool a1 = sa.rank == 1, b1 = sb.rank == 1;
    if (a1) {
        sa.rank = 2;
        sa.dim[1] = sa.dim[0];
        sa.dim[0] = 1;
    }
    if (b1) {
        sb.rank = 2;
        sb.dim[1] = 1;
    }
    int64_t ka = sa.dim[sa.rank - 1], kb = sb.dim[sb.rank - 2];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                         "inner dims differ: '%s' has K=%lld, '%s' has K=%lld", a->name,
                         (long long)ka, b->name, (long long)kb);
    oq_shape ba = sa, bb = sb, o;
    ba.rank -= 2;
    bb.rank -= 2;
    if ((st = ir_bcast2(g, n, &ba, &bb, &o, d)))
        return st;
    int r = o.rank;
    if (!a1)
        o.dim[r++] = sa.dim[sa.rank - 2];
    if (!b1)
        o.dim[r++] = sb.dim[sb.rank - 1];
    o.rank = r;
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_gemm(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *a = ir_in_val(g, nd, 0), *b = ir_in_val(g, nd, 1), *c = ir_in_val(g, nd, 2);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = a->dtype;
    if ((a->shape.rank >= 0 && a->shape.rank != 2) || (b->shape.rank >= 0 && b->shape.rank != 2))
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "Gemm operands must be 2-D (got rank %d and %d)",
                         a->shape.rank, b->shape.rank);
    bool ta = ir_attr_i(nd, OQ_A_Gemm_transA) != 0, tb = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
    int64_t m = a->shape.rank == 2 ? a->shape.dim[ta ? 1 : 0] : -1;
    int64_t ka = a->shape.rank == 2 ? a->shape.dim[ta ? 0 : 1] : -1;
    int64_t kb = b->shape.rank == 2 ? b->shape.dim[tb ? 1 : 0] : -1;
    int64_t nn = b->shape.rank == 2 ? b->shape.dim[tb ? 0 : 1] : -1;
    if (ka >= 0 && kb >= 0 && ka != kb)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "inner dims differ: '%s' K=%lld, '%s' K=%lld",
                         a->name, (long long)ka, b->name, (long long)kb);
    oq_shape o = ir_rank_shape(2);
    o.dim[0] = m;
    o.dim[1] = nn;
    if (c) {
        oq_shape t;
        oq_status st = ir_bcast2(g, n, &o, &c->shape, &t, d);
        if (st)
            return st;
        if (t.rank > 2)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "bias '%s' has rank %d > 2", c->name,
                             c->shape.rank);
        if (t.rank == 2) {   /* the bias may fill in an unknown dim, never change a known one */
            for (int i = 0; i < 2; i++)
                if (o.dim[i] < 0 && t.dim[i] > 1)
                    o.dim[i] = t.dim[i];
                else if (o.dim[i] >= 0 && t.dim[i] >= 0 && t.dim[i] != o.dim[i])
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "bias '%s' does not broadcast to "
                                     "[%lld,%lld]", c->name, (long long)m, (long long)nn);
        }
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_reduce(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t axes[OQ_MAX_RANK * 2];
    int na;
    bool known;
    ir_infer_axes(g, nd, axes, &na, &known, OQ_MAX_RANK * 2);
    bool keep = ir_attr_i(nd, OQ_A_ReduceSum_keepdims) != 0;
    bool noop = ir_attr_i(nd, OQ_A_ReduceSum_noop_with_empty_axes) != 0;
    int r = x->shape.rank;
    if (r < 0 || !known) {
        if (r >= 0 && keep)
            y->shape = ir_rank_shape(r);
        else if (r >= 0 && na >= 0 && na <= r && (na > 0 || !noop))
            y->shape = ir_rank_shape(na == 0 ? 0 : r - na);
        else
            y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    if (na <= 0 && noop) {
        y->shape = x->shape;
        return OQ_OK;
    }
    bool red[OQ_MAX_RANK] = {false};
    if (na <= 0) {
        for (int i = 0; i < r; i++)
            red[i] = true;
    }
    for (int i = 0; i < na; i++) {
        int a;
        if (!ir_norm_axis(axes[i], r, &a))
            return ir_err_axis(g, n, d, "reduce axis", axes[i], r);
        red[a] = true;
    }
    oq_shape o = ir_rank_shape(0);
    for (int i = 0; i < r; i++) {
        if (!red[i])
            o.dim[o.rank++] = x->shape.dim[i];
        else if (keep)
            o.dim[o.rank++] = 1;
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_layernorm(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    y->shape = x->shape;
    int r = x->shape.rank;
    int64_t axis = ir_attr_i(nd, OQ_A_LayerNormalization_axis);
    int ax = 0;
    if (r >= 0 && !ir_norm_axis(axis, r, &ax))
        return ir_err_axis(g, n, d, "axis", axis, r);
    int64_t stash = ir_attr_i(nd, OQ_A_LayerNormalization_stash_type);
    for (uint32_t i = 1; i < 3; i++) {
        oq_value *o = ir_out_val(g, nd, i);
        if (!o)
            continue;
        o->dtype = stash == 1 ? OQ_DT_FLOAT : (oq_dtype)stash;
        o->shape = x->shape;
        for (int k = ax; k < r; k++)
            o->shape.dim[k] = 1;
    }
    return OQ_OK;
}

/* LSTM (layout 0): Y [seq, ndir, batch, hidden], Y_h and Y_c [ndir, batch, hidden]; ndir from
 * W [ndir, 4 * hidden, input], hidden from R (or hidden_size). */
oq_status ir_infer_lstm(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = ir_need_in(g, n, d, 1);
    if (st == OQ_OK)
        st = ir_need_in(g, n, d, 2);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *w = ir_in_val(g, nd, 1), *r = ir_in_val(g, nd, 2);
    if ((x->shape.rank >= 0 && x->shape.rank != 3) || (w->shape.rank >= 0 && w->shape.rank != 3) ||
        (r->shape.rank >= 0 && r->shape.rank != 3))
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "X, W and R must be 3-D");
    if (ir_attr_i(nd, OQ_A_LSTM_layout) != 0)
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "layout=1 not supported");
    int64_t seq = x->shape.rank == 3 ? x->shape.dim[0] : -1;
    int64_t batch = x->shape.rank == 3 ? x->shape.dim[1] : -1;
    int64_t ndir = w->shape.rank == 3 ? w->shape.dim[0] : -1;
    int64_t hid = r->shape.rank == 3 ? r->shape.dim[2] : -1;
    if (hid < 0 && ir_attr_get(nd, OQ_A_LSTM_hidden_size))
        hid = ir_attr_i(nd, OQ_A_LSTM_hidden_size);
    for (uint32_t i = 0; i < 3; i++) {
        oq_value *o = ir_out_val(g, nd, i);
        if (!o)
            continue;
        o->dtype = x->dtype;
        int64_t dims[4] = {seq, ndir, batch, hid};
        o->shape.rank = i == 0 ? 4 : 3;
        for (int k = 0; k < o->shape.rank; k++)
            o->shape.dim[k] = dims[i == 0 ? k : k + 1];
    }
    return OQ_OK;
}

oq_status ir_infer_qdq(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = ir_need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *s = ir_in_val(g, nd, 1), *zp = ir_in_val(g, nd, 2);
    oq_value *y = ir_out_val(g, nd, 0);
    y->shape = x->shape;
    if (nd->op == OQ_OP_QuantizeLinear) {
        y->dtype = zp ? zp->dtype : OQ_DT_UINT8;
        if (zp && zp->dtype != OQ_DT_UNDEFINED && zp->dtype != OQ_DT_UINT8 &&
            zp->dtype != OQ_DT_INT8 && zp->dtype != OQ_DT_INT32 && zp->dtype != OQ_DT_UINT16 &&
            zp->dtype != OQ_DT_INT16)
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "zero point '%s' is %s", zp->name,
                             oq_dtype_name(zp->dtype));
    } else {
        y->dtype = s->dtype == OQ_DT_UNDEFINED ? OQ_DT_FLOAT : s->dtype;
    }
    if (zp && s->shape.rank >= 0 && zp->shape.rank >= 0 &&
        oq_shape_numel(&s->shape) >= 0 && oq_shape_numel(&zp->shape) >= 0 &&
        oq_shape_numel(&s->shape) != oq_shape_numel(&zp->shape))
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "scale '%s' and zero point '%s' differ in size",
                         s->name, zp->name);
    /* per-axis: a 1-D scale of length > 1 must match x's axis dim */
    int64_t ns = oq_shape_numel(&s->shape);
    if (s->shape.rank == 1 && ns > 1 && x->shape.rank >= 0) {
        int64_t axis = ir_attr_i(nd, OQ_A_DequantizeLinear_axis);
        int ax;
        if (!ir_norm_axis(axis, x->shape.rank, &ax))
            return ir_err_axis(g, n, d, "axis", axis, x->shape.rank);
        if (x->shape.dim[ax] >= 0 && x->shape.dim[ax] != ns)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                             "per-axis scale '%s' has %lld entries but dim %d of '%s' is %lld",
                             s->name, (long long)ns, ax, x->name, (long long)x->shape.dim[ax]);
    } else if (s->shape.rank > 1) {
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "scale '%s' has rank %d; expected 0 or 1", s->name,
                         s->shape.rank);
    }
    return OQ_OK;
}

oq_status ir_infer_cast(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    int64_t to = ir_attr_i(nd, OQ_A_Cast_to);
    if (to < 0 || to > 64 || !oq_dtype_valid((int)to) || to == OQ_DT_UNDEFINED)
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                         "attribute 'to'=%lld is not a known type",
                         (long long)to);
    y->dtype = (oq_dtype)to;
    y->shape = x->shape;
    return OQ_OK;
}

/* Add/Sub/Mul/Div/Equal (inputs of one type), Pow, Where (condition, then two values of one
 * type) and PRelu (slope broadcast to the input's shape): numpy broadcasting. */
oq_status ir_infer_elementwise(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    oq_status st;
    switch (nd->op) {
    case OQ_OP_Pow:
        y->dtype = x->dtype;
        return infer_bcast(g, n, d, 0, &y->shape);
    case OQ_OP_Where:
        if ((st = same_dtype(g, n, d, 1, 2)))
            return st;
        y->dtype = g->values[nd->in[1]].dtype;
        return infer_bcast(g, n, d, 0, &y->shape);
    case OQ_OP_PRelu: {
        oq_shape t;
        y->dtype = x->dtype;
        if ((st = infer_bcast(g, n, d, 0, &t)))
            return st;
        if (t.rank >= 0 && x->shape.rank >= 0 && t.rank != x->shape.rank)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "slope has higher rank than the input");
        y->shape = x->shape;
        return OQ_OK;
    }
    default:
        if ((st = same_dtype(g, n, d, 0, 1)))
            return st;
        y->dtype = nd->op == OQ_OP_Equal ? OQ_DT_BOOL : x->dtype;
        return infer_bcast(g, n, d, 0, &y->shape);
    }
}

/* Softmax / LogSoftmax: the input's type; the axis must be in range. */
oq_status ir_infer_softmax(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    y->shape = x->shape;
    int ax;
    int64_t axis = ir_softmax_axis(nd);
    if (x->shape.rank >= 0 && !ir_norm_axis(axis, x->shape.rank, &ax) &&
        !(x->shape.rank == 0 && (axis == 0 || axis == -1)))
        return ir_err_axis(g, n, d, "axis", axis, x->shape.rank);
    return OQ_OK;
}

/* BatchNormalization (inference): the input's type; scale, bias, mean and var have C entries;
 * the optional running mean/var outputs are [C]. */
oq_status ir_infer_batchnorm(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    if (ir_attr_i(nd, OQ_A_BatchNormalization_training_mode))
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "training_mode=1 not supported");
    y->dtype = x->dtype;
    y->shape = x->shape;
    int64_t c = x->shape.rank >= 2 ? x->shape.dim[1] : -1;
    for (uint32_t i = 1; i < 5; i++) {
        const oq_value *p = ir_in_val(g, nd, i);
        if (p && c >= 0 && p->shape.rank == 1 && p->shape.dim[0] >= 0 && p->shape.dim[0] != c)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "'%s' has %lld entries for %lld channels",
                             p->name, (long long)p->shape.dim[0], (long long)c);
    }
    for (uint32_t i = 1; i < nd->nout; i++) {
        oq_value *o = ir_out_val(g, nd, i);
        if (o) {
            o->dtype = x->dtype;
            o->shape = ir_rank_shape(1);
            o->shape.dim[0] = c;
        }
    }
    return OQ_OK;
}

/* Dropout (inference): the input, and a bool mask of its shape. */
oq_status ir_infer_dropout(oq_graph *g, uint32_t n, oq_diag *d)
{
    (void)d;
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0), *m = ir_out_val(g, nd, 1);
    y->dtype = x->dtype;
    y->shape = x->shape;
    if (m) {
        m->dtype = OQ_DT_BOOL;
        m->shape = x->shape;
    }
    return OQ_OK;
}

/* DynamicQuantizeLinear: uint8 of the input's shape, a float scale and a uint8 zero point. */
oq_status ir_infer_dynamic_quantize(oq_graph *g, uint32_t n, oq_diag *d)
{
    (void)d;
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0), *s = ir_out_val(g, nd, 1), *z = ir_out_val(g, nd, 2);
    y->dtype = OQ_DT_UINT8;
    y->shape = x->shape;
    if (s) {
        s->dtype = OQ_DT_FLOAT;
        s->shape = ir_rank_shape(0);
    }
    if (z) {
        z->dtype = OQ_DT_UINT8;
        z->shape = ir_rank_shape(0);
    }
    return OQ_OK;
}

/* com.microsoft QLinearGlobalAveragePool (NCHW): the input's type, spatial dims 1. */
oq_status ir_infer_qlinear_gap(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    if (x->shape.rank < 3)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearGlobalAveragePool needs rank >= 3");
    y->dtype = x->dtype;
    y->shape = x->shape;
    for (int32_t k = 2; k < x->shape.rank; k++)
        y->shape.dim[k] = 1;
    return OQ_OK;
}
