/* Shape and dtype inference over the canonical IR forms (frontend/frontend.h), one node at a time in
 * topological order. Unknown dims stay -1 without error (ir_require_static reports the first
 * one, with the graph input it comes from); only real contradictions are errors. After each
 * node, ir/fold.c evaluates small constant shape arithmetic into value->data so that
 * Reshape/Expand/ConstantOfShape/Slice/Resize shapes become static. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ir.h"


/* ---------------------------------------------------------------- small helpers */

/* Input i of node nd as a value pointer; NULL when absent or out of range. */
oq_value *ir_in_val(oq_graph *g, const oq_node *nd, uint32_t i)
{
    if (i >= nd->nin || nd->in[i] == OQ_NONE)
        return NULL;
    return &g->values[nd->in[i]];
}

/* Output i of node nd; NULL when absent. */
static oq_value *out_val(oq_graph *g, const oq_node *nd, uint32_t i)
{
    if (i >= nd->nout || nd->out[i] == OQ_NONE)
        return NULL;
    return &g->values[nd->out[i]];
}

static oq_shape unknown_shape(void)
{
    oq_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

static oq_shape rank_shape(int r)
{
    oq_shape s;
    memset(&s, 0, sizeof s);
    s.rank = r;
    for (int i = 0; i < r && i < OQ_MAX_RANK; i++)
        s.dim[i] = -1;
    return s;
}

static bool dt_int(oq_dtype t)
{
    return t == OQ_DT_INT64 || t == OQ_DT_INT32 || t == OQ_DT_INT16 || t == OQ_DT_INT8 ||
           t == OQ_DT_UINT8 || t == OQ_DT_UINT16 || t == OQ_DT_UINT32 || t == OQ_DT_UINT64 ||
           t == OQ_DT_BOOL;
}

static bool dt_float(oq_dtype t) { return t == OQ_DT_FLOAT || t == OQ_DT_DOUBLE; }

/* Reads a constant integer vector (or scalar) value v into buf (at most max entries).
 * Returns the count, or -1 when v is absent, not constant, not integer or too long. */
static int const_ints(const oq_graph *g, uint32_t v, int64_t *buf, int max)
{
    if (v == OQ_NONE)
        return -1;
    const oq_value *val = &g->values[v];
    if (!val->data || !dt_int(val->dtype) || val->shape.rank > 1)
        return -1;
    int64_t n = oq_shape_numel(&val->shape);
    if (n < 0 || n > max)
        return -1;
    for (int64_t i = 0; i < n; i++)
        buf[i] = oq_elem_i64(val->data, val->dtype, i);
    return (int)n;
}

/* Length of a 1-D value (its dim 0) when known, else -1. */
static int64_t vec_len(const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE)
        return -1;
    const oq_shape *s = &g->values[v].shape;
    if (s->rank == 0)
        return 1;
    return s->rank == 1 ? s->dim[0] : -1;
}

/* Normalizes axis a against rank r into *out; false when out of [-r, r). */
bool ir_norm_axis(int64_t a, int r, int *out)
{
    if (a < -r || a >= r)
        return false;
    *out = (int)(a < 0 ? a + r : a);
    return true;
}

static oq_status err_axis(oq_graph *g, uint32_t n, oq_diag *d, const char *what, int64_t a, int r)
{
    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "%s %lld out of range for rank %d", what, (long long)a,
                     r);
}

static oq_status err_rank(oq_graph *g, uint32_t n, oq_diag *d, int r)
{
    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output rank %d exceeds the maximum %d", r, OQ_MAX_RANK);
}

/* Requires input i to exist. */
static oq_status need_in(oq_graph *g, uint32_t n, oq_diag *d, uint32_t i)
{
    const oq_node *nd = &g->nodes[n];
    if (i < nd->nin && nd->in[i] != OQ_NONE)
        return OQ_OK;
    return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "required input %u is missing", i);
}

/* ---------------------------------------------------------------- broadcasting */

/* Numpy broadcast of a and b into o; SHAPE error on mismatch. Unknown dims: a known dim
 * other than 1 wins (the unknown one must be 1 or equal). */
static oq_status bcast2(oq_graph *g, uint32_t n, const oq_shape *a, const oq_shape *b, oq_shape *o,
                        oq_diag *d)
{
    if (a->rank < 0 || b->rank < 0) {
        *o = unknown_shape();
        return OQ_OK;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    oq_shape t = rank_shape(r);
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        if (da == 1)
            t.dim[i] = db;
        else if (db == 1)
            t.dim[i] = da;
        else if (da < 0)
            t.dim[i] = db;
        else if (db < 0 || da == db)
            t.dim[i] = da;
        else
            return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                             "cannot broadcast dim %d: %lld vs %lld (shapes of rank %d and %d)", i,
                             (long long)da, (long long)db, a->rank, b->rank);
    }
    *o = t;
    return OQ_OK;
}

/* Offset into a tensor of shape `in`, broadcast to `out`, at the multi-index idx of out. */
int64_t ir_bcast_off(const oq_shape *in, const oq_shape *out, const int64_t *idx)
{
    int64_t off = 0;
    int lead = out->rank - in->rank;
    for (int i = 0; i < in->rank; i++) {
        int64_t k = in->dim[i] == 1 ? 0 : idx[i + lead];
        off = off * in->dim[i] + k;
    }
    return off;
}

/* Multi-index idx of element i of shape s (row-major). */
void ir_unravel(int64_t i, const oq_shape *s, int64_t *idx)
{
    for (int k = s->rank - 1; k >= 0; k--) {
        int64_t dk = s->dim[k] > 0 ? s->dim[k] : 1;
        idx[k] = i % dk;
        i /= dk;
    }
}

/* ---------------------------------------------------------------- per-op inference */

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
        oq_status st = bcast2(g, n, o, &v->shape, o, d);
        if (st)
            return st;
    }
    if (!have)
        *o = unknown_shape();
    return OQ_OK;
}

/* com.microsoft QLinearConcat(sY, zY, X0, s0, z0, X1, ...; axis): dtype of X0, dims summed. */
static oq_status infer_qlinear_concat(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_value *y = out_val(g, nd, 0);
    const oq_value *x0 = ir_in_val(g, nd, 2);
    if (!x0 || !ir_attr_get(nd, OQ_A_QLinearConcat_axis) || (nd->nin - 2) % 3 != 0)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "QLinearConcat needs axis and (X, scale, zp) triples");
    y->dtype = x0->dtype;
    int r = x0->shape.rank, ax;
    if (r < 0) {
        y->shape = unknown_shape();
        return OQ_OK;
    }
    int64_t axis = ir_attr_i(nd, OQ_A_QLinearConcat_axis);
    if (!ir_norm_axis(axis, r, &ax))
        return err_axis(g, n, d, "axis", axis, r);
    y->shape = x0->shape;
    for (uint32_t i = 5; i < nd->nin; i += 3) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v || v->shape.rank != r)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearConcat inputs must share the rank");
        y->shape.dim[ax] = y->shape.dim[ax] < 0 || v->shape.dim[ax] < 0 ? -1 : y->shape.dim[ax] + v->shape.dim[ax];
    }
    return OQ_OK;
}

/* com.microsoft QLinearAdd(A, sA, zA, B, sB, zB, sC, zC): dtype of A, broadcast of A and B. */
static oq_status infer_qlinear_add(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *a = ir_in_val(g, nd, 0), *b = ir_in_val(g, nd, 3);
    oq_value *y = out_val(g, nd, 0);
    if (!a || !b || !y)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearAdd needs inputs A and B");
    y->dtype = a->dtype;
    return bcast2(g, n, &a->shape, &b->shape, &y->shape, d);
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

static oq_status infer_conv(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    bool qconv = nd->op == OQ_OP_QLinearConv;
    bool convt = nd->op == OQ_OP_ConvTranspose;
    uint32_t wi = qconv ? 3 : 1;
    oq_status st = need_in(g, n, d, wi);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *w = ir_in_val(g, nd, wi);
    oq_value *y = out_val(g, nd, 0);
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
        y->shape = unknown_shape();
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
    oq_shape o = rank_shape(geo.nsp + 2);
    o.dim[0] = x->shape.rank >= 0 ? x->shape.dim[0] : -1;
    o.dim[1] = m;
    for (int i = 0; i < geo.nsp; i++)
        o.dim[2 + i] = geo.out[i];
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_pool(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0), *ix = out_val(g, nd, 1);
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
        y->shape = unknown_shape();
    } else {
        oq_shape o = rank_shape(geo.nsp + 2);
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
static oq_status infer_matmul(oq_graph *g, uint32_t n, oq_diag *d, uint32_t ai, uint32_t bi)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = need_in(g, n, d, bi);
    if (st)
        return st;
    const oq_value *a = ir_in_val(g, nd, ai), *b = ir_in_val(g, nd, bi);
    oq_value *y = out_val(g, nd, 0);
    if (nd->op == OQ_OP_MatMulInteger)
        y->dtype = OQ_DT_INT32;
    else if (nd->op == OQ_OP_QLinearMatMul)
        y->dtype = ir_in_val(g, nd, 7) ? ir_in_val(g, nd, 7)->dtype : a->dtype;
    else
        y->dtype = a->dtype;
    if (a->shape.rank < 0 || b->shape.rank < 0) {
        y->shape = unknown_shape();
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
    if ((st = bcast2(g, n, &ba, &bb, &o, d)))
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

static oq_status infer_gemm(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *a = ir_in_val(g, nd, 0), *b = ir_in_val(g, nd, 1), *c = ir_in_val(g, nd, 2);
    oq_value *y = out_val(g, nd, 0);
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
    oq_shape o = rank_shape(2);
    o.dim[0] = m;
    o.dim[1] = nn;
    if (c) {
        oq_shape t;
        oq_status st = bcast2(g, n, &o, &c->shape, &t, d);
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

static oq_status infer_reshape(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t sh[OQ_MAX_RANK + 1];
    int k = const_ints(g, nd->in[1], sh, OQ_MAX_RANK + 1);
    if (k < 0) {
        int64_t len = vec_len(g, nd->in[1]);
        if (len > OQ_MAX_RANK)
            return err_rank(g, n, d, (int)(len > 1000 ? 1000 : len));
        y->shape = len >= 0 ? rank_shape((int)len) : unknown_shape();
        return OQ_OK;
    }
    if (k > OQ_MAX_RANK)
        return err_rank(g, n, d, k);
    bool allowzero = ir_attr_i(nd, OQ_A_Reshape_allowzero) != 0;
    oq_shape o = rank_shape(k);
    int neg = -1;
    int64_t known = 1;         /* product of the known output dims */
    bool unk = false;
    for (int i = 0; i < k; i++) {
        int64_t v = sh[i];
        if (v == 0 && !allowzero) {
            if (x->shape.rank >= 0 && i >= x->shape.rank)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                 "shape entry %d is 0 (copy) but input '%s' has rank %d", i,
                                 x->name, x->shape.rank);
            v = x->shape.rank >= 0 ? x->shape.dim[i] : -1;
        } else if (v == -1) {
            if (neg >= 0)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape has more than one -1");
            neg = i;
            continue;
        } else if (v < -1) {
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape entry %d is %lld", i, (long long)v);
        }
        o.dim[i] = v;
        if (v < 0)
            unk = true;
        else if (v && known > INT64_MAX / v)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "target shape overflows");
        else
            known *= v;
    }
    int64_t total = oq_shape_numel(&x->shape);
    if (neg >= 0 && unk && x->shape.rank >= 0) {
        /* unknown dims copied by 0 at the same position cancel out: [N,8,1,1] -> [0,-1] = [N,8] */
        bool cancel = true;
        int64_t rest_in = 1, rest_out = 1;
        for (int i = 0; i < x->shape.rank && cancel; i++) {
            bool copied = !allowzero && i < k && sh[i] == 0;
            if (copied)
                continue;
            if (x->shape.dim[i] < 0 || (x->shape.dim[i] && rest_in > INT64_MAX / x->shape.dim[i]))
                cancel = false;
            else
                rest_in *= x->shape.dim[i];
        }
        for (int i = 0; i < k && cancel; i++) {
            bool copied = !allowzero && sh[i] == 0;
            if (copied || i == neg)
                continue;
            if (o.dim[i] < 0 || (o.dim[i] && rest_out > INT64_MAX / o.dim[i]))
                cancel = false;
            else
                rest_out *= o.dim[i];
        }
        if (cancel && rest_out > 0 && rest_in % rest_out == 0)
            o.dim[neg] = rest_in / rest_out;
    }
    if (neg >= 0) {
        if (allowzero && known == 0 && !unk)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape has both 0 (allowzero) and -1");
        if (!unk && total >= 0) {
            if (known == 0 || total % known)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                 "cannot reshape %lld elements of '%s': not divisible by %lld",
                                 (long long)total, x->name, (long long)known);
            o.dim[neg] = total / known;
        }
    } else if (!unk && total >= 0 && total != known) {
        return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                         "cannot reshape %lld elements of '%s' into %lld elements",
                         (long long)total, x->name, (long long)known);
    }
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_flatten(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    oq_shape o = rank_shape(2);
    if (x->shape.rank < 0) {
        y->shape = o;
        return OQ_OK;
    }
    int64_t axis = ir_attr_i(nd, OQ_A_Flatten_axis);
    int r = x->shape.rank;
    if (axis < -r || axis > r)
        return err_axis(g, n, d, "axis", axis, r);
    int ax = (int)(axis < 0 ? axis + r : axis);
    oq_shape lo = x->shape, hi = x->shape;
    lo.rank = ax;
    hi.rank = r - ax;
    memmove(hi.dim, x->shape.dim + ax, (size_t)(r - ax) * sizeof(int64_t));
    o.dim[0] = oq_shape_numel(&lo);
    o.dim[1] = oq_shape_numel(&hi);
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_transpose(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    const int64_t *perm;
    int np = ir_attr_is(nd, OQ_A_Transpose_perm, &perm);
    int r = x->shape.rank;
    if (r < 0) {
        y->shape = np >= 0 ? rank_shape(np) : unknown_shape();
        if (np > OQ_MAX_RANK)
            return err_rank(g, n, d, np);
        return OQ_OK;
    }
    if (np >= 0 && np != r)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "perm has %d entries for rank %d", np, r);
    oq_shape o = rank_shape(r);
    bool seen[OQ_MAX_RANK] = {false};
    for (int i = 0; i < r; i++) {
        int64_t p = np >= 0 ? perm[i] : r - 1 - i;
        int pa;
        if (!ir_norm_axis(p, r, &pa) || seen[pa])
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "perm is not a permutation of 0..%d", r - 1);
        seen[pa] = true;
        o.dim[i] = x->shape.dim[pa];
    }
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_concat(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_value *y = out_val(g, nd, 0);
    int64_t axis = ir_attr_i(nd, OQ_A_Concat_axis);
    if (!ir_attr_get(nd, OQ_A_Concat_axis))
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute 'axis' is missing");
    int r = -1;
    y->dtype = OQ_DT_UNDEFINED;
    for (uint32_t i = 0; i < nd->nin; i++) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v)
            continue;
        if (y->dtype == OQ_DT_UNDEFINED)
            y->dtype = v->dtype;
        else if (v->dtype != OQ_DT_UNDEFINED && v->dtype != y->dtype)
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "input '%s' is %s, others are %s", v->name,
                             oq_dtype_name(v->dtype), oq_dtype_name(y->dtype));
        if (v->shape.rank >= 0) {
            if (r >= 0 && v->shape.rank != r)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "input '%s' has rank %d, others %d",
                                 v->name, v->shape.rank, r);
            r = v->shape.rank;
        }
    }
    if (r < 0) {
        y->shape = unknown_shape();
        return OQ_OK;
    }
    int ax;
    if (!ir_norm_axis(axis, r, &ax))
        return err_axis(g, n, d, "axis", axis, r);
    oq_shape o = rank_shape(r);
    o.dim[ax] = 0;
    for (uint32_t i = 0; i < nd->nin; i++) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v)
            continue;
        if (v->shape.rank < 0) {
            o.dim[ax] = -1;
            continue;
        }
        for (int k = 0; k < r; k++) {
            int64_t dk = v->shape.dim[k];
            if (k == ax) {
                if (dk < 0 || o.dim[ax] < 0)
                    o.dim[ax] = -1;
                else if (dk > INT64_MAX - o.dim[ax])
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "concatenated dim overflows");
                else
                    o.dim[ax] += dk;
            } else if (dk >= 0) {
                if (o.dim[k] >= 0 && o.dim[k] != dk)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                     "input '%s' dim %d is %lld, others have %lld", v->name, k,
                                     (long long)dk, (long long)o.dim[k]);
                o.dim[k] = dk;
            }
        }
    }
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_split(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    int r = x->shape.rank;
    int64_t axis = ir_attr_i(nd, OQ_A_Split_axis);
    int ax = 0;
    if (r >= 0 && !ir_norm_axis(axis, r, &ax))
        return err_axis(g, n, d, "axis", axis, r);
    uint32_t no = nd->nout;
    int64_t dim = r >= 0 ? x->shape.dim[ax] : -1;
    const oq_value *sv = ir_in_val(g, nd, 1);
    const int64_t *sattr = NULL;
    int nsattr = sv ? -1 : ir_attr_is(nd, OQ_A_Split_split, &sattr);
    int64_t nout_attr = ir_attr_i(nd, OQ_A_Split_num_outputs);
    bool sizes_known = false;
    if (sv && (!sv->data || !dt_int(sv->dtype)))
        sizes_known = false;
    else if (sv || nsattr >= 0)
        sizes_known = true;
    if (sv && sv->data) {
        int64_t cnt = oq_shape_numel(&sv->shape);
        if (cnt != (int64_t)no)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split '%s' has %lld sizes for %u outputs",
                             sv->name, (long long)cnt, no);
    } else if (nsattr >= 0 && nsattr != (int)no) {
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split has %d sizes for %u outputs", nsattr, no);
    }
    if (nout_attr && nout_attr != (int64_t)no)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "num_outputs=%lld but the node has %u outputs",
                         (long long)nout_attr, no);
    int64_t sum = 0;
    for (uint32_t i = 0; i < no; i++) {
        oq_value *y = out_val(g, nd, i);
        int64_t sz = -1;
        if (sizes_known) {
            sz = sv ? oq_elem_i64(sv->data, sv->dtype, i) : sattr[i];
            if (sz < 0)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split size %u is %lld", i, (long long)sz);
            if (sz > INT64_MAX - sum)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split sizes overflow");
            sum += sz;
        } else if (!sv && dim >= 0) {
            if (nout_attr) {   /* opset 18: ceil chunks, the last one smaller */
                int64_t c = dim / no + (dim % no != 0);
                sz = i + 1 < no ? c : dim - c * (no - 1);
                if (sz < 0)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "cannot split %lld into %u outputs",
                                     (long long)dim, no);
            } else {
                if (dim % no)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                     "dim %d of '%s' (%lld) does not split evenly into %u outputs",
                                     ax, x->name, (long long)dim, no);
                sz = dim / no;
            }
        }
        if (!y)
            continue;
        y->dtype = x->dtype;
        y->shape = x->shape;
        if (r >= 0)
            y->shape.dim[ax] = sz;
    }
    if (sizes_known && dim >= 0 && sum != dim)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split sizes sum to %lld but dim %d of '%s' is %lld",
                         (long long)sum, ax, x->name, (long long)dim);
    return OQ_OK;
}

/* Slice along normalized parameters: computes (start, count) for one axis of size dim.
 * requires step != 0 and step > INT64_MIN; the clamped bounds differ by at most dim + 1, so
 * no intermediate overflows whatever the step's size. */
static void slice_axis(int64_t dim, int64_t st, int64_t en, int64_t step, int64_t *start,
                       int64_t *count)
{
    st = oq_slice_clamp(dim, st, step);
    en = oq_slice_clamp(dim, en, step);
    if (step > 0)
        *count = en > st ? (en - st - 1) / step + 1 : 0;
    else
        *count = st > en ? (st - en - 1) / -step + 1 : 0;
    *start = st;
}

/* Per-axis slice parameters (oq_slice_plan); *ok false when starts/ends/axes/steps are not
 * constant. */
oq_status ir_plan_slice(oq_graph *g, uint32_t n, oq_diag *d, oq_slice_plan *p, bool *ok)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    int r = x->shape.rank;
    *ok = false;
    int64_t st[OQ_MAX_RANK], en[OQ_MAX_RANK], ax[OQ_MAX_RANK], sp[OQ_MAX_RANK];
    if (nd->nin < 3 || nd->in[1] == OQ_NONE || nd->in[2] == OQ_NONE)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "starts and ends inputs are required");
    int ns = const_ints(g, nd->in[1], st, OQ_MAX_RANK);
    int ne = const_ints(g, nd->in[2], en, OQ_MAX_RANK);
    int na = nd->nin > 3 && nd->in[3] != OQ_NONE ? const_ints(g, nd->in[3], ax, OQ_MAX_RANK) : -2;
    int nsp = nd->nin > 4 && nd->in[4] != OQ_NONE ? const_ints(g, nd->in[4], sp, OQ_MAX_RANK) : -2;
    if (ns < 0 || ne < 0 || na == -1 || nsp == -1 || r < 0)
        return OQ_OK;
    if (ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "starts/ends/axes/steps lengths differ");
    for (int i = 0; i < r; i++) {
        p->start[i] = 0;
        p->step[i] = 1;
        p->count[i] = x->shape.dim[i];
    }
    bool seen[OQ_MAX_RANK] = {false};
    for (int i = 0; i < ns; i++) {
        int a;
        int64_t axv = na >= 0 ? ax[i] : i;
        if (!ir_norm_axis(axv, r, &a))
            return err_axis(g, n, d, "slice axis", axv, r);
        if (seen[a])
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "slice axis %d repeated", a);
        seen[a] = true;
        int64_t step = nsp >= 0 ? sp[i] : 1;
        if (step == 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "slice step is 0");
        if (step == INT64_MIN)
            step = -INT64_MAX;
        p->step[a] = step;
        int64_t dim = x->shape.dim[a];
        if (dim < 0) {
            p->count[a] = -1;
            continue;
        }
        slice_axis(dim, st[i], en[i], step, &p->start[a], &p->count[a]);
    }
    *ok = true;
    return OQ_OK;
}

static oq_status infer_slice(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    oq_slice_plan p;
    bool ok;
    oq_status st = ir_plan_slice(g, n, d, &p, &ok);
    if (st)
        return st;
    if (!ok) {
        /* axes known: other dims pass through */
        y->shape = x->shape.rank >= 0 ? rank_shape(x->shape.rank) : unknown_shape();
        int64_t ax[OQ_MAX_RANK];
        int na = nd->nin > 3 && nd->in[3] != OQ_NONE ? const_ints(g, nd->in[3], ax, OQ_MAX_RANK)
                                                     : -1;
        if (na >= 0 && x->shape.rank >= 0) {
            y->shape = x->shape;
            for (int i = 0; i < na; i++) {
                int a;
                if (!ir_norm_axis(ax[i], x->shape.rank, &a))
                    return err_axis(g, n, d, "slice axis", ax[i], x->shape.rank);
                y->shape.dim[a] = -1;
            }
        }
        return OQ_OK;
    }
    oq_shape o = rank_shape(x->shape.rank);
    for (int i = 0; i < o.rank; i++)
        o.dim[i] = p.count[i];
    y->shape = o;
    return OQ_OK;
}

/* Reads the axes of Squeeze/Unsqueeze/Reduce*: from input 1 or the legacy attribute.
 * *n = -1: no axes given; *known = false: given but not constant. */
static void get_axes(oq_graph *g, const oq_node *nd, int64_t *axes, int *n, bool *known, int max)
{
    *known = true;
    *n = -1;
    if (nd->nin > 1 && nd->in[1] != OQ_NONE) {
        *n = const_ints(g, nd->in[1], axes, max);
        if (*n < 0) {
            *known = false;
            *n = (int)vec_len(g, nd->in[1]);
        }
        return;
    }
    const int64_t *a;
    int k = ir_attr_is(nd, OQ_A_Squeeze_axes, &a);
    if (k > max) {
        *known = false;
        *n = k;
        return;
    }
    if (k >= 0)
        memcpy(axes, a, (size_t)k * sizeof *a);
    *n = k;
}

static oq_status infer_squeeze(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t axes[OQ_MAX_RANK * 2];
    int na;
    bool known;
    get_axes(g, nd, axes, &na, &known, OQ_MAX_RANK * 2);
    int r = x->shape.rank;
    if (r < 0 || !known) {
        y->shape = (r >= 0 && na >= 0 && na <= r) ? rank_shape(r - na) : unknown_shape();
        return OQ_OK;
    }
    bool drop[OQ_MAX_RANK] = {false};
    if (na <= 0) {             /* absent (or empty, as ONNX Runtime reads it): every 1-dim */
        for (int i = 0; i < r; i++) {
            if (x->shape.dim[i] < 0) {
                y->shape = unknown_shape();
                return OQ_OK;
            }
            drop[i] = x->shape.dim[i] == 1;
        }
    } else {
        for (int i = 0; i < na; i++) {
            int a;
            if (!ir_norm_axis(axes[i], r, &a))
                return err_axis(g, n, d, "squeeze axis", axes[i], r);
            if (x->shape.dim[a] >= 0 && x->shape.dim[a] != 1)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "cannot squeeze dim %d of '%s' (size %lld)",
                                 a, x->name, (long long)x->shape.dim[a]);
            drop[a] = true;
        }
    }
    oq_shape o = rank_shape(0);
    for (int i = 0; i < r; i++)
        if (!drop[i])
            o.dim[o.rank++] = x->shape.dim[i];
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_unsqueeze(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t axes[OQ_MAX_RANK + 1];
    int na;
    bool known;
    get_axes(g, nd, axes, &na, &known, OQ_MAX_RANK + 1);
    if (na < 0 && known)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "axes are missing");
    int r = x->shape.rank;
    if (r >= 0 && na >= 0 && r + na > OQ_MAX_RANK)
        return err_rank(g, n, d, r + na);
    if (r < 0 || !known) {
        y->shape = (r >= 0 && na >= 0) ? rank_shape(r + na) : unknown_shape();
        return OQ_OK;
    }
    int ro = r + na;
    bool ins[OQ_MAX_RANK] = {false};
    for (int i = 0; i < na; i++) {
        int a;
        if (!ir_norm_axis(axes[i], ro, &a))
            return err_axis(g, n, d, "unsqueeze axis", axes[i], ro);
        if (ins[a])
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "unsqueeze axis %d repeated", a);
        ins[a] = true;
    }
    oq_shape o = rank_shape(ro);
    int k = 0;
    for (int i = 0; i < ro; i++)
        o.dim[i] = ins[i] ? 1 : x->shape.dim[k++];
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_reduce(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t axes[OQ_MAX_RANK * 2];
    int na;
    bool known;
    get_axes(g, nd, axes, &na, &known, OQ_MAX_RANK * 2);
    bool keep = ir_attr_i(nd, OQ_A_ReduceSum_keepdims) != 0;
    bool noop = ir_attr_i(nd, OQ_A_ReduceSum_noop_with_empty_axes) != 0;
    int r = x->shape.rank;
    if (r < 0 || !known) {
        if (r >= 0 && keep)
            y->shape = rank_shape(r);
        else if (r >= 0 && na >= 0 && na <= r && (na > 0 || !noop))
            y->shape = rank_shape(na == 0 ? 0 : r - na);
        else
            y->shape = unknown_shape();
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
            return err_axis(g, n, d, "reduce axis", axes[i], r);
        red[a] = true;
    }
    oq_shape o = rank_shape(0);
    for (int i = 0; i < r; i++) {
        if (!red[i])
            o.dim[o.rank++] = x->shape.dim[i];
        else if (keep)
            o.dim[o.rank++] = 1;
    }
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_gather(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *ix = ir_in_val(g, nd, 1);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    if (ix->dtype != OQ_DT_UNDEFINED && ix->dtype != OQ_DT_INT64 && ix->dtype != OQ_DT_INT32)
        return oq_errorf(d, g, n, OQ_ERR_DTYPE, "indices '%s' are %s; expected int32/int64",
                         ix->name, oq_dtype_name(ix->dtype));
    int r = x->shape.rank, q = ix->shape.rank;
    if (r < 0 || q < 0) {
        y->shape = unknown_shape();
        return OQ_OK;
    }
    int64_t axis = ir_attr_i(nd, OQ_A_Gather_axis);
    int ax;
    if (!ir_norm_axis(axis, r, &ax))
        return err_axis(g, n, d, "axis", axis, r);
    if (r - 1 + q > OQ_MAX_RANK)
        return err_rank(g, n, d, r - 1 + q);
    oq_shape o = rank_shape(r - 1 + q);
    int k = 0;
    for (int i = 0; i < ax; i++)
        o.dim[k++] = x->shape.dim[i];
    for (int i = 0; i < q; i++)
        o.dim[k++] = ix->shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        o.dim[k++] = x->shape.dim[i];
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_expand(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t sh[OQ_MAX_RANK + 1];
    int k = const_ints(g, nd->in[1], sh, OQ_MAX_RANK + 1);
    oq_shape t;
    if (k < 0) {
        int64_t len = vec_len(g, nd->in[1]);
        if (len < 0) {
            y->shape = unknown_shape();
            return OQ_OK;
        }
        if (len > OQ_MAX_RANK)
            return err_rank(g, n, d, (int)(len > 1000 ? 1000 : len));
        t = rank_shape((int)len);
    } else {
        if (k > OQ_MAX_RANK)
            return err_rank(g, n, d, k);
        t = rank_shape(k);
        for (int i = 0; i < k; i++) {
            if (sh[i] < 0)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape entry %d is %lld", i,
                                 (long long)sh[i]);
            t.dim[i] = sh[i];
        }
    }
    return bcast2(g, n, &x->shape, &t, &y->shape, d);
}

static oq_status infer_pad(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int r = x->shape.rank;
    int64_t pads[2 * OQ_MAX_RANK];
    int np;
    const int64_t *pa;
    if (nd->nin > 1 && nd->in[1] != OQ_NONE) {
        np = const_ints(g, nd->in[1], pads, 2 * OQ_MAX_RANK);
    } else if ((np = ir_attr_is(nd, OQ_A_Conv_pads, &pa)) >= 0 && np <= 2 * OQ_MAX_RANK) {
        memcpy(pads, pa, (size_t)np * sizeof *pa);
    } else {
        np = -1;
    }
    if (r < 0 || np < 0) {
        y->shape = r >= 0 ? rank_shape(r) : unknown_shape();
        return OQ_OK;
    }
    if (np != 2 * r)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads has %d entries for rank %d", np, r);
    oq_shape o = rank_shape(r);
    for (int i = 0; i < r; i++) {
        int64_t dm = x->shape.dim[i];
        if (pads[i] > (1LL << 40) || pads[r + i] > (1LL << 40) || pads[i] < -(1LL << 40) ||
            pads[r + i] < -(1LL << 40))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads of dim %d out of range", i);
        if (dm < 0)
            continue;
        o.dim[i] = dm + pads[i] + pads[r + i];
        if (o.dim[i] < 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads make dim %d negative", i);
    }
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_resize(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    const oq_value *sc = ir_in_val(g, nd, 2), *sz = ir_in_val(g, nd, 3);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    int r = x->shape.rank;
    if (sc && sc->shape.rank >= 0 && oq_shape_numel(&sc->shape) == 0)
        sc = NULL;             /* empty scales: sizes decide */
    if (sz && sz->shape.rank >= 0 && oq_shape_numel(&sz->shape) == 0)
        sz = NULL;
    if (sc && sz)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "both scales and sizes are given");
    if (!sc && !sz)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "neither scales nor sizes is given");
    if (r < 0) {
        y->shape = unknown_shape();
        return OQ_OK;
    }
    const int64_t *axv;
    int nax = ir_attr_is(nd, OQ_A_Resize_axes, &axv);
    int axes[OQ_MAX_RANK];
    int na = nax >= 0 ? nax : r;
    if (na > r)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "axes has %d entries for rank %d", na, r);
    for (int i = 0; i < na; i++)
        if (nax < 0)
            axes[i] = i;
        else if (!ir_norm_axis(axv[i], r, &axes[i]))
            return err_axis(g, n, d, "resize axis", axv[i], r);
    oq_shape o = x->shape;
    const oq_value *pv = sc ? sc : sz;
    if (!pv->data) {
        for (int i = 0; i < na; i++)
            o.dim[axes[i]] = -1;
        y->shape = o;
        return OQ_OK;
    }
    int64_t cnt = oq_shape_numel(&pv->shape);
    if (cnt != na)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "'%s' has %lld entries for %d axes", pv->name,
                         (long long)cnt, na);
    if (sz) {
        if (!dt_int(sz->dtype))
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "sizes must be int64");
        const char *pol = ir_attr_s(nd, OQ_A_Resize_keep_aspect_ratio_policy);
        bool nl = strcmp(pol, "not_larger") == 0, ns = strcmp(pol, "not_smaller") == 0;
        if (!nl && !ns && strcmp(pol, "stretch") != 0)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                             "keep_aspect_ratio_policy=%s not supported", pol);
        double scale = nl ? INFINITY : 0;
        for (int i = 0; i < na; i++) {
            int64_t v = oq_elem_i64(sz->data, sz->dtype, i);
            if (v < 0 || v > (1LL << 40))
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "size %d is %lld", i, (long long)v);
            int64_t in = x->shape.dim[axes[i]];
            o.dim[axes[i]] = v;
            if ((nl || ns) && in > 0) {
                double s = (double)v / (double)in;
                scale = nl ? (s < scale ? s : scale) : (s > scale ? s : scale);
            } else if (nl || ns) {
                scale = NAN;
            }
        }
        if (nl || ns)
            for (int i = 0; i < na; i++) {
                int64_t in = x->shape.dim[axes[i]];
                o.dim[axes[i]] = isnan(scale) ? -1 : (int64_t)nearbyint(scale * (double)in);
            }
    } else {
        if (!dt_float(sc->dtype))
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "scales must be float");
        bool crop = strcmp(ir_attr_s(nd, OQ_A_Resize_coordinate_transformation_mode),
                           "tf_crop_and_resize") == 0;
        const oq_value *roi = ir_in_val(g, nd, 1);
        for (int i = 0; i < na; i++) {
            double s = oq_elem_f64(sc->data, sc->dtype, i);
            int64_t in = x->shape.dim[axes[i]];
            if (!(s > 0) || s > 1e6)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "scale %d is %g", i, s);
            if (in < 0) {
                o.dim[axes[i]] = -1;
                continue;
            }
            double ext = 1.0;
            if (crop && roi && roi->data && dt_float(roi->dtype) &&
                oq_shape_numel(&roi->shape) == 2 * na)
                ext = oq_elem_f64(roi->data, roi->dtype, na + i) -
                      oq_elem_f64(roi->data, roi->dtype, i);
            double v = floor((double)in * ext * (double)(float)s);
            if (v < 0 || v > (double)(1LL << 40))
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "resized dim %d out of range", axes[i]);
            o.dim[axes[i]] = (int64_t)v;
        }
    }
    y->shape = o;
    return OQ_OK;
}

static oq_status infer_shape_op(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = OQ_DT_INT64;
    int r = x->shape.rank;
    if (r < 0) {
        y->shape = rank_shape(1);
        return OQ_OK;
    }
    int64_t s = ir_attr_i(nd, OQ_A_Shape_start);
    int64_t e = ir_attr_get(nd, OQ_A_Shape_end) ? ir_attr_i(nd, OQ_A_Shape_end) : r;
    s = s < 0 ? s + r : s;
    e = e < 0 ? e + r : e;
    s = s < 0 ? 0 : (s > r ? r : s);
    e = e < 0 ? 0 : (e > r ? r : e);
    y->shape = rank_shape(1);
    y->shape.dim[0] = e > s ? e - s : 0;
    return OQ_OK;
}

static oq_status infer_constant_of_shape(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_value *y = out_val(g, nd, 0);
    const oq_attr *va = ir_attr_get(nd, OQ_A_ConstantOfShape_value);
    y->dtype = OQ_DT_FLOAT;
    if (va && va->type == OQ_ATTR_TENSOR && va->t) {
        if (oq_shape_numel(&va->t->shape) != 1)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute 'value' must hold one element");
        y->dtype = va->t->dtype;
    }
    int64_t sh[OQ_MAX_RANK + 1];
    int k = const_ints(g, nd->in[0], sh, OQ_MAX_RANK + 1);
    if (k < 0) {
        int64_t len = vec_len(g, nd->in[0]);
        if (len > OQ_MAX_RANK)
            return err_rank(g, n, d, (int)(len > 1000 ? 1000 : len));
        y->shape = len >= 0 ? rank_shape((int)len) : unknown_shape();
        return OQ_OK;
    }
    if (k > OQ_MAX_RANK)
        return err_rank(g, n, d, k);
    oq_shape o = rank_shape(k);
    for (int i = 0; i < k; i++) {
        if (sh[i] < 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape entry %d is %lld", i, (long long)sh[i]);
        o.dim[i] = sh[i];
    }
    y->shape = o;
    return OQ_OK;
}

/* Constant (should be gone after import, but a parsed or hand-built graph may hold one). */
static oq_status infer_constant(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    uint32_t yv = nd->out[0];
    oq_value *y = &g->values[yv];
    const oq_attr *a = nd->nattr ? &nd->attr[0] : NULL;
    if (!a)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "Constant has no value attribute");
    oq_shape s = rank_shape(0);
    const void *src = NULL;
    int64_t lv;
    if (a->type == OQ_ATTR_TENSOR && a->t) {
        y->dtype = a->t->dtype;
        s = a->t->shape;
        src = a->t->data;
    } else if (a->type == OQ_ATTR_FLOAT) {
        y->dtype = OQ_DT_FLOAT;
        src = &a->f;
    } else if (a->type == OQ_ATTR_INT) {
        y->dtype = OQ_DT_INT64;
        lv = a->i;
        src = &lv;
    } else if (a->type == OQ_ATTR_INTS) {
        y->dtype = OQ_DT_INT64;
        s.rank = 1;
        s.dim[0] = a->n;
        src = a->ints;
    } else if (a->type == OQ_ATTR_FLOATS) {
        y->dtype = OQ_DT_FLOAT;
        s.rank = 1;
        s.dim[0] = a->n;
        src = a->floats;
    } else {
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "Constant attribute '%s' not supported",
                         a->name);
    }
    y->shape = s;
    if (src && !y->data && ir_value_nbytes(g, yv) && !ir_set_const(g, yv, src))
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
    return OQ_OK;
}

static oq_status infer_layernorm(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    y->dtype = x->dtype;
    y->shape = x->shape;
    int r = x->shape.rank;
    int64_t axis = ir_attr_i(nd, OQ_A_LayerNormalization_axis);
    int ax = 0;
    if (r >= 0 && !ir_norm_axis(axis, r, &ax))
        return err_axis(g, n, d, "axis", axis, r);
    int64_t stash = ir_attr_i(nd, OQ_A_LayerNormalization_stash_type);
    for (uint32_t i = 1; i < 3; i++) {
        oq_value *o = out_val(g, nd, i);
        if (!o)
            continue;
        o->dtype = stash == 1 ? OQ_DT_FLOAT : (oq_dtype)stash;
        o->shape = x->shape;
        for (int k = ax; k < r; k++)
            o->shape.dim[k] = 1;
    }
    return OQ_OK;
}

static oq_status infer_qdq(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *s = ir_in_val(g, nd, 1), *zp = ir_in_val(g, nd, 2);
    oq_value *y = out_val(g, nd, 0);
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
            return err_axis(g, n, d, "axis", axis, x->shape.rank);
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

static oq_status infer_cast(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    int64_t to = ir_attr_i(nd, OQ_A_Cast_to);
    if (to < 0 || to > 64 || !oq_dtype_valid((int)to) || to == OQ_DT_UNDEFINED)
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "attribute 'to'=%lld is not a known type",
                         (long long)to);
    y->dtype = (oq_dtype)to;
    y->shape = x->shape;
    return OQ_OK;
}

/* ---------------------------------------------------------------- driver */

static oq_status infer_op(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_opinfo *oi = oq_op_info(nd->op);
    if (nd->op == OQ_OP_Constant)
        return infer_constant(g, n, d);
    oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = out_val(g, nd, 0);
    if (!x && nd->op != OQ_OP_Concat)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "input 0 is missing");
    if (!y && nd->op != OQ_OP_Split)
        return OQ_OK;          /* output unused: nothing to infer */
    oq_status st;
    switch (nd->op) {
    case OQ_OP_Add: case OQ_OP_Sub: case OQ_OP_Mul: case OQ_OP_Div: case OQ_OP_Equal:
        if ((st = same_dtype(g, n, d, 0, 1)))
            return st;
        y->dtype = nd->op == OQ_OP_Equal ? OQ_DT_BOOL : x->dtype;
        return infer_bcast(g, n, d, 0, &y->shape);
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
    case OQ_OP_Clip:
        y->dtype = x->dtype;
        y->shape = x->shape;
        return OQ_OK;
    case OQ_OP_Softmax: case OQ_OP_LogSoftmax: {
        y->dtype = x->dtype;
        y->shape = x->shape;
        int ax;
        int64_t axis = ir_softmax_axis(nd);
        if (x->shape.rank >= 0 && !ir_norm_axis(axis, x->shape.rank, &ax) &&
            !(x->shape.rank == 0 && (axis == 0 || axis == -1)))
            return err_axis(g, n, d, "axis", axis, x->shape.rank);
        return OQ_OK;
    }
    case OQ_OP_BatchNormalization: {
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
            oq_value *o = out_val(g, nd, i);
            if (o) {
                o->dtype = x->dtype;
                o->shape = rank_shape(1);
                o->shape.dim[0] = c;
            }
        }
        return OQ_OK;
    }
    case OQ_OP_Cast: return infer_cast(g, n, d);
    case OQ_OP_Concat: return infer_concat(g, n, d);
    case OQ_OP_ConstantOfShape: return infer_constant_of_shape(g, n, d);
    case OQ_OP_Conv: case OQ_OP_ConvInteger: case OQ_OP_ConvTranspose: case OQ_OP_QLinearConv:
        return infer_conv(g, n, d);
    case OQ_OP_DequantizeLinear: case OQ_OP_QuantizeLinear: return infer_qdq(g, n, d);
    case OQ_OP_Dropout: {
        y->dtype = x->dtype;
        y->shape = x->shape;
        oq_value *m = out_val(g, nd, 1);
        if (m) {
            m->dtype = OQ_DT_BOOL;
            m->shape = x->shape;
        }
        return OQ_OK;
    }
    case OQ_OP_DynamicQuantizeLinear: {
        y->dtype = OQ_DT_UINT8;
        y->shape = x->shape;
        oq_value *s = out_val(g, nd, 1), *z = out_val(g, nd, 2);
        if (s) {
            s->dtype = OQ_DT_FLOAT;
            s->shape = rank_shape(0);
        }
        if (z) {
            z->dtype = OQ_DT_UINT8;
            z->shape = rank_shape(0);
        }
        return OQ_OK;
    }
    case OQ_OP_Expand: return infer_expand(g, n, d);
    case OQ_OP_Flatten: return infer_flatten(g, n, d);
    case OQ_OP_Gather: return infer_gather(g, n, d);
    case OQ_OP_Gemm: return infer_gemm(g, n, d);
    case OQ_OP_AveragePool: case OQ_OP_MaxPool: case OQ_OP_GlobalAveragePool:
    case OQ_OP_GlobalMaxPool:
        return infer_pool(g, n, d);
    case OQ_OP_LayerNormalization: return infer_layernorm(g, n, d);
    case OQ_OP_MatMul: case OQ_OP_MatMulInteger: return infer_matmul(g, n, d, 0, 1);
    case OQ_OP_QLinearMatMul: return infer_matmul(g, n, d, 0, 3);
    case OQ_OP_QLinearAdd: return infer_qlinear_add(g, n, d);
    case OQ_OP_QLinearConcat: return infer_qlinear_concat(g, n, d);
    case OQ_OP_QLinearGlobalAveragePool:
        if (x->shape.rank < 3)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "QLinearGlobalAveragePool needs rank >= 3");
        y->dtype = x->dtype;
        y->shape = x->shape;
        for (int32_t k = 2; k < x->shape.rank; k++)
            y->shape.dim[k] = 1;
        return OQ_OK;
    case OQ_OP_Pad: return infer_pad(g, n, d);
    case OQ_OP_ReduceMax: case OQ_OP_ReduceMean: case OQ_OP_ReduceSum: return infer_reduce(g, n, d);
    case OQ_OP_Reshape: return infer_reshape(g, n, d);
    case OQ_OP_Resize: return infer_resize(g, n, d);
    case OQ_OP_Shape: return infer_shape_op(g, n, d);
    case OQ_OP_Slice: return infer_slice(g, n, d);
    case OQ_OP_Split: return infer_split(g, n, d);
    case OQ_OP_Squeeze: return infer_squeeze(g, n, d);
    case OQ_OP_Transpose: return infer_transpose(g, n, d);
    case OQ_OP_Unsqueeze: return infer_unsqueeze(g, n, d);
    case OQ_OP_Identity:
        y->dtype = x->dtype;
        y->shape = x->shape;
        return OQ_OK;
    default:
        break;
    }
    if (oi->flags & OQ_OPF_UNARY) {
        y->dtype = x->dtype;
        y->shape = x->shape;
        return OQ_OK;
    }
    return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_OP, "no shape inference for op '%s'",
                     nd->op_type ? nd->op_type : oi->name);
}

/* Validates one output shape (rank bound, dims >= -1, element count fits). */
static oq_status check_out(oq_graph *g, uint32_t n, uint32_t v, oq_diag *d)
{
    const oq_shape *s = &g->values[v].shape;
    if (s->rank < -1 || s->rank > OQ_MAX_RANK)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output '%s' has rank %d (max %d)",
                         g->values[v].name, s->rank, OQ_MAX_RANK);
    bool known = true;
    for (int i = 0; i < s->rank; i++) {
        if (s->dim[i] < -1)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output '%s' dim %d is %lld",
                             g->values[v].name, i, (long long)s->dim[i]);
        if (s->dim[i] < 0)
            known = false;
    }
    if (known && s->rank >= 0) {
        int64_t ne = oq_shape_numel(s);
        size_t es = oq_dtype_size(g->values[v].dtype);
        if (ne < 0 || (es && (uint64_t)ne > (uint64_t)INT64_MAX / es))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output '%s' has too many elements",
                             g->values[v].name);
    }
    return OQ_OK;
}

oq_status ir_infer_node(oq_graph *g, uint32_t n, oq_diag *d)
{
    if (n >= g->nnode)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "node id %u out of range", n);
    oq_node *nd = &g->nodes[n];
    if (nd->dead)
        return OQ_OK;
    if (nd->op >= OQ_OP_COUNT) { /* custom op: outputs keep their types (value_info / library) */
        for (uint32_t i = 0; i < nd->nout; i++) {
            const oq_value *v = nd->out[i] != OQ_NONE ? &g->values[nd->out[i]] : NULL;
            if (v && (v->dtype == OQ_DT_UNDEFINED || !oq_shape_known(&v->shape)))
                return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_OP, "unsupported op '%s' (output "
                                 "'%s' has no known type: a custom op (--custom-op) needs "
                                 "value_info or a shape function from --custom-op-lib)",
                                 nd->op_type ? nd->op_type : "?", v->name);
        }
        return OQ_OK;
    }
    const oq_opinfo *oi = oq_op_info(nd->op);
    if ((int)nd->nin < oi->min_in || (int)nd->nin > oi->max_in || (int)nd->nout < oi->min_out ||
        (int)nd->nout > oi->max_out)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "%u inputs / %u outputs; expected %d..%d "
                         "/ %d..%d", nd->nin, nd->nout, oi->min_in, oi->max_in, oi->min_out,
                         oi->max_out);
    for (uint32_t i = 0; i < nd->nin; i++)
        if (nd->in[i] != OQ_NONE && nd->in[i] >= g->nvalue)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "input %u has a bad value id", i);
    for (uint32_t i = 0; i < nd->nout; i++)
        if (nd->out[i] != OQ_NONE && nd->out[i] >= g->nvalue)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "output %u has a bad value id", i);
    /* keep the previous (declared) facts to fill what inference leaves unknown */
    oq_shape prev[4];
    oq_dtype prevt[4];
    uint32_t np = nd->nout < 4 ? nd->nout : 4;
    for (uint32_t i = 0; i < np; i++)
        if (nd->out[i] != OQ_NONE) {
            prev[i] = g->values[nd->out[i]].shape;
            prevt[i] = g->values[nd->out[i]].dtype;
            if (nd->op != OQ_OP_Constant)
                g->values[nd->out[i]].data = NULL;   /* re-derived below if still constant */
        }
    oq_status st = infer_op(g, n, d);
    if (st)
        return st;
    for (uint32_t i = 0; i < nd->nout; i++) {
        uint32_t v = nd->out[i];
        if (v == OQ_NONE)
            continue;
        oq_value *val = &g->values[v];
        if (i < np) {
            if (val->dtype == OQ_DT_UNDEFINED)
                val->dtype = prevt[i];
            if (val->shape.rank < 0 && prev[i].rank >= 0)
                val->shape = prev[i];
            else if (val->shape.rank == prev[i].rank)
                for (int k = 0; k < val->shape.rank; k++)
                    if (val->shape.dim[k] < 0 && prev[i].dim[k] >= 0)
                        val->shape.dim[k] = prev[i].dim[k];
        }
        if ((st = check_out(g, n, v, d)))
            return st;
    }
    return ir_fold(g, n, d);
}

oq_status ir_infer(oq_graph *g, oq_diag *d)
{
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_shape *s = &g->values[v].shape;
        if (s->rank > OQ_MAX_RANK || s->rank < -1)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_SHAPE, "value '%s' has rank %d (max %d)",
                             g->values[v].name, s->rank, OQ_MAX_RANK);
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        oq_status st = ir_infer_node(g, n, d);
        if (st != OQ_OK)
            return st;
    }
    return OQ_OK;
}

/* ---------------------------------------------------------------- static-shape check */

/* Finds a graph input with an unknown dim upstream of value v (depth-limited DFS). */
static uint32_t unknown_source(const oq_graph *g, uint32_t v, int *dim, int depth)
{
    const oq_value *val = &g->values[v];
    if (oq_shape_known(&val->shape))
        return OQ_NONE;        /* a static value carries no unknown dim (and stops the walk) */
    if (val->producer == OQ_NONE) {
        if (val->data)
            return OQ_NONE;
        for (int i = 0; i < val->shape.rank; i++)
            if (val->shape.dim[i] < 0) {
                *dim = i;
                return v;
            }
        if (val->shape.rank < 0) {
            *dim = -1;
            return v;
        }
        return OQ_NONE;
    }
    if (depth > 64)
        return OQ_NONE;
    const oq_node *nd = &g->nodes[val->producer];
    for (uint32_t i = 0; i < nd->nin; i++)
        if (nd->in[i] != OQ_NONE) {
            uint32_t r = unknown_source(g, nd->in[i], dim, depth + 1);
            if (r != OQ_NONE)
                return r;
        }
    return OQ_NONE;
}

oq_status ir_require_static(const oq_graph *g, oq_diag *d)
{
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t v = nd->out[i];
            if (v == OQ_NONE)
                continue;
            const oq_value *val = &g->values[v];
            int bad = -2;
            if (val->shape.rank < 0)
                bad = -1;
            for (int k = 0; k < val->shape.rank && bad == -2; k++)
                if (val->shape.dim[k] < 0)
                    bad = k;
            if (val->dtype == OQ_DT_UNDEFINED)
                return oq_errorf(d, g, n, OQ_ERR_DTYPE, "output '%s' has an unknown type",
                                 val->name);
            if (bad == -2)
                continue;
            char what[64];
            if (bad == -1)
                snprintf(what, sizeof what, "rank");
            else
                snprintf(what, sizeof what, "dim %d", bad);
            int sd = -1;
            uint32_t src = OQ_NONE;
            for (uint32_t k = 0; k < nd->nin && src == OQ_NONE; k++)
                if (nd->in[k] != OQ_NONE)
                    src = unknown_source(g, nd->in[k], &sd, 0);
            if (src != OQ_NONE && g->values[src].is_input) {
                const char *sym = sd >= 0 ? ir_dim_param(g, src, sd) : NULL;
                if (sym)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                     "output '%s' %s unknown: input '%s' has symbolic dim '%s' "
                                     "(dim %d); use --input-shape %s=...", val->name, what,
                                     g->values[src].name, sym, sd, g->values[src].name);
                if (sd >= 0)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                     "output '%s' %s unknown: input '%s' has symbolic dim %d; "
                                     "use --input-shape %s=...", val->name, what,
                                     g->values[src].name, sd, g->values[src].name);
                return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                 "output '%s' %s unknown: input '%s' has unknown rank; use "
                                 "--input-shape %s=...", val->name, what, g->values[src].name,
                                 g->values[src].name);
            }
            return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                             "output '%s' %s unknown: it depends on values computed at run time "
                             "(not on constants)", val->name, what);
        }
    }
    for (uint32_t i = 0; i < g->ninput; i++) {
        const oq_value *val = &g->values[g->inputs[i]];
        if (!oq_shape_known(&val->shape) && val->nuse)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_SHAPE,
                             "input '%s' has an unknown dim; use --input-shape %s=...", val->name,
                             val->name);
    }
    return OQ_OK;
}
