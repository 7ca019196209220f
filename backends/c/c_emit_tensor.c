/* C emitter, ops on tensors of any element type and LayerNormalization: Gather (token
 * embeddings, first-token picks; indices checked at run time, before anything is written when
 * they are a graph input), Expand, Where, Equal, Cast, LayerNormalization in fp32, and the
 * QLinearMatMul of two int8 activations (Q.K^T, attention.V: runtime/q8
 * oq_q8_qlinear_matmul_ref, exact int32 accumulation). Each calls its runtime/f32/ops kernel, the interpreter's own code (tensor.c, norm.c),
 * so both give the same bytes. Element types: float, uint8, int8, int32, int64, bool (one byte).
 * NHWC int8 tensors are not taken here (these ops see rank <= 3 activations in encoders). */
#include <stdlib.h>
#include <string.h>

#include "c_emit_int.h"
#include "runtime/f32/ops/ops.h"
#include "runtime/q8/requant.h"

/* The OQ_X_* name of dtype t; NULL if tensor.c does not take it. */
static const char *xtype(oq_dtype t)
{
    switch (t) {
    case OQ_DT_BOOL: return "OQ_X_BOOL";
    case OQ_DT_UINT8: return "OQ_X_U8";
    case OQ_DT_INT8: return "OQ_X_S8";
    case OQ_DT_INT32: return "OQ_X_I32";
    case OQ_DT_INT64: return "OQ_X_I64";
    case OQ_DT_FLOAT: return "OQ_X_F32";
    default: return NULL;
    }
}

/* Writes "a0, a1, ..." ("0" when n == 0: C arrays may not be empty). */
static void ilist(oq_cbuf *b, const int64_t *a, int n)
{
    for (int i = 0; i < n; i++)
        cbuf_printf(b, "%s%lld", i ? ", " : "", (long long)a[i]);
    if (n == 0)
        cbuf_printf(b, "0");
}

/* Element strides of input shape s broadcast against output shape o (0 along broadcast dims);
 * false if s does not broadcast to o. */
static bool bstrides(const oq_shape *s, const oq_shape *o, int64_t *st)
{
    int64_t acc = 1, cs[OQ_MAX_RANK];
    if (s->rank > o->rank)
        return false;
    for (int j = s->rank - 1; j >= 0; j--) {
        cs[j] = acc;
        acc *= s->dim[j];
    }
    for (int i = 0; i < o->rank; i++) {
        int j = i - (o->rank - s->rank);
        if (j >= 0 && s->dim[j] != 1 && s->dim[j] != o->dim[i])
            return false;
        st[i] = j >= 0 && s->dim[j] != 1 ? cs[j] : 0;
    }
    return true;
}

static oq_status fail(ectx *e, uint32_t n, oq_status st, const char *msg)
{
    return oq_errorf(e->d, e->g, n, st, "%s", msg);
}

/* True if ce_classify_tensor takes op. */
static bool is_tensor_op(oq_op op)
{
    switch (op) {
    case OQ_OP_Gather: case OQ_OP_Expand: case OQ_OP_Where: case OQ_OP_Equal: case OQ_OP_Cast:
    case OQ_OP_LayerNormalization: case OQ_OP_QLinearMatMul:
        return true;
    default:
        return false;
    }
}

/* Constant scalar float (scale) or integer (zero point) v into *f / *z. */
static bool cscalar(const ectx *e, uint32_t v, double *x)
{
    if (v == OQ_NONE || !is_const(e, v) || numel(e, v) != 1)
        return false;
    *x = ce_cnum(e, v, 0);
    return true;
}

/* QLinearMatMul of two activations: per-tensor constant qparams, 8-bit operands not stored
 * NHWC, K within exact int32 accumulation; the output's qparams. */
static oq_status classify_qmatmul(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const uint32_t *in = nd->in;
    double q[6];
    static const int at[6] = {1, 2, 4, 5, 6, 7};
    for (int i = 0; i < 6; i++)
        if (nd->nin <= (uint32_t)at[i] || !cscalar(e, in[at[i]], &q[i]))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "QLinearMatMul of two activations needs "
                        "constant per-tensor scales and zero points in the C backend");
    const oq_shape *as = &val(e, in[0])->shape, *bs = &val(e, in[3])->shape;
    if (as->rank < 1 || bs->rank < 2 || as->dim[as->rank - 1] > (int64_t)OQ_Q8_QMATMUL_MAX_K)
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "QLinearMatMul of two activations: A must be "
                    "rank >= 1, B rank >= 2 and K at most 33025 (exact int32 accumulation)");
    uint32_t y = nd->out[0];
    if (val(e, y)->shape.rank == 4)
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "QLinearMatMul of two activations with a rank-4 "
                    "output (stored NHWC) is not supported by the C backend");
    e->v[y].quant = true, e->v[y].qs = (float)q[4], e->v[y].qz = (int32_t)q[5];
    return OQ_OK;
}

/* See c_emit_int.h. Gather and Expand keep the input's qparams (data movement); the others
 * compute on unquantized tensors. */
oq_status ce_classify_tensor(ectx *e, uint32_t n, bool *taken)
{
    const oq_node *nd = &e->g->nodes[n];
    *taken = false;
    if (nd->op == OQ_OP_UNKNOWN || !is_tensor_op(nd->op))
        return OQ_OK;
    for (uint32_t i = 0; i < e->o->ncustom_ops; i++)
        if (strcmp(e->o->custom_ops[i], nd->op_type) == 0)
            return OQ_OK;
    for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
        uint32_t v = i < nd->nin ? nd->in[i] : nd->out[i - nd->nin];
        if (v == OQ_NONE)
            continue;
        if (!xtype(val(e, v)->dtype))
            return oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP, "the C backend has no kernel "
                             "for %s on %s data ('%s')", nd->op_type,
                             oq_dtype_name(val(e, v)->dtype), val(e, v)->name);
        if (e->v[v].nhwc)
            return oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP, "%s of the rank-4 int8 "
                             "tensor '%s' (stored NHWC) is not supported by the C backend",
                             nd->op_type, val(e, v)->name);
    }
    uint32_t x = nd->in[0], y = nd->out[0];
    vinfo *vx = &e->v[x], *vy = &e->v[y];
    oq_status st;
    switch (nd->op) {
    case OQ_OP_QLinearMatMul:
        if ((st = classify_qmatmul(e, n)) != OQ_OK)
            return st;
        break;
    case OQ_OP_Gather:
    case OQ_OP_Expand:
        if (vx->quant && val(e, y)->shape.rank == 4)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "a rank-4 int8 output (stored NHWC) is not "
                        "supported by the C backend here");
        vy->quant = vx->quant, vy->qs = vx->qs, vy->qz = vx->qz;
        break;
    case OQ_OP_Where: {
        const vinfo *a = &e->v[nd->in[1]], *b = &e->v[nd->in[2]];
        if (a->quant != b->quant || (a->quant && (a->qs != b->qs || a->qz != b->qz)))
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "Where of inputs with different "
                        "quantization parameters is not supported by the C backend");
        if (a->quant && val(e, y)->shape.rank == 4)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "a rank-4 int8 output (stored NHWC) is not "
                        "supported by the C backend here");
        vy->quant = a->quant, vy->qs = a->qs, vy->qz = a->qz;
        break;
    }
    case OQ_OP_LayerNormalization:
        for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
            uint32_t v = i < nd->nin ? nd->in[i] : nd->out[i - nd->nin];
            if (v != OQ_NONE && val(e, v)->dtype != OQ_DT_FLOAT)
                return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "LayerNormalization runs on float32 "
                            "tensors in the C backend (stash_type and outputs float32)");
        }
        e->rep.nfloat++;
        oq_warnf(e->d, e->g, n, "runs in float: LayerNormalization has an fp32 kernel only");
        break;
    default:
        if (vx->quant)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "on quantized data (the C backend runs it "
                        "on unquantized tensors)");
        break;
    }
    e->k[n] = K_TENSOR;
    *taken = true;
    return OQ_OK;
}

/* Gather along axis: oq_x_gather__scalar; an index out of range returns NAME_ERR_INDEX (4).
 * Constant indices are checked here. */
static oq_status emit_gather(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], ix = nd->in[1];
    const oq_shape *xs = &val(e, x)->shape;
    int r = xs->rank;
    int64_t ax = ir_attr_i(nd, OQ_A_Gather_axis);
    if (ax < 0)
        ax += r;
    if (ax < 0 || ax >= r)
        return fail(e, n, OQ_ERR_INVALID_MODEL, "axis out of range");
    oq_dtype it = val(e, ix)->dtype;
    if (it != OQ_DT_INT32 && it != OQ_DT_INT64)
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "Gather indices must be int32 or int64 in the "
                    "C backend");
    int64_t outer = 1, inner = 1, dim = xs->dim[ax], ni = numel(e, ix);
    for (int i = 0; i < ax; i++)
        outer *= xs->dim[i];
    for (int i = (int)ax + 1; i < r; i++)
        inner *= xs->dim[i];
    if (is_const(e, ix))
        for (int64_t j = 0; j < ni; j++) {
            int64_t k = (int64_t)ce_cnum(e, ix, j);
            if (k < -dim || k >= dim)
                return oq_errorf(e->d, e->g, n, OQ_ERR_INVALID_MODEL, "constant index %lld out "
                                 "of range [-%lld, %lld)", (long long)k, (long long)dim,
                                 (long long)dim);
        }
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    if (oq_x_gather__scalar(%lld, %lld, %lld, ", (long long)outer,
                (long long)dim, (long long)inner);
    if (!ce_in_ptr(e, n, x))
        return e->d->status;
    cbuf_printf(c, ", ");
    if (!ce_in_ptr(e, n, ix))
        return e->d->status;
    cbuf_printf(c, ", %s, %lld, ", xtype(it), (long long)ni);
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ", %zu) >= 0)\n        return 4;\n", oq_dtype_size(val(e, x)->dtype));
    return OQ_OK;
}

/* See c_emit_int.h: the index checks of Gather nodes that read a graph input directly. */
void ce_tensor_prechecks(ectx *e)
{
    const oq_graph *g = e->g;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (e->k[n] != K_TENSOR || nd->op != OQ_OP_Gather || e->v[nd->in[1]].store != ST_IN)
            continue;
        const oq_shape *xs = &val(e, nd->in[0])->shape;
        int64_t ax = ir_attr_i(nd, OQ_A_Gather_axis);
        ax += ax < 0 ? xs->rank : 0;
        if (ax < 0 || ax >= xs->rank || !xtype(val(e, nd->in[1])->dtype))
            continue;          /* reported when the node is written */
        cbuf_printf(&e->c, "    if (oq_x_index_check__scalar(");
        ce_ptr(e, &e->c, nd->in[1]);
        cbuf_printf(&e->c, ", %s, %lld, %lld) >= 0) /* '%s' of n%u %s */\n        return 4;\n",
                    xtype(val(e, nd->in[1])->dtype), (long long)numel(e, nd->in[1]),
                    (long long)xs->dim[ax], val(e, nd->in[1])->name, n, nd->op_type);
        e->need_fk = true;
    }
}

/* Expand: a strided copy from the input with stride 0 along broadcast dims. */
static oq_status emit_expand(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    const oq_shape *ys = &val(e, y)->shape;
    int64_t st[OQ_MAX_RANK], dst[OQ_MAX_RANK], acc = 1;
    if (!bstrides(&val(e, x)->shape, ys, st))
        return fail(e, n, OQ_ERR_SHAPE, "input does not broadcast to the output");
    for (int k = ys->rank - 1; k >= 0; k--) {
        dst[k] = acc;
        acc *= ys->dim[k];
    }
    if (numel(e, y) == 0)
        return OQ_OK;
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n        static const int64_t dim[] = {");
    ilist(c, ys->dim, ys->rank);
    cbuf_printf(c, "}, ss[] = {");
    ilist(c, st, ys->rank);
    cbuf_printf(c, "}, ds[] = {");
    ilist(c, dst, ys->rank);
    cbuf_printf(c, "};\n        oq_x_copy__scalar(%d, dim, ", ys->rank);
    if (!ce_in_ptr(e, n, x))
        return e->d->status;
    cbuf_printf(c, ", ss, ");
    ce_ptr(e, c, y);
    cbuf_printf(c, ", ds, %zu);\n    }\n", oq_dtype_size(val(e, x)->dtype));
    return OQ_OK;
}

/* Where / Equal: element-wise over the output shape with broadcast strides per input. */
static oq_status emit_elementwise(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t y = nd->out[0];
    const oq_shape *ys = &val(e, y)->shape;
    int64_t st[3][OQ_MAX_RANK];
    for (uint32_t i = 0; i < nd->nin; i++)
        if (!bstrides(&val(e, nd->in[i])->shape, ys, st[i]))
            return fail(e, n, OQ_ERR_SHAPE, "inputs do not broadcast to the output");
    if (numel(e, y) == 0)
        return OQ_OK;
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n        static const int64_t dim[] = {");
    ilist(c, ys->dim, ys->rank);
    for (uint32_t i = 0; i < nd->nin; i++) {
        cbuf_printf(c, "}, s%u[] = {", i);
        ilist(c, st[i], ys->rank);
    }
    if (nd->op == OQ_OP_Where)
        cbuf_printf(c, "};\n        oq_x_where__scalar(%d, dim, ", ys->rank);
    else
        cbuf_printf(c, "};\n        oq_x_logic__scalar(OQ_X_EQUAL, %s, %d, dim, ",
                    xtype(val(e, nd->in[0])->dtype), ys->rank);
    for (uint32_t i = 0; i < nd->nin; i++) {
        if (!ce_in_ptr(e, n, nd->in[i]))
            return e->d->status;
        cbuf_printf(c, ", s%u, ", i);
    }
    ce_ptr(e, c, y);
    if (nd->op == OQ_OP_Where)
        cbuf_printf(c, ", %zu", oq_dtype_size(val(e, y)->dtype));
    cbuf_printf(c, ");\n    }\n");
    return OQ_OK;
}

/* Cast between the element types tensor.c takes (same type: a copy). */
static oq_status emit_cast(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    oq_x_cast__scalar(%lld, ", (long long)numel(e, y));
    if (!ce_in_ptr(e, n, x))
        return e->d->status;
    cbuf_printf(c, ", %s, ", xtype(val(e, x)->dtype));
    ce_ptr(e, c, y);
    cbuf_printf(c, ", %s);\n", xtype(val(e, y)->dtype));
    return OQ_OK;
}

/* Pointer expression of Scale or B of a LayerNormalization made dense over X[axis:] (ns): the
 * value itself when it has that many elements, else a constant broadcast here. */
static bool ln_param(ectx *e, uint32_t n, uint32_t v, const oq_shape *ns)
{
    int64_t cnt = oq_shape_numel(ns);
    if (numel(e, v) == cnt)
        return ce_in_ptr(e, n, v);
    int64_t st[OQ_MAX_RANK];
    if (!is_const(e, v) || !bstrides(&val(e, v)->shape, ns, st)) {
        fail(e, n, OQ_ERR_UNSUPPORTED_OP, "Scale/B must be constants that broadcast to X[axis:]");
        return false;
    }
    float *f = malloc((size_t)(cnt ? cnt : 1) * sizeof *f);
    if (!f) {
        fail(e, n, OQ_ERR_NOMEM, "out of memory");
        return false;
    }
    const float *src = val(e, v)->data;
    int64_t idx[OQ_MAX_RANK] = {0}, off = 0;
    for (int64_t i = 0; i < cnt; i++) {
        f[i] = src[off];
        for (int k = ns->rank - 1; k >= 0; k--) {
            idx[k]++;
            off += st[k];
            if (idx[k] < ns->dim[k])
                break;
            off -= st[k] * ns->dim[k];
            idx[k] = 0;
        }
    }
    uint32_t id = ce_emit_bytes(e, f, (size_t)cnt * sizeof *f);
    free(f);
    cbuf_printf(&e->c, "(const float *)%s_c%u", e->nm, id);
    return true;
}

/* LayerNormalization: oq_f32_layernorm__scalar over rows of X[axis:]. */
static oq_status emit_layernorm(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *xs = &val(e, nd->in[0])->shape;
    int r = xs->rank;
    int64_t ax = ir_attr_i(nd, OQ_A_LayerNormalization_axis);
    if (ax < 0)
        ax += r;
    if (ax < 0 || ax >= r)
        return fail(e, n, OQ_ERR_INVALID_MODEL, "axis out of range");
    oq_shape ns = {r - (int)ax, {0}};
    for (int i = (int)ax; i < r; i++)
        ns.dim[i - ax] = xs->dim[i];
    int64_t inner = oq_shape_numel(&ns), outer = inner ? numel(e, nd->in[0]) / inner : 0;
    if (inner == 0 || outer == 0)
        return OQ_OK;
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    oq_f32_layernorm__scalar(%lld, %lld, ", (long long)outer, (long long)inner);
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", ");
    if (!ln_param(e, n, nd->in[1], &ns))
        return e->d->status;
    cbuf_printf(c, ", ");
    if (nd->nin > 2 && nd->in[2] != OQ_NONE) {
        if (!ln_param(e, n, nd->in[2], &ns))
            return e->d->status;
    } else
        cbuf_printf(c, "(const float *)0");
    cbuf_printf(c, ", ");
    cbuf_hexf(c, ir_attr_f(nd, OQ_A_LayerNormalization_epsilon));
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    for (uint32_t i = 1; i < 3; i++) {
        cbuf_printf(c, ", ");
        if (i < nd->nout && nd->out[i] != OQ_NONE)
            ce_ptr(e, c, nd->out[i]);
        else
            cbuf_printf(c, "(float *)0");
    }
    cbuf_printf(c, ");\n");
    e->rep.macs += (double)outer * (double)inner * 3;
    return OQ_OK;
}

/* QLinearMatMul of two activations: oq_q8_qlinear_matmul_ref per output batch, the operands' batch
 * offsets (numpy broadcasting) listed at compile time. */
static oq_status emit_qmatmul(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const uint32_t *in = nd->in;
    oq_matmul_plan pl;
    oq_status st = oq_matmul_plan_of(e->g, n, &val(e, in[0])->shape, &val(e, in[3])->shape, &pl,
                                     e->d);
    if (st != OQ_OK)
        return st;
    int64_t M = pl.M, K = pl.K, N = pl.N, nob = oq_shape_numel(&pl.ob);
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n");
    ce_batch_offsets(c, &pl);
    const char *at = val(e, in[0])->dtype == OQ_DT_INT8 ? "OQ_Q8_S8" : "OQ_Q8_U8";
    const char *bt = val(e, in[3])->dtype == OQ_DT_INT8 ? "OQ_Q8_S8" : "OQ_Q8_U8";
    const char *yt = val(e, nd->out[0])->dtype == OQ_DT_INT8 ? "OQ_Q8_S8" : "OQ_Q8_U8";
    float scale = oq_q8_requant_scale((float)ce_cnum(e, in[1], 0), (float)ce_cnum(e, in[4], 0),
                                      (float)ce_cnum(e, in[6], 0));
    cbuf_printf(c, "};\n        static const int32_t bz = %d;\n        static const float sc = ",
                (int)ce_cnum(e, in[5], 0));
    cbuf_hexf(c, scale);
    cbuf_printf(c, ";\n        const unsigned char *a = (const unsigned char *)");
    if (!ce_in_ptr(e, n, in[0]))
        return e->d->status;
    cbuf_printf(c, ", *b = (const unsigned char *)");
    if (!ce_in_ptr(e, n, in[3]))
        return e->d->status;
    cbuf_printf(c, ";\n        unsigned char *y = (unsigned char *)");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ";\n        for (long long t = 0; t < %lld; t++)\n"
                "            oq_q8_qlinear_matmul_ref(%lld, %lld, %lld, a + off[t][0] * %lld, %s, %d, "
                "b + off[t][1] * %lld, %s, &bz, 0, &sc, 0, y + t * %lld, %s, %d);\n    }\n",
                (long long)nob, (long long)M, (long long)N, (long long)K, (long long)(M * K), at,
                (int)ce_cnum(e, in[2], 0), (long long)(K * N), bt, (long long)(M * N), yt,
                (int)ce_cnum(e, in[7], 0));
    e->rep.macs += (double)nob * (double)M * (double)N * (double)K;
    return OQ_OK;
}

/* See c_emit_int.h. */
oq_status ce_emit_tensor(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    ce_comment(e, n);
    e->need_fk = nd->op != OQ_OP_QLinearMatMul || e->need_fk;
    switch (nd->op) {
    case OQ_OP_Gather: return emit_gather(e, n);
    case OQ_OP_Expand: return emit_expand(e, n);
    case OQ_OP_Where: case OQ_OP_Equal: return emit_elementwise(e, n);
    case OQ_OP_Cast: return emit_cast(e, n);
    case OQ_OP_LayerNormalization: return emit_layernorm(e, n);
    case OQ_OP_QLinearMatMul: return emit_qmatmul(e, n);
    default: return fail(e, n, OQ_ERR_INTERNAL, "not a tensor op");
    }
}
