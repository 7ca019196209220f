/* lower_int: QDQ form -> integer operators, so the interpreter and the C backend run the same
 * integer kernels (bit-exact with each other). Standard ONNX ops only:
 *   DQ(xq) -> Conv(DQ(w8), DQ(b32)) [-> Relu/Clip] -> Q   =>  QLinearConv(xq, ..., b32)
 *   DQ(xq) -> Gemm(DQ(w8), DQ(b32)) -> Q (2-D A)          =>  Reshape -> QLinearConv 1x1 -> Reshape
 *   DQ(aq) -> MatMul(DQ(b8 const 2-D)) -> Q               =>  QLinearMatMul
 *   DQ(aq) -> MatMul(DQ(bq activation)) -> Q              =>  QLinearMatMul (per-tensor qparams)
 *   DQ(xq) -> MaxPool / Reshape / Flatten / Squeeze / Unsqueeze / Identity / Dropout /
 *             Resize (mode nearest) -> Q                  (same qparams)
 *                                                         =>  the op on xq
 *   Q(DQ(xq)) with equal qparams                          =>  xq
 * A fused Relu (or Clip(0, c)) between the op and its Q is dropped only when it is exact: the
 * output zero point is the type's minimum (and for Clip, c covers the quantized range). Nodes
 * that match no pattern stay as they are (float islands between DQ and Q).
 * With o->contrib_ops (onnxq compile, quantize --format int), ONNX Runtime's com.microsoft ops:
 *   DQ(a), DQ(b) -> Add [-> Relu] -> Q                    =>  QLinearAdd
 *   DQ(a), DQ(b) -> Mul -> Q (a != b)                     =>  QLinearMul
 *   DQ(x) -> GlobalAveragePool -> Q                       =>  QLinearGlobalAveragePool
 *   DQ(x0), DQ(x1), ... -> Concat -> Q                    =>  QLinearConcat
 * and onnxq's com.onnxq QLinearLookup (lower_lut.c):
 *   DQ(x) -> element-wise region -> Q                     =>  QLinearLookup (256-entry table) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

typedef struct lctx {
    oq_graph *g;
    const oq_options *o;
    oq_diag *d;
    uint32_t nlowered;          /* patterns rewritten */
} lctx;

static oq_node *node(lctx *c, uint32_t n) { return &c->g->nodes[n]; }

static uint32_t producer(lctx *c, uint32_t v)
{
    return v == OQ_NONE ? OQ_NONE : c->g->values[v].producer;
}

/* The DequantizeLinear node producing v, or OQ_NONE; want_const selects constant inputs
 * (weights, biases) or activations. */
static uint32_t dq_of(lctx *c, uint32_t v, bool want_const)
{
    uint32_t p = producer(c, v);
    if (p == OQ_NONE || node(c, p)->dead || node(c, p)->op != OQ_OP_DequantizeLinear)
        return OQ_NONE;
    bool is_const = c->g->values[node(c, p)->in[0]].data != NULL;
    return is_const == want_const ? p : OQ_NONE;
}

/* The single live QuantizeLinear reading v (v not a graph output), or OQ_NONE. */
static uint32_t only_q_user(lctx *c, uint32_t v)
{
    const oq_value *val = &c->g->values[v];
    if (val->is_output || oq_use_count(c->g, v) != 1)
        return OQ_NONE;
    for (uint32_t i = 0; i < val->nuse; i++) {
        uint32_t u = val->uses[i];
        if (!node(c, u)->dead)
            return node(c, u)->op == OQ_OP_QuantizeLinear ? u : OQ_NONE;
    }
    return OQ_NONE;
}

/* The single live user of v (v not a graph output), or OQ_NONE. */
static uint32_t only_user(lctx *c, uint32_t v)
{
    const oq_value *val = &c->g->values[v];
    if (val->is_output || oq_use_count(c->g, v) != 1)
        return OQ_NONE;
    for (uint32_t i = 0; i < val->nuse; i++)
        if (!node(c, val->uses[i])->dead)
            return val->uses[i];
    return OQ_NONE;
}

/* Element i of constant v (ir/values.c). */
static double cval(lctx *c, uint32_t v, int64_t i)
{
    return oq_elem_f64(c->g->values[v].data, c->g->values[v].dtype, i);
}

/* Per-tensor qparams of a Q or DQ node (scale, zero point, dtype); false if per-axis. */
static bool qp(lctx *c, uint32_t qnode, float *s, int32_t *z, oq_dtype *dt)
{
    const oq_node *q = node(c, qnode);
    uint32_t sv = q->in[1], zv = q->nin > 2 ? q->in[2] : OQ_NONE;
    if (!c->g->values[sv].data || oq_shape_numel(&c->g->values[sv].shape) != 1)
        return false;
    if (zv != OQ_NONE && (!c->g->values[zv].data || oq_shape_numel(&c->g->values[zv].shape) != 1))
        return false;
    *s = (float)cval(c, sv, 0);
    *z = zv == OQ_NONE ? 0 : (int32_t)cval(c, zv, 0);
    *dt = q->op == OQ_OP_QuantizeLinear ? (zv == OQ_NONE ? OQ_DT_UINT8 : c->g->values[zv].dtype)
                                        : c->g->values[q->in[0]].dtype;
    return true;
}

static bool same_qp(lctx *c, uint32_t a, uint32_t b)
{
    float sa, sb;
    int32_t za, zb;
    oq_dtype ta, tb;
    return qp(c, a, &sa, &za, &ta) && qp(c, b, &sb, &zb, &tb) && sa == sb && za == zb && ta == tb;
}

/* A zero-point input for node-input position that ONNX requires: the DQ's own, or a new
 * constant of zeros (dtype dt, count n: 1 gives a scalar). */
static uint32_t zp_or_zero(lctx *c, uint32_t dqnode, oq_dtype dt, int64_t n)
{
    const oq_node *dq = node(c, dqnode);
    if (dq->nin > 2 && dq->in[2] != OQ_NONE)
        return dq->in[2];
    oq_shape s = {n == 1 ? 0 : 1, {n}};
    void *zeros = calloc((size_t)n, oq_dtype_size(dt));
    if (!zeros)
        return OQ_NONE;
    uint32_t v = oq_add_const(c->g, "zero_point", dt, &s, zeros);
    free(zeros);
    return v;
}

/* Is the activation between the op and its Q exact to drop (given the Q's qparams)? */
static bool act_droppable(lctx *c, uint32_t act, uint32_t qnode)
{
    float s;
    int32_t z;
    oq_dtype dt;
    if (!qp(c, qnode, &s, &z, &dt))
        return false;
    int32_t qmin = dt == OQ_DT_INT8 ? -128 : 0, qmax = dt == OQ_DT_INT8 ? 127 : 255;
    const oq_node *a = node(c, act);
    if (z != qmin)
        return false;
    if (a->op == OQ_OP_Relu)
        return true;
    if (a->op != OQ_OP_Clip)
        return false;
    uint32_t lo = a->nin > 1 ? a->in[1] : OQ_NONE, hi = a->nin > 2 ? a->in[2] : OQ_NONE;
    if (lo != OQ_NONE && (!c->g->values[lo].data || cval(c, lo, 0) != 0.0))
        return false;
    if (lo == OQ_NONE)
        return false;      /* Clip without a lower bound is not a ReLU */
    if (hi == OQ_NONE)
        return true;
    if (!c->g->values[hi].data)
        return false;
    /* the quantized range must not exceed the clip's upper bound */
    return (double)(qmax - z) * (double)s <= cval(c, hi, 0) * (1 + 1e-6);
}

/* Follows op output t through an optional droppable activation to its Q: returns the Q node
 * and marks *act (OQ_NONE if none). */
static uint32_t out_q(lctx *c, uint32_t t, uint32_t *act)
{
    *act = OQ_NONE;
    uint32_t q = only_q_user(c, t);
    if (q != OQ_NONE)
        return q;
    uint32_t u = only_user(c, t);
    if (u == OQ_NONE || (node(c, u)->op != OQ_OP_Relu && node(c, u)->op != OQ_OP_Clip))
        return OQ_NONE;
    q = only_q_user(c, node(c, u)->out[0]);
    if (q == OQ_NONE || !act_droppable(c, u, q))
        return OQ_NONE;
    *act = u;
    return q;
}

/* Marks the rewritten nodes dead. */
static void kill(lctx *c, uint32_t op, uint32_t act, uint32_t q)
{
    node(c, op)->dead = true;
    if (act != OQ_NONE)
        node(c, act)->dead = true;
    node(c, q)->dead = true;
}

static uint32_t add(lctx *c, oq_op op, const char *name, const uint32_t *in, uint32_t nin,
                    uint32_t out)
{
    return ir_add_node(c->g, op, name, in, nin, &out, 1);
}

/* Copies the attributes of src onto dst (Conv -> QLinearConv keep pads, strides, ...). */
static bool copy_attrs(lctx *c, uint32_t dst, uint32_t src)
{
    oq_node *s = node(c, src);
    oq_attr *a = oq_arena_alloc(&c->g->arena, (s->nattr + 1) * sizeof *a);
    if (!a)
        return false;
    if (s->nattr)
        memcpy(a, s->attr, s->nattr * sizeof *a);
    /* ir_add_node may have moved the node array: re-read dst */
    node(c, dst)->attr = a;
    node(c, dst)->nattr = s->nattr;
    return true;
}

static oq_status nomem(lctx *c, uint32_t n)
{
    return oq_errorf(c->d, c->g, n, OQ_ERR_NOMEM, "out of memory lowering to integer ops");
}

static bool weight_ok(lctx *c, uint32_t wdq)
{
    return wdq != OQ_NONE && c->g->values[node(c, wdq)->in[0]].dtype == OQ_DT_INT8;
}

static bool bias_ok(lctx *c, uint32_t bdq)
{
    return bdq != OQ_NONE && c->g->values[node(c, bdq)->in[0]].dtype == OQ_DT_INT32;
}

/* DQ(x) -> Conv -> [act] -> Q  =>  QLinearConv */
static oq_status lower_conv(lctx *c, uint32_t n)
{
    oq_node *nd = node(c, n);
    if (c->g->values[nd->in[0]].shape.rank != 4)
        return OQ_OK;
    uint32_t xdq = dq_of(c, nd->in[0], false), wdq = dq_of(c, nd->in[1], true);
    uint32_t bdq = nd->nin > 2 && nd->in[2] != OQ_NONE ? dq_of(c, nd->in[2], true) : OQ_NONE;
    if (xdq == OQ_NONE || !weight_ok(c, wdq) || (nd->nin > 2 && nd->in[2] != OQ_NONE && !bias_ok(c, bdq)))
        return OQ_OK;
    uint32_t act, q = out_q(c, nd->out[0], &act);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || !qp(c, xdq, &s, &z, &dt))
        return OQ_OK;
    int64_t m = c->g->values[nd->in[1]].shape.dim[0];
    uint32_t wzp = zp_or_zero(c, wdq, OQ_DT_INT8, oq_shape_numel(&c->g->values[node(c, wdq)->in[1]].shape));
    if (wzp == OQ_NONE)
        return nomem(c, n);
    (void)m;
    nd = node(c, n);
    const oq_node *X = node(c, xdq), *W = node(c, wdq), *Q = node(c, q);
    uint32_t in[9] = {X->in[0], X->in[1], X->nin > 2 ? X->in[2] : OQ_NONE, W->in[0], W->in[1],
                      wzp, Q->in[1], Q->nin > 2 ? Q->in[2] : OQ_NONE,
                      bdq != OQ_NONE ? node(c, bdq)->in[0] : OQ_NONE};
    if (in[2] == OQ_NONE || in[7] == OQ_NONE)
        return OQ_OK;        /* zero points are required inputs of QLinearConv */
    uint32_t yq = Q->out[0];
    const char *name = nd->name;
    uint32_t id = add(c, OQ_OP_QLinearConv, name, in, in[8] == OQ_NONE ? 8 : 9, yq);
    if (id == OQ_NONE || !copy_attrs(c, id, n))
        return nomem(c, n);
    kill(c, n, act, q);
    c->nlowered++;
    return OQ_OK;
}

/* DQ(x [M,K]) -> Gemm(DQ(w8), DQ(b32)) -> [act] -> Q  =>  Reshape -> QLinearConv 1x1 -> Reshape */
static oq_status lower_gemm(lctx *c, uint32_t n)
{
    oq_node *nd = node(c, n);
    const oq_value *a = &c->g->values[nd->in[0]];
    if (a->shape.rank != 2 || ir_attr_i(nd, OQ_A_Gemm_transA) != 0 ||
        ir_attr_f(nd, OQ_A_Gemm_alpha) != 1.0f || ir_attr_f(nd, OQ_A_Gemm_beta) != 1.0f)
        return OQ_OK;
    uint32_t xdq = dq_of(c, nd->in[0], false), wdq = dq_of(c, nd->in[1], true);
    uint32_t bdq = nd->nin > 2 && nd->in[2] != OQ_NONE ? dq_of(c, nd->in[2], true) : OQ_NONE;
    if (xdq == OQ_NONE || !weight_ok(c, wdq) || (nd->nin > 2 && nd->in[2] != OQ_NONE && !bias_ok(c, bdq)))
        return OQ_OK;
    uint32_t act, q = out_q(c, nd->out[0], &act);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || !qp(c, xdq, &s, &z, &dt))
        return OQ_OK;
    bool transB = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
    const oq_value *w = &c->g->values[node(c, wdq)->in[0]];
    int64_t M = a->shape.dim[0], K = a->shape.dim[1];
    int64_t N = transB ? w->shape.dim[0] : w->shape.dim[1];
    /* per-axis scale must be along N (axis 0 of [N,K], axis 1 of [K,N]) or per tensor */
    const oq_node *W = node(c, wdq);
    int64_t nscale = oq_shape_numel(&c->g->values[W->in[1]].shape);
    int64_t axis = ir_attr_i(W, OQ_A_DequantizeLinear_axis);
    if (nscale != 1 && (nscale != N || axis != (transB ? 0 : 1)))
        return OQ_OK;
    if (bdq != OQ_NONE && oq_shape_numel(&c->g->values[node(c, bdq)->in[0]].shape) != N)
        return OQ_OK;
    /* weights as [N, K, 1, 1] */
    int8_t *wt = malloc((size_t)(N * K));
    if (!wt)
        return nomem(c, n);
    const int8_t *src = w->data;
    for (int64_t i = 0; i < N; i++)
        for (int64_t k = 0; k < K; k++)
            wt[i * K + k] = transB ? src[i * K + k] : src[k * N + i];
    oq_shape ws = {4, {N, K, 1, 1}};
    uint32_t wv = oq_add_const(c->g, "gemm_weight_nk11", OQ_DT_INT8, &ws, wt);
    free(wt);
    /* 0 copies the batch dim (Reshape allowzero=0), so a symbolic batch stays symbolic */
    int64_t shp4[4] = {0, K, 1, 1}, shp2[2] = {0, N};
    oq_shape s1 = {1, {4}}, s2 = {1, {2}};
    uint32_t sh4 = oq_add_const(c->g, "gemm_shape4", OQ_DT_INT64, &s1, shp4);
    uint32_t sh2 = oq_add_const(c->g, "gemm_shape2", OQ_DT_INT64, &s2, shp2);
    uint32_t wzp = zp_or_zero(c, wdq, OQ_DT_INT8, nscale);
    oq_dtype adt = c->g->values[node(c, xdq)->in[0]].dtype;
    oq_shape x4s = {4, {M, K, 1, 1}}, y4s = {4, {M, N, 1, 1}};
    const char *nm = node(c, n)->name;
    uint32_t x4 = ir_add_value(c->g, ir_unique_name(c->g, "gemm_in4"), adt, &x4s);
    uint32_t qv = node(c, q)->out[0];
    uint32_t y4 = ir_add_value(c->g, ir_unique_name(c->g, "gemm_out4"), c->g->values[qv].dtype, &y4s);
    if (wv == OQ_NONE || sh4 == OQ_NONE || sh2 == OQ_NONE || wzp == OQ_NONE || x4 == OQ_NONE ||
        y4 == OQ_NONE)
        return nomem(c, n);
    const oq_node *X = node(c, xdq), *Q = node(c, q);
    uint32_t wsc = node(c, wdq)->in[1];
    uint32_t in[9] = {x4, X->in[1], X->nin > 2 ? X->in[2] : OQ_NONE, wv, wsc, wzp, Q->in[1],
                      Q->nin > 2 ? Q->in[2] : OQ_NONE,
                      bdq != OQ_NONE ? node(c, bdq)->in[0] : OQ_NONE};
    if (in[2] == OQ_NONE || in[7] == OQ_NONE)
        return OQ_OK;
    uint32_t r1[2] = {X->in[0], sh4}, r2[2] = {y4, sh2};
    if (add(c, OQ_OP_Reshape, nm, r1, 2, x4) == OQ_NONE ||
        add(c, OQ_OP_QLinearConv, nm, in, in[8] == OQ_NONE ? 8 : 9, y4) == OQ_NONE ||
        add(c, OQ_OP_Reshape, nm, r2, 2, qv) == OQ_NONE)
        return nomem(c, n);
    kill(c, n, act, q);
    c->nlowered++;
    return OQ_OK;
}

/* DQ(a) -> MatMul(DQ(b)) -> Q, a and b activations with per-tensor qparams (Q.K^T,
 * attention.V)  =>  QLinearMatMul(a, b) (oq_q8_qlinear_matmul_ref in the interpreter and the C). */
static oq_status lower_matmul_act(lctx *c, uint32_t n)
{
    oq_node *nd = node(c, n);
    uint32_t adq = dq_of(c, nd->in[0], false), bdq = dq_of(c, nd->in[1], false);
    if (adq == OQ_NONE || bdq == OQ_NONE || c->g->values[nd->in[0]].shape.rank < 1 ||
        c->g->values[nd->in[1]].shape.rank < 2)
        return OQ_OK;
    uint32_t act, q = out_q(c, nd->out[0], &act);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || !qp(c, adq, &s, &z, &dt) ||
        !qp(c, bdq, &s, &z, &dt))
        return OQ_OK;
    const oq_node *A = node(c, adq), *B = node(c, bdq), *Q = node(c, q);
    uint32_t in[8] = {A->in[0], A->in[1], A->nin > 2 ? A->in[2] : OQ_NONE, B->in[0], B->in[1],
                      B->nin > 2 ? B->in[2] : OQ_NONE, Q->in[1], Q->nin > 2 ? Q->in[2] : OQ_NONE};
    if (in[2] == OQ_NONE || in[5] == OQ_NONE || in[7] == OQ_NONE)
        return OQ_OK;
    if (add(c, OQ_OP_QLinearMatMul, node(c, n)->name, in, 8, Q->out[0]) == OQ_NONE)
        return nomem(c, n);
    kill(c, n, act, q);
    c->nlowered++;
    return OQ_OK;
}

/* DQ(a) -> MatMul(DQ(b8 const 2-D)) -> Q  =>  QLinearMatMul */
static oq_status lower_matmul(lctx *c, uint32_t n)
{
    oq_node *nd = node(c, n);
    uint32_t adq = dq_of(c, nd->in[0], false), bdq = dq_of(c, nd->in[1], true);
    if (adq != OQ_NONE && dq_of(c, nd->in[1], false) != OQ_NONE)
        return lower_matmul_act(c, n);
    if (adq == OQ_NONE || !weight_ok(c, bdq) || c->g->values[nd->in[1]].shape.rank != 2)
        return OQ_OK;
    uint32_t act, q = out_q(c, nd->out[0], &act);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || !qp(c, adq, &s, &z, &dt))
        return OQ_OK;
    const oq_node *B = node(c, bdq);
    int64_t nscale = oq_shape_numel(&c->g->values[B->in[1]].shape);
    if (nscale != 1 && ir_attr_i(B, OQ_A_DequantizeLinear_axis) != 1)
        return OQ_OK;
    uint32_t bzp = zp_or_zero(c, bdq, OQ_DT_INT8, nscale);
    if (bzp == OQ_NONE)
        return nomem(c, n);
    const oq_node *A = node(c, adq), *Q = node(c, q);
    B = node(c, bdq);
    uint32_t in[8] = {A->in[0], A->in[1], A->nin > 2 ? A->in[2] : OQ_NONE, B->in[0], B->in[1],
                      bzp, Q->in[1], Q->nin > 2 ? Q->in[2] : OQ_NONE};
    if (in[2] == OQ_NONE || in[7] == OQ_NONE)
        return OQ_OK;
    if (add(c, OQ_OP_QLinearMatMul, node(c, n)->name, in, 8, Q->out[0]) == OQ_NONE)
        return nomem(c, n);
    kill(c, n, act, q);
    c->nlowered++;
    return OQ_OK;
}

/* Activation (not constant) input of a QLinear contrib op: the DQ's x, scale, zero point. */
static bool act_in(lctx *c, uint32_t v, uint32_t *dqn)
{
    float s;
    int32_t z;
    oq_dtype dt;
    *dqn = dq_of(c, v, false);
    return *dqn != OQ_NONE && qp(c, *dqn, &s, &z, &dt) && node(c, *dqn)->nin > 2 &&
           node(c, *dqn)->in[2] != OQ_NONE;
}

/* DQ(a), DQ(b) -> Add -> [act] -> Q  =>  QLinearAdd (com.microsoft); same int8 dtype. Mul the
 * same into QLinearMul, without an activation; x + x and x * x are lookup tables instead. */
static oq_status lower_add(lctx *c, uint32_t n)
{
    uint32_t adq, bdq;
    bool mul = node(c, n)->op == OQ_OP_Mul;
    if (!act_in(c, node(c, n)->in[0], &adq) || !act_in(c, node(c, n)->in[1], &bdq) ||
        node(c, n)->in[0] == node(c, n)->in[1])
        return OQ_OK;
    uint32_t act = OQ_NONE, q = mul ? only_q_user(c, node(c, n)->out[0])
                                    : out_q(c, node(c, n)->out[0], &act);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || node(c, q)->nin < 3 || node(c, q)->in[2] == OQ_NONE)
        return OQ_OK;
    const oq_node *A = node(c, adq), *B = node(c, bdq), *Q = node(c, q);
    oq_dtype ta = c->g->values[A->in[0]].dtype;
    if (ta != c->g->values[B->in[0]].dtype || ta != c->g->values[Q->out[0]].dtype)
        return OQ_OK;
    uint32_t in[8] = {A->in[0], A->in[1], A->in[2], B->in[0], B->in[1], B->in[2], Q->in[1], Q->in[2]};
    if (add(c, mul ? OQ_OP_QLinearMul : OQ_OP_QLinearAdd, node(c, n)->name, in, 8, Q->out[0]) ==
        OQ_NONE)
        return nomem(c, n);
    kill(c, n, act, q);
    c->nlowered++;
    return OQ_OK;
}

/* DQ(x) -> GlobalAveragePool -> Q  =>  QLinearGlobalAveragePool (com.microsoft, NCHW). */
static oq_status lower_gap(lctx *c, uint32_t n)
{
    uint32_t xdq;
    if (!act_in(c, node(c, n)->in[0], &xdq))
        return OQ_OK;
    uint32_t q = only_q_user(c, node(c, n)->out[0]);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || node(c, q)->nin < 3 || node(c, q)->in[2] == OQ_NONE)
        return OQ_OK;
    const oq_node *X = node(c, xdq), *Q = node(c, q);
    if (c->g->values[X->in[0]].dtype != c->g->values[Q->out[0]].dtype)
        return OQ_OK;
    uint32_t in[5] = {X->in[0], X->in[1], X->in[2], Q->in[1], Q->in[2]};
    if (add(c, OQ_OP_QLinearGlobalAveragePool, node(c, n)->name, in, 5, Q->out[0]) == OQ_NONE)
        return nomem(c, n);
    kill(c, n, OQ_NONE, q);
    c->nlowered++;
    return OQ_OK;
}

/* DQ(x0), DQ(x1), ... -> Concat -> Q  =>  QLinearConcat (com.microsoft); one int8 dtype. */
static oq_status lower_concat(lctx *c, uint32_t n)
{
    uint32_t nin = node(c, n)->nin, q = only_q_user(c, node(c, n)->out[0]);
    float s;
    int32_t z;
    oq_dtype dt;
    if (q == OQ_NONE || !qp(c, q, &s, &z, &dt) || node(c, q)->nin < 3 || node(c, q)->in[2] == OQ_NONE)
        return OQ_OK;
    oq_dtype yt = c->g->values[node(c, q)->out[0]].dtype;
    uint32_t *in = oq_arena_alloc(&c->g->arena, (2 + 3 * nin) * sizeof *in);
    if (!in)
        return nomem(c, n);
    in[0] = node(c, q)->in[1], in[1] = node(c, q)->in[2];
    for (uint32_t i = 0; i < nin; i++) {
        uint32_t xdq;
        if (!act_in(c, node(c, n)->in[i], &xdq) || c->g->values[node(c, xdq)->in[0]].dtype != yt)
            return OQ_OK;
        const oq_node *X = node(c, xdq);
        in[2 + 3 * i] = X->in[0], in[3 + 3 * i] = X->in[1], in[4 + 3 * i] = X->in[2];
    }
    uint32_t id = add(c, OQ_OP_QLinearConcat, node(c, n)->name, in, 2 + 3 * nin, node(c, q)->out[0]);
    if (id == OQ_NONE || !copy_attrs(c, id, n))
        return nomem(c, n);
    kill(c, n, OQ_NONE, q);
    c->nlowered++;
    return OQ_OK;
}

static bool movable(oq_op op) { return oq_op_info(op)->flags & OQ_OPF_INTMOVE; }

/* DQ(x) -> move op -> Q (same qparams)  =>  move op on x */
static oq_status lower_move(lctx *c, uint32_t n)
{
    oq_node *nd = node(c, n);
    if (nd->nout > 1 && nd->out[1] != OQ_NONE)
        return OQ_OK;      /* MaxPool indices */
    uint32_t xdq = dq_of(c, nd->in[0], false);
    if (xdq == OQ_NONE)
        return OQ_OK;
    uint32_t q = only_q_user(c, nd->out[0]);
    if (q == OQ_NONE || !same_qp(c, xdq, q))
        return OQ_OK;
    uint32_t *in = oq_arena_dup(&c->g->arena, nd->in, nd->nin * sizeof *in);
    if (!in)
        return nomem(c, n);
    in[0] = node(c, xdq)->in[0];
    uint32_t id = add(c, nd->op, nd->name, in, node(c, n)->nin, node(c, q)->out[0]);
    if (id == OQ_NONE || !copy_attrs(c, id, n))
        return nomem(c, n);
    kill(c, n, OQ_NONE, q);
    c->nlowered++;
    return OQ_OK;
}

/* Q(DQ(xq)) with equal qparams  =>  xq */
static void fold_requant(lctx *c, uint32_t n)
{
    oq_node *nd = node(c, n);
    uint32_t dq = dq_of(c, nd->in[0], false);
    if (dq == OQ_NONE || !same_qp(c, dq, n) || c->g->values[nd->out[0]].is_output)
        return;
    uint32_t src = node(c, dq)->in[0], out = nd->out[0];
    nd->dead = true;
    ir_replace_uses(c->g, out, src);
    c->nlowered++;
}

oq_status pass_lower_int(oq_graph *g, const oq_options *o, oq_diag *d)
{
    lctx c = {g, o, d, 0};
    ir_fill_uses(g);
    uint32_t n0 = g->nnode;   /* only the original nodes are candidates */
    for (uint32_t n = 0; n < n0; n++) {
        if (node(&c, n)->dead || oq_pass_excluded(g, n, o))
            continue;
        oq_status st = OQ_OK;
        switch (node(&c, n)->op) {
        case OQ_OP_Conv: st = lower_conv(&c, n); break;
        case OQ_OP_Gemm: st = lower_gemm(&c, n); break;
        case OQ_OP_MatMul: st = lower_matmul(&c, n); break;
        case OQ_OP_Add:
        case OQ_OP_Mul: st = o->contrib_ops ? lower_add(&c, n) : OQ_OK; break;
        case OQ_OP_GlobalAveragePool: st = o->contrib_ops ? lower_gap(&c, n) : OQ_OK; break;
        case OQ_OP_Concat: st = o->contrib_ops ? lower_concat(&c, n) : OQ_OK; break;
        case OQ_OP_Resize:     /* nearest only moves values */
            if (strcmp(ir_attr_s(node(&c, n), OQ_A_Resize_mode), "nearest") == 0)
                st = lower_move(&c, n);
            break;
        default:
            if (movable(node(&c, n)->op))
                st = lower_move(&c, n);
            break;
        }
        if (st != OQ_OK)
            return st;
    }
    if (o->contrib_ops) {
        oq_status st = oq_lower_lut(g, o, &c.nlowered, d);
        if (st != OQ_OK)
            return st;
    }
    ir_fill_uses(g);
    for (uint32_t n = 0; n < g->nnode; n++)
        if (!g->nodes[n].dead && g->nodes[n].op == OQ_OP_QuantizeLinear)
            fold_requant(&c, n);
    oq_status st = oq_pass_finish(g, o, d);
    if (st != OQ_OK)
        return st;
    return pass_dce(g, o, d);
}
