/* Shape and dtype inference over the canonical IR forms (frontend/frontend.h), one node at a
 * time in topological order: the driver (ir_infer, ir_infer_node), the helpers the per-op
 * files share, and ir_require_static. The per-op rules live in ir/infer_nn.c (compute ops)
 * and ir/infer_shape.c (data movement and shape ops). Unknown dims stay -1 without error
 * (ir_require_static reports the first one, with the graph input it comes from); only real
 * contradictions are errors. After each node, ir/fold.c evaluates small constant shape
 * arithmetic into value->data so that Reshape/Expand/ConstantOfShape/Slice/Resize shapes
 * become static. */
#include <stdio.h>
#include <string.h>

#include "ir.h"

/* ---------------------------------------------------------------- helpers of the per-op files */

/* Input i of node nd as a value pointer; NULL when absent or out of range. */
oq_value *ir_in_val(oq_graph *g, const oq_node *nd, uint32_t i)
{
    if (i >= nd->nin || nd->in[i] == OQ_NONE)
        return NULL;
    return &g->values[nd->in[i]];
}

/* Output i of node nd; NULL when absent. */
oq_value *ir_out_val(oq_graph *g, const oq_node *nd, uint32_t i)
{
    if (i >= nd->nout || nd->out[i] == OQ_NONE)
        return NULL;
    return &g->values[nd->out[i]];
}

oq_shape ir_unknown_shape(void)
{
    oq_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

oq_shape ir_rank_shape(int r)
{
    oq_shape s;
    memset(&s, 0, sizeof s);
    s.rank = r;
    for (int i = 0; i < r && i < OQ_MAX_RANK; i++)
        s.dim[i] = -1;
    return s;
}

bool ir_dt_int(oq_dtype t)
{
    return t == OQ_DT_INT64 || t == OQ_DT_INT32 || t == OQ_DT_INT16 || t == OQ_DT_INT8 ||
           t == OQ_DT_UINT8 || t == OQ_DT_UINT16 || t == OQ_DT_UINT32 || t == OQ_DT_UINT64 ||
           t == OQ_DT_BOOL;
}

bool ir_dt_float(oq_dtype t) { return t == OQ_DT_FLOAT || t == OQ_DT_DOUBLE; }

/* Reads a constant integer vector (or scalar) value v into buf (at most max entries).
 * Returns the count, or -1 when v is absent, not constant, not integer or too long. */
int ir_const_ints(const oq_graph *g, uint32_t v, int64_t *buf, int max)
{
    if (v == OQ_NONE)
        return -1;
    const oq_value *val = &g->values[v];
    if (!val->data || !ir_dt_int(val->dtype) || val->shape.rank > 1)
        return -1;
    int64_t n = oq_shape_numel(&val->shape);
    if (n < 0 || n > max)
        return -1;
    for (int64_t i = 0; i < n; i++)
        buf[i] = oq_elem_i64(val->data, val->dtype, i);
    return (int)n;
}

/* Length of a 1-D value (its dim 0) when known, else -1. */
int64_t ir_vec_len(const oq_graph *g, uint32_t v)
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

oq_status ir_err_axis(oq_graph *g, uint32_t n, oq_diag *d, const char *what, int64_t a, int r)
{
    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "%s %lld out of range for rank %d", what, (long long)a,
                     r);
}

oq_status ir_err_rank(oq_graph *g, uint32_t n, oq_diag *d, int r)
{
    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output rank %d exceeds the maximum %d", r,
                     OQ_MAX_RANK);
}

/* Requires input i to exist. */
oq_status ir_need_in(oq_graph *g, uint32_t n, oq_diag *d, uint32_t i)
{
    const oq_node *nd = &g->nodes[n];
    if (i < nd->nin && nd->in[i] != OQ_NONE)
        return OQ_OK;
    return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "required input %u is missing", i);
}

/* Numpy broadcast of a and b into o; SHAPE error on mismatch. Unknown dims: a known dim
 * other than 1 wins (the unknown one must be 1 or equal). */
oq_status ir_bcast2(oq_graph *g, uint32_t n, const oq_shape *a, const oq_shape *b, oq_shape *o,
                        oq_diag *d)
{
    if (a->rank < 0 || b->rank < 0) {
        *o = ir_unknown_shape();
        return OQ_OK;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    oq_shape t = ir_rank_shape(r);
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

/* Reads the axes of Squeeze/Unsqueeze/Reduce*: from input 1 or the legacy attribute.
 * *n = -1: no axes given; *known = false: given but not constant. */
void ir_infer_axes(oq_graph *g, const oq_node *nd, int64_t *axes, int *n, bool *known, int max)
{
    *known = true;
    *n = -1;
    if (nd->nin > 1 && nd->in[1] != OQ_NONE) {
        *n = ir_const_ints(g, nd->in[1], axes, max);
        if (*n < 0) {
            *known = false;
            *n = (int)ir_vec_len(g, nd->in[1]);
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

/* ---------------------------------------------------------------- driver */

/* y takes x's dtype and shape (unary elementwise ops, Clip, Identity). */
static oq_status same_as_input(const oq_value *x, oq_value *y)
{
    y->dtype = x->dtype;
    y->shape = x->shape;
    return OQ_OK;
}

/* Dispatches node n to its op's rule; x (input 0) exists except for Concat, y (output 0)
 * except for Split and ops whose outputs are all optional (min_out 0: LSTM). */
static oq_status infer_op(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_opinfo *oi = oq_op_info(nd->op);
    if (nd->op == OQ_OP_Constant)
        return ir_infer_constant(g, n, d);
    oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    if (!x && nd->op != OQ_OP_Concat)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "input 0 is missing");
    if (!y && nd->op != OQ_OP_Split && oq_op_info(nd->op)->min_out > 0)
        return OQ_OK;          /* output unused: nothing to infer */
    switch (nd->op) {
    case OQ_OP_Add: case OQ_OP_Sub: case OQ_OP_Mul: case OQ_OP_Div: case OQ_OP_Equal:
    case OQ_OP_Pow: case OQ_OP_Where: case OQ_OP_PRelu: case OQ_OP_Min: case OQ_OP_Max:
        return ir_infer_elementwise(g, n, d);
    case OQ_OP_Clip: case OQ_OP_Identity: case OQ_OP_InstanceNormalization:
        return same_as_input(x, y);
    case OQ_OP_Softmax: case OQ_OP_LogSoftmax: return ir_infer_softmax(g, n, d);
    case OQ_OP_BatchNormalization: return ir_infer_batchnorm(g, n, d);
    case OQ_OP_Cast: return ir_infer_cast(g, n, d);
    case OQ_OP_Concat: return ir_infer_concat(g, n, d);
    case OQ_OP_ConstantOfShape: return ir_infer_constant_of_shape(g, n, d);
    case OQ_OP_Conv: case OQ_OP_ConvInteger: case OQ_OP_ConvTranspose: case OQ_OP_QLinearConv:
        return ir_infer_conv(g, n, d);
    case OQ_OP_DequantizeLinear: case OQ_OP_QuantizeLinear: return ir_infer_qdq(g, n, d);
    case OQ_OP_Dropout: return ir_infer_dropout(g, n, d);
    case OQ_OP_DynamicQuantizeLinear: return ir_infer_dynamic_quantize(g, n, d);
    case OQ_OP_Expand: return ir_infer_expand(g, n, d);
    case OQ_OP_Flatten: return ir_infer_flatten(g, n, d);
    case OQ_OP_Gather: return ir_infer_gather(g, n, d);
    case OQ_OP_Gemm: return ir_infer_gemm(g, n, d);
    case OQ_OP_AveragePool: case OQ_OP_MaxPool: case OQ_OP_GlobalAveragePool:
    case OQ_OP_GlobalMaxPool:
        return ir_infer_pool(g, n, d);
    case OQ_OP_LayerNormalization: return ir_infer_layernorm(g, n, d);
    case OQ_OP_LSTM: return ir_infer_lstm(g, n, d);
    case OQ_OP_MatMul: case OQ_OP_MatMulInteger: return ir_infer_matmul(g, n, d, 0, 1);
    case OQ_OP_QLinearMatMul: return ir_infer_matmul(g, n, d, 0, 3);
    case OQ_OP_QLinearAdd: case OQ_OP_QLinearMul: return ir_infer_qlinear_add(g, n, d);
    case OQ_OP_QLinearLookup: return ir_infer_qlinear_lookup(g, n, d);
    case OQ_OP_QLinearConcat: return ir_infer_qlinear_concat(g, n, d);
    case OQ_OP_QLinearGlobalAveragePool: return ir_infer_qlinear_gap(g, n, d);
    case OQ_OP_Pad: return ir_infer_pad(g, n, d);
    case OQ_OP_ReduceMax: case OQ_OP_ReduceMean: case OQ_OP_ReduceSum:
        return ir_infer_reduce(g, n, d);
    case OQ_OP_Reshape: return ir_infer_reshape(g, n, d);
    case OQ_OP_Resize: return ir_infer_resize(g, n, d);
    case OQ_OP_Shape: return ir_infer_shape_of(g, n, d);
    case OQ_OP_Slice: return ir_infer_slice(g, n, d);
    case OQ_OP_Split: return ir_infer_split(g, n, d);
    case OQ_OP_Squeeze: return ir_infer_squeeze(g, n, d);
    case OQ_OP_Transpose: return ir_infer_transpose(g, n, d);
    case OQ_OP_Unsqueeze: return ir_infer_unsqueeze(g, n, d);
    default:
        break;
    }
    if (oi->flags & OQ_OPF_UNARY)
        return same_as_input(x, y);
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
