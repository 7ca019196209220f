/* QDQ -> QOperator lowering (standard-domain ONNX semantics), for the QOperator writer and the
 * C backend:
 *   DQ(x) -> Conv(DQ(w), DQ(b)) [-> fused Relu/Clip] -> Q   =>  QLinearConv(x, w, y_q, b)
 *   DQ(a) -> MatMul(DQ(b))      [-> fused Relu/Clip] -> Q   =>  QLinearMatMul(a, b, y_q)
 *   DQ(a) -> Gemm(DQ(W)) (no bias, alpha = beta = 1, no transA)  =>  QLinearMatMul (W^T when
 *   transB). ONNX has no standard QLinearGemm, so a Gemm with a bias stays in QDQ form.
 * A fused activation disappears only when the output quantization already implies it (Relu:
 * zero point == qmin; Clip(lo, hi): the representable range lies inside [lo, hi]): it then is
 * the clamp of the requantize step. The bias must have scale x_scale * w_scale[c] and zero
 * point 0 (what the quantizer writes), and activation qparams per tensor; anything else is left
 * as it is. Unused DequantizeLinear nodes are removed afterwards. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

/* The DequantizeLinear producing v (or OQ_NONE). */
static uint32_t dq_of(const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE)
        return OQ_NONE;
    uint32_t p = g->values[v].producer;
    if (p == OQ_NONE || g->nodes[p].dead || g->nodes[p].op != OQ_OP_DequantizeLinear ||
        g->nodes[p].nin < 3 || g->nodes[p].in[2] == OQ_NONE)
        return OQ_NONE;
    return p;
}

static int64_t numel(const oq_graph *g, uint32_t v) { return oq_shape_numel(&g->values[v].shape); }

static bool per_tensor_const(const oq_graph *g, uint32_t v)
{
    return v != OQ_NONE && g->values[v].data && numel(g, v) == 1;
}

/* Zero point of a (u8 / s8) constant scalar. */
static int32_t zp_value(const oq_graph *g, uint32_t v)
{
    const oq_value *z = &g->values[v];
    return z->dtype == OQ_DT_UINT8 ? ((const uint8_t *)z->data)[0] : ((const int8_t *)z->data)[0];
}

/* Whether activation node a is implied by output quantization (scale s, zp z, dtype dt). */
static bool act_implied(const oq_graph *g, const oq_node *a, float s, int32_t z, oq_dtype dt)
{
    int32_t qmin = dt == OQ_DT_UINT8 ? 0 : -128, qmax = dt == OQ_DT_UINT8 ? 255 : 127;
    float lo_rep = (float)(qmin - z) * s, hi_rep = (float)(qmax - z) * s;
    if (a->op == OQ_OP_Relu)
        return z == qmin;
    if (a->op != OQ_OP_Clip)
        return false;
    float lo = -INFINITY, hi = INFINITY;
    if (a->nin > 1 && a->in[1] != OQ_NONE) {
        if (!g->values[a->in[1]].data)
            return false;
        lo = *(const float *)g->values[a->in[1]].data;
    }
    if (a->nin > 2 && a->in[2] != OQ_NONE) {
        if (!g->values[a->in[2]].data)
            return false;
        hi = *(const float *)g->values[a->in[2]].data;
    }
    float tol = 1e-5f * fabsf(hi_rep - lo_rep);
    return lo_rep >= lo - tol && hi_rep <= hi + tol;
}

/* The single QuantizeLinear that consumes v (only use), or OQ_NONE. */
static uint32_t only_q(const oq_graph *g, uint32_t v)
{
    const oq_value *val = &g->values[v];
    if (val->is_output || val->nuse != 1)
        return OQ_NONE;
    uint32_t u = val->uses[0];
    const oq_node *q = &g->nodes[u];
    if (q->op != OQ_OP_QuantizeLinear || q->in[0] != v || q->nin < 3 || q->in[2] == OQ_NONE ||
        !per_tensor_const(g, q->in[1]) || !per_tensor_const(g, q->in[2]))
        return OQ_NONE;
    return u;
}

static bool bias_ok(const oq_graph *g, uint32_t bdq, float xs, uint32_t wsv)
{
    const oq_node *b = &g->nodes[bdq];
    const oq_value *bq = &g->values[b->in[0]], *bs = &g->values[b->in[1]], *bz = &g->values[b->in[2]];
    if (!bq->data || bq->dtype != OQ_DT_INT32 || !bs->data || !bz->data || bz->dtype != OQ_DT_INT32)
        return false;
    int64_t nb = numel(g, b->in[0]), ns = numel(g, b->in[1]), nw = numel(g, wsv);
    const float *s = bs->data, *ws = g->values[wsv].data;
    const int32_t *z = bz->data;
    for (int64_t c = 0; c < nb; c++) {
        float want = xs * ws[nw == 1 ? 0 : c];
        float got = s[ns == 1 ? 0 : c];
        if (z[ns == 1 ? 0 : c] != 0 || fabsf(got - want) > 1e-6f * fabsf(want))
            return false;
    }
    return true;
}

/* Rewrites one pattern rooted at node n; *done when it did. */
static oq_status lower_one(oq_graph *g, uint32_t n, bool *done, oq_diag *d)
{
    *done = false;
    const oq_node *nd = &g->nodes[n];
    bool conv = nd->op == OQ_OP_Conv, gemm = nd->op == OQ_OP_Gemm;
    if (nd->dead || !(conv || gemm || nd->op == OQ_OP_MatMul))
        return OQ_OK;
    uint32_t xdq = dq_of(g, nd->in[0]), wdq = dq_of(g, nd->in[1]);
    uint32_t bdq = nd->nin > 2 && nd->in[2] != OQ_NONE ? dq_of(g, nd->in[2]) : OQ_NONE;
    if (xdq == OQ_NONE || wdq == OQ_NONE || (nd->nin > 2 && nd->in[2] != OQ_NONE && bdq == OQ_NONE))
        return OQ_OK;
    if (!conv && bdq != OQ_NONE)
        return OQ_OK;          /* no standard QLinearGemm: keep the QDQ Gemm */
    if (gemm && (ir_attr_int(nd, "transA", 0) || ir_attr_float(nd, "alpha", 1.0f) != 1.0f ||
                 ir_attr_float(nd, "beta", 1.0f) != 1.0f))
        return OQ_OK;
    const oq_node *x = &g->nodes[xdq], *w = &g->nodes[wdq];
    if (!per_tensor_const(g, x->in[1]) || !per_tensor_const(g, x->in[2]))
        return OQ_OK;
    if (!g->values[w->in[1]].data || !g->values[w->in[2]].data)
        return OQ_OK;
    /* output: directly or through the fused activation, into one Q */
    uint32_t y = nd->out[0], act = OQ_NONE, qn = only_q(g, y);
    if (qn == OQ_NONE && ir_attr_int(nd, "onnxq_fused", 0) && g->values[y].nuse == 1) {
        act = g->values[y].uses[0];
        qn = only_q(g, g->nodes[act].out[0]);
    }
    if (qn == OQ_NONE)
        return OQ_OK;
    const oq_node *q = &g->nodes[qn];
    float ys = *(const float *)g->values[q->in[1]].data;
    int32_t yz = zp_value(g, q->in[2]);
    oq_dtype ydt = g->values[q->out[0]].dtype;
    if (act != OQ_NONE && !act_implied(g, &g->nodes[act], ys, yz, ydt))
        return OQ_OK;
    float xs = *(const float *)g->values[x->in[1]].data;
    if (bdq != OQ_NONE && !bias_ok(g, bdq, xs, w->in[1]))
        return OQ_OK;
    uint32_t wq = w->in[0], wsv = w->in[1], wzv = w->in[2];
    if (conv && numel(g, wsv) > 1 && ir_attr_int(w, "axis", 1) != 0)
        return OQ_OK;
    if (!conv) {
        /* b must be [K, N] with per-column (axis 1) or per-tensor scales */
        bool transB = gemm && ir_attr_int(nd, "transB", 0);
        const oq_value *wv = &g->values[wq];
        if (wv->shape.rank != 2)
            return OQ_OK;
        if (numel(g, wsv) > 1 && ir_attr_int(w, "axis", 1) != (transB ? 0 : 1))
            return OQ_OK;
        if (transB) {
            if (!wv->data || wv->dtype != OQ_DT_INT8)
                return OQ_OK;
            int64_t N = wv->shape.dim[0], K = wv->shape.dim[1];
            int8_t *t = malloc((size_t)(N * K));
            if (!t)
                return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
            const int8_t *src = wv->data;
            for (int64_t i = 0; i < N; i++)
                for (int64_t k = 0; k < K; k++)
                    t[k * N + i] = src[i * K + k];
            char base[300];
            snprintf(base, sizeof base, "%.250s_T", wv->name);
            oq_shape s = {.rank = 2, .dim = {K, N}};
            uint32_t tv = oq_add_const(g, base, OQ_DT_INT8, &s, t);
            free(t);
            if (tv == OQ_NONE)
                return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
            const oq_quant *oq = &g->values[wq].q;
            g->values[tv].q = *oq;
            g->values[tv].q.axis = 1;
            wq = tv;
        }
        x = &g->nodes[xdq];
        q = &g->nodes[qn];
    }
    uint32_t in[9] = {x->in[0], x->in[1], x->in[2], wq, wsv, wzv, q->in[1], q->in[2],
                      bdq != OQ_NONE ? g->nodes[bdq].in[0] : OQ_NONE};
    uint32_t out = q->out[0];
    char name[300];
    snprintf(name, sizeof name, "%.280s", g->nodes[n].name);
    oq_op op = conv ? OQ_OP_QLinearConv : OQ_OP_QLinearMatMul;
    uint32_t nin = conv ? (bdq != OQ_NONE ? 9 : 8) : 8;
    g->nodes[qn].dead = true;  /* out's producer moves to the new node */
    uint32_t k = ir_add_node(g, op, name, in, nin, &out, 1);
    if (k == OQ_NONE)
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
    if (conv) {                /* Conv attributes carry over (onnxq_* ones are dropped) */
        const oq_node *c = &g->nodes[n];
        uint32_t na = 0;
        oq_attr *at = oq_arena_alloc(&g->arena, (c->nattr + 1) * sizeof *at);
        if (!at)
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < c->nattr; i++)
            if (strncmp(c->attr[i].name, "onnxq_", 6) != 0)
                at[na++] = c->attr[i];
        g->nodes[k].attr = at;
        g->nodes[k].nattr = na;
    }
    g->nodes[n].dead = true;
    if (act != OQ_NONE)
        g->nodes[act].dead = true;
    *done = true;
    return OQ_OK;
}

oq_status pass_lower_qop(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    uint32_t nn = g->nnode;
    for (uint32_t n = 0; n < nn; n++) {
        bool done;
        oq_status st = lower_one(g, n, &done, d);
        if (st != OQ_OK)
            return st;
    }
    oq_status st = oq_pass_finish(g, o, d);
    if (st != OQ_OK)
        return st;
    return pass_dce(g, o, d);
}
