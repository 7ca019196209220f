/* The interpreter core: the dispatch table (oq_op -> implementation), buffer planning and the
 * run loop. Buffers: each value computed at run time gets a slot in one of a few 64-aligned
 * blocks, reused after the value's last use (greedy best fit over the topological order);
 * graph outputs keep their block to the end. Constants (value->data) and bound inputs are read
 * in place. Nodes whose outputs are all constants (folded by inference) are not executed. */
#include <stdio.h>

#include "custom.h"
#include "ops.h"

/* The op table, indexed by oq_op. Ops of ir/ops.def without an entry are reported by
 * oq_interp_new (all of them in one message), never run. */
static const oq_op_impl impls[OQ_OP_COUNT] = {
    [OQ_OP_Abs] = {.exec = oq_exec_unary},
    [OQ_OP_Erf] = {.exec = oq_exec_unary},
    [OQ_OP_Exp] = {.exec = oq_exec_unary},
    [OQ_OP_HardSigmoid] = {.exec = oq_exec_unary},
    [OQ_OP_HardSwish] = {.exec = oq_exec_unary},
    [OQ_OP_LeakyRelu] = {.exec = oq_exec_unary},
    [OQ_OP_Neg] = {.exec = oq_exec_unary},
    [OQ_OP_Reciprocal] = {.exec = oq_exec_unary},
    [OQ_OP_Relu] = {.exec = oq_exec_unary},
    [OQ_OP_Sigmoid] = {.exec = oq_exec_unary},
    [OQ_OP_Sqrt] = {.exec = oq_exec_unary},
    [OQ_OP_Tanh] = {.exec = oq_exec_unary},
    [OQ_OP_Log] = {.exec = oq_exec_unary},
    [OQ_OP_Floor] = {.exec = oq_exec_unary},
    [OQ_OP_Ceil] = {.exec = oq_exec_unary},
    [OQ_OP_Round] = {.exec = oq_exec_unary},
    [OQ_OP_Clip] = {.exec = oq_exec_clip},
    [OQ_OP_Add] = {.exec = oq_exec_binary},
    [OQ_OP_Sub] = {.exec = oq_exec_binary},
    [OQ_OP_Mul] = {.exec = oq_exec_binary},
    [OQ_OP_Div] = {.exec = oq_exec_binary},
    [OQ_OP_Pow] = {.exec = oq_exec_binary},
    [OQ_OP_Equal] = {.exec = oq_exec_binary},
    [OQ_OP_PRelu] = {.exec = oq_exec_binary},
    [OQ_OP_Min] = {.exec = oq_exec_minmax},
    [OQ_OP_Max] = {.exec = oq_exec_minmax},
    [OQ_OP_Where] = {.exec = oq_exec_where},
    [OQ_OP_ReduceMax] = {.exec = oq_exec_reduce},
    [OQ_OP_ReduceMean] = {.exec = oq_exec_reduce},
    [OQ_OP_ReduceSum] = {.exec = oq_exec_reduce},
    [OQ_OP_MaxPool] = {.exec = oq_exec_maxpool, .prep = oq_prep_pool},
    [OQ_OP_AveragePool] = {.exec = oq_exec_avgpool, .prep = oq_prep_pool},
    [OQ_OP_GlobalAveragePool] = {.exec = oq_exec_globalpool},
    [OQ_OP_GlobalMaxPool] = {.exec = oq_exec_globalpool},
    [OQ_OP_Identity] = {.exec = oq_exec_copy},
    [OQ_OP_Reshape] = {.exec = oq_exec_copy},
    [OQ_OP_Flatten] = {.exec = oq_exec_copy},
    [OQ_OP_Squeeze] = {.exec = oq_exec_copy},
    [OQ_OP_Unsqueeze] = {.exec = oq_exec_copy},
    [OQ_OP_Dropout] = {.exec = oq_exec_dropout},
    [OQ_OP_Transpose] = {.exec = oq_exec_transpose},
    [OQ_OP_Concat] = {.exec = oq_exec_concat},
    [OQ_OP_Split] = {.exec = oq_exec_split},
    [OQ_OP_Slice] = {.exec = oq_exec_slice},
    [OQ_OP_Gather] = {.exec = oq_exec_gather},
    [OQ_OP_Expand] = {.exec = oq_exec_expand},
    [OQ_OP_Pad] = {.exec = oq_exec_pad, .prep = oq_prep_pad},
    [OQ_OP_Shape] = {.exec = oq_exec_shape},
    [OQ_OP_ConstantOfShape] = {.exec = oq_exec_constant_of_shape},
    [OQ_OP_Constant] = {.exec = oq_exec_constant},
    [OQ_OP_Cast] = {.exec = oq_exec_cast},
    [OQ_OP_BatchNormalization] = {.exec = oq_exec_batchnorm, .prep = oq_prep_batchnorm},
    [OQ_OP_LayerNormalization] = {.exec = oq_exec_layernorm},
    [OQ_OP_InstanceNormalization] = {.exec = oq_exec_instancenorm},
    [OQ_OP_LSTM] = {.exec = oq_exec_lstm, .prep = oq_prep_lstm, .ws = true},
    [OQ_OP_Softmax] = {.exec = oq_exec_softmax},
    [OQ_OP_LogSoftmax] = {.exec = oq_exec_softmax},
    [OQ_OP_Resize] = {.exec = oq_exec_resize, .prep = oq_prep_resize, .ws = true},
    [OQ_OP_Conv] = {.exec = oq_exec_conv, .prep = oq_prep_conv,
                    .free_state = oq_free_linalg_state, .ws = true},
    [OQ_OP_ConvTranspose] = {.exec = oq_exec_conv, .prep = oq_prep_conv,
                             .free_state = oq_free_linalg_state, .ws = true},
    [OQ_OP_Gemm] = {.exec = oq_exec_gemm, .prep = oq_prep_gemm,
                    .free_state = oq_free_linalg_state, .ws = true},
    [OQ_OP_MatMul] = {.exec = oq_exec_matmul, .prep = oq_prep_matmul,
                      .free_state = oq_free_linalg_state, .ws = true},
    [OQ_OP_QuantizeLinear] = {.exec = oq_exec_quantize},
    [OQ_OP_DequantizeLinear] = {.exec = oq_exec_dequantize},
    [OQ_OP_DynamicQuantizeLinear] = {.exec = oq_exec_dynamic_quantize},
    [OQ_OP_QLinearConv] = {.exec = oq_exec_qlinear_conv, .prep = oq_prep_qconv,
                           .free_state = oq_free_qstate, .ws = true},
    [OQ_OP_ConvInteger] = {.exec = oq_exec_conv_integer, .prep = oq_prep_qconv,
                           .free_state = oq_free_qstate, .ws = true},
    [OQ_OP_QLinearMatMul] = {.exec = oq_exec_qlinear_matmul, .prep = oq_prep_qmatmul,
                             .free_state = oq_free_qstate, .ws = true},
    [OQ_OP_MatMulInteger] = {.exec = oq_exec_matmul_integer},
    [OQ_OP_QLinearAdd] = {.exec = oq_exec_qlinear_add},
    [OQ_OP_QLinearMul] = {.exec = oq_exec_qlinear_add},
    [OQ_OP_QLinearLookup] = {.exec = oq_exec_qlinear_lookup},
    [OQ_OP_QLinearGlobalAveragePool] = {.exec = oq_exec_qlinear_gap},
    [OQ_OP_QLinearConcat] = {.exec = oq_exec_qlinear_concat},
};

/* Table lookup; see interp.h. */
bool oq_interp_supports(oq_op op)
{
    return (unsigned)op < OQ_OP_COUNT && impls[op].exec != NULL;
}

/* The implementation of node n: the table entry, or the custom-op library call. */
static const oq_op_impl *impl_of(const oq_graph *g, uint32_t n)
{
    return g->nodes[n].op == OQ_OP_UNKNOWN ? &oq_custom_impl : &impls[g->nodes[n].op];
}

typedef struct block {
    void *p;                   /* 64-aligned */
    size_t size;
    bool busy;                 /* planning only */
} block;

struct oq_interp {
    const oq_graph *g;
    void **vptr;               /* per value: data pointer during a run (NULL = absent) */
    uint32_t *vblock;          /* per value: block index, OQ_NONE if not planned */
    block *blocks;
    uint32_t nblock;
    void **state;              /* per node: prepared state or NULL */
    bool *skip;                /* per node: dead, or every output is a constant */
    oq_rt_tensor *tin, *tout;  /* per-node argument arrays (max arity) */
    void *ws;                  /* scratch shared by the ops that ask for it (oq_ws_hdr) */
    uint32_t maxin, maxout;
};

/* A value the interpreter can hold: known static shape and a computable element type. */
static oq_status check_value(const oq_graph *g, uint32_t node, uint32_t v, oq_diag *d)
{
    const oq_value *val = &g->values[v];
    if (val->dtype == OQ_DT_UNDEFINED || oq_dtype_size(val->dtype) == 0 ||
        val->dtype == OQ_DT_BFLOAT16)
        return oq_errorf(d, g, node, OQ_ERR_DTYPE, "value '%s': element type %s not supported",
                         val->name, oq_dtype_name(val->dtype));
    if (!oq_shape_known(&val->shape))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "value '%s': shape is not static", val->name);
    return OQ_OK;
}

/* Picks a free block for n bytes: best fit, else grows the largest free one, else a new one. */
static uint32_t plan_take(oq_interp *it, size_t n, uint32_t *cap)
{
    uint32_t best = OQ_NONE, big = OQ_NONE;
    for (uint32_t b = 0; b < it->nblock; b++) {
        if (it->blocks[b].busy)
            continue;
        size_t sz = it->blocks[b].size;
        if (sz >= n && (best == OQ_NONE || sz < it->blocks[best].size))
            best = b;
        if (big == OQ_NONE || it->blocks[b].size > it->blocks[big].size)
            big = b;
    }
    if (best == OQ_NONE)
        best = big;
    if (best == OQ_NONE) {
        if (it->nblock == *cap) {
            uint32_t nc = *cap ? *cap * 2 : 16;
            block *nb = realloc(it->blocks, nc * sizeof *nb);
            if (!nb)
                return OQ_NONE;
            it->blocks = nb;
            *cap = nc;
        }
        best = it->nblock++;
        it->blocks[best] = (block){NULL, 0, false};
    }
    if (it->blocks[best].size < n)
        it->blocks[best].size = n;
    it->blocks[best].busy = true;
    return best;
}

/* Frees node states, blocks and the workspace; NULL is a no-op. */
void oq_interp_free(oq_interp *it)
{
    if (!it)
        return;
    for (uint32_t n = 0; it->state && n < it->g->nnode; n++) {
        if (!it->state[n])
            continue;
        const oq_op_impl *im = impl_of(it->g, n);
        if (im->free_state)
            im->free_state(it->state[n]);
        else
            free(it->state[n]);
    }
    for (uint32_t b = 0; b < it->nblock; b++)
        free(it->blocks[b].p);
    free(it->blocks);
    free(it->vptr);
    free(it->vblock);
    free(it->state);
    free(it->skip);
    free(it->tin);
    free(it->tout);
    free(it->ws);
    free(it);
}

/* Gathers every node of an op without an implementation into u. */
static void check_ops(const oq_graph *g, oq_unsup *u, oq_diag *d)
{
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead || oq_interp_supports(nd->op) ||
            (nd->op == OQ_OP_UNKNOWN && oq_custom_find(nd->op_type)))
            continue;
        oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_OP, nd->op == OQ_OP_UNKNOWN
                  ? "not in onnxq's op table (ir/ops.def) and no custom-op library runs it"
                  : "in ops.def, but the interpreter has no implementation");
        oq_unsup_take(u, g, n, d);
    }
}

/* See interp.h: checks ops and values, plans blocks, runs every prepare step. */
oq_status oq_interp_new(const oq_graph *g, oq_interp **out, oq_diag *d)
{
    *out = NULL;
    oq_unsup u = {0};          /* ops without an implementation, attribute refusals of prep */
    check_ops(g, &u, d);
    oq_status st = u.n ? oq_unsup_report(&u, g, "the interpreter", d) : OQ_OK;
    if (st)
        return st;
    oq_interp *it = calloc(1, sizeof *it);
    if (!it)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    it->g = g;
    uint32_t nv = g->nvalue, nn = g->nnode;
    it->vptr = calloc(nv + 1, sizeof *it->vptr);
    it->vblock = malloc((nv + 1) * sizeof *it->vblock);
    it->state = calloc(nn + 1, sizeof *it->state);
    it->skip = calloc(nn + 1, sizeof *it->skip);
    uint32_t *last = malloc((nv + 1) * sizeof *last);
    uint32_t cap = 0;
    if (!it->vptr || !it->vblock || !it->state || !it->skip || !last) {
        free(last);
        oq_interp_free(it);
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    for (uint32_t v = 0; v < nv; v++) {
        it->vblock[v] = OQ_NONE;
        last[v] = OQ_NONE;
    }
    /* which nodes run; last use of each value; arity; value checks */
    for (uint32_t n = 0; n < nn; n++) {
        const oq_node *nd = &g->nodes[n];
        bool allconst = nd->nout > 0;
        for (uint32_t i = 0; i < nd->nout; i++)
            if (nd->out[i] != OQ_NONE && !g->values[nd->out[i]].data)
                allconst = false;
        it->skip[n] = nd->dead || allconst;
        if (nd->nin > it->maxin)
            it->maxin = nd->nin;
        if (nd->nout > it->maxout)
            it->maxout = nd->nout;
        if (it->skip[n])
            continue;
        for (uint32_t i = 0; i < nd->nin; i++) {
            uint32_t v = nd->in[i];
            if (v == OQ_NONE)
                continue;
            const oq_value *val = &g->values[v];
            if (!val->data && !val->is_input && val->producer == OQ_NONE) {
                st = oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "input '%s' is never computed",
                               val->name);
                goto fail;
            }
            if ((st = check_value(g, n, v, d)))
                goto fail;
            last[v] = n;
        }
        for (uint32_t i = 0; i < nd->nout; i++)
            if (nd->out[i] != OQ_NONE && (st = check_value(g, n, nd->out[i], d)))
                goto fail;
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        if ((st = check_value(g, OQ_NONE, v, d)))
            goto fail;
        last[v] = nn;          /* live to the end */
    }
    it->tin = calloc(it->maxin + 1, sizeof *it->tin);
    it->tout = calloc(it->maxout + 1, sizeof *it->tout);
    if (!it->tin || !it->tout) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* buffer plan over the node order */
    for (uint32_t n = 0; n < nn; n++) {
        const oq_node *nd = &g->nodes[n];
        if (it->skip[n])
            continue;
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t v = nd->out[i];
            if (v == OQ_NONE || it->vblock[v] != OQ_NONE)
                continue;
            size_t sz = ir_value_nbytes(g, v);
            it->vblock[v] = plan_take(it, sz ? sz : 1, &cap);
            if (it->vblock[v] == OQ_NONE) {
                st = oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
                goto fail;
            }
        }
        for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
            uint32_t v = i < nd->nin ? nd->in[i] : nd->out[i - nd->nin];
            if (v == OQ_NONE || it->vblock[v] == OQ_NONE)
                continue;
            if (last[v] == n || (i >= nd->nin && last[v] == OQ_NONE))
                it->blocks[it->vblock[v]].busy = false; /* dies here (or never used) */
        }
    }
    for (uint32_t b = 0; b < it->nblock; b++) {
        size_t sz = (it->blocks[b].size + 63) & ~(size_t)63;
        it->blocks[b].p = aligned_alloc(64, sz);
        if (!it->blocks[b].p) {
            st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory (%zu bytes)", sz);
            goto fail;
        }
    }
    /* per-node preparation (attribute checks, packed weights); every refusal in one message */
    for (uint32_t n = 0; n < nn; n++) {
        if (it->skip[n] || !impl_of(g, n)->prep)
            continue;
        if ((st = impl_of(g, n)->prep(g, n, &it->state[n], d)) && !oq_unsup_take(&u, g, n, d))
            goto fail;
    }
    if ((st = oq_unsup_report(&u, g, "the interpreter", d)))
        goto fail;
    size_t wsz = 64;
    for (uint32_t n = 0; n < nn; n++)
        if (it->state[n] && impl_of(g, n)->ws) {
            size_t s = ((oq_ws_hdr *)it->state[n])->size;
            wsz = s > wsz ? s : wsz;
        }
    it->ws = aligned_alloc(64, (wsz + 63) & ~(size_t)63);
    if (!it->ws) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory (workspace %zu bytes)", wsz);
        goto fail;
    }
    for (uint32_t n = 0; n < nn; n++)
        if (it->state[n] && impl_of(g, n)->ws)
            ((oq_ws_hdr *)it->state[n])->ws = it->ws;
    free(last);
    *out = it;
    return OQ_OK;
fail:
    free(last);
    oq_interp_free(it);
    return st;
}

/* Fills t with the value's static type and its current data pointer. */
static void bind(const oq_interp *it, uint32_t v, oq_rt_tensor *t)
{
    if (v == OQ_NONE) {
        memset(t, 0, sizeof *t);
        t->shape.rank = -1;
        return;
    }
    const oq_value *val = &it->g->values[v];
    t->dtype = val->dtype;
    t->shape = val->shape;
    t->data = it->vptr[v];
}

/* See interp.h: binds inputs, runs live nodes in order, calls the hook after each. */
oq_status oq_interp_run(oq_interp *it, const oq_rt_tensor *inputs, oq_rt_tensor *outputs,
                        oq_node_hook hook, void *hook_ctx, oq_diag *d)
{
    const oq_graph *g = it->g;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *val = &g->values[v];
        it->vptr[v] = val->data ? val->data
                    : it->vblock[v] != OQ_NONE ? it->blocks[it->vblock[v]].p : NULL;
    }
    for (uint32_t i = 0; i < g->ninput; i++) {
        uint32_t v = g->inputs[i];
        const oq_value *val = &g->values[v];
        const oq_rt_tensor *t = &inputs[i];
        if (val->data)
            continue;          /* an input inference proved constant keeps its value */
        if (t->dtype != val->dtype)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "input '%s': got %s, model wants %s",
                             val->name, oq_dtype_name(t->dtype), oq_dtype_name(val->dtype));
        bool same = t->shape.rank == val->shape.rank;
        for (int k = 0; same && k < t->shape.rank; k++)
            same = t->shape.dim[k] == val->shape.dim[k];
        if (!same)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                             "input '%s': shape differs from the model's", val->name);
        if (!t->data && oq_shape_numel(&t->shape) > 0)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "input '%s': no data", val->name);
        it->vptr[v] = t->data;
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t v = nd->out[i];
            bind(it, v, &it->tout[i]);
            if (!it->skip[n] && v != OQ_NONE && it->vblock[v] != OQ_NONE)
                it->tout[i].data = it->blocks[it->vblock[v]].p; /* never write a constant */
        }
        if (!it->skip[n]) {
            for (uint32_t i = 0; i < nd->nin; i++)
                bind(it, nd->in[i], &it->tin[i]);
            oq_status st = impl_of(g, n)->exec(g, n, it->tin, it->tout, it->state[n], d);
            if (st)
                return st;
            /* an output inference already knew stays the constant everyone else reads */
        }
        if (hook && !hook(hook_ctx, g, n, it->tout))
            return OQ_OK;
    }
    for (uint32_t i = 0; i < g->noutput; i++)
        bind(it, g->outputs[i], &outputs[i]);
    return OQ_OK;
}
