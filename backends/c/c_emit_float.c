/* C emitter, float fallback: what no int8 kernel takes runs in the same generated function through
 * fp32 kernels (runtime/f32 for Conv/Gemm/MatMul, runtime/f32/ops for elementwise ops, softmax,
 * pooling and reductions: the interpreter's own code paths), data movement (Transpose, Slice, Split,
 * Concat, Pad) runs on any element type as strided copies that read NHWC int8 tensors in place,
 * and custom ops call the user's NAME_custom_<TYPE>. Every float node is reported with its
 * reason through d->warn. Float constants become const arrays; DequantizeLinear of a constant
 * is evaluated here with the interpreter's formula. Float Conv weights are packed at run time
 * into the node's scratch (weights stay plain floats; the packing is the runtime's, per ISA). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "c_emit_int.h"
#include "runtime/f32/f32.h"
#include "runtime/f32/ops/ops.h"
#include "runtime/interp/kparams.h"

/* Reports msg for node n with status st; returns st. */
static oq_status err(ectx *e, uint32_t n, oq_status st, const char *msg)
{
    return oq_errorf(e->d, e->g, n, st, "%s", msg);
}

/* ------------------------------------------------------------------ classification */

/* Prints the name of op's runtime/f32/ops kernel (the f32k column of ir/ops.def). */
static void put_kernel(oq_cbuf *c, oq_op op)
{
    assert(oq_op_info(op)->f32k);
    cbuf_printf(c, "oq_f32_%s__scalar", oq_op_info(op)->f32k);
}

/* Ops the fallback computes in fp32 (ops.def column csup: a form with fp32, csup.def). */
static bool is_float_op(oq_op op)
{
    return oq_csup_f32(oq_op_info(op)->csup);
}

/* Ops the fallback runs as strided copies on any element type (csup C_MOVE_NHWC). */
static bool is_move_op(oq_op op)
{
    return oq_op_info(op)->csup == OQ_C_MOVE_NHWC;
}

/* True if s is one of l[0..n). */
static bool in_list(const char *s, const char *const *l, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (l[i] && strcmp(l[i], s) == 0)
            return true;
    return false;
}

/* True if node n is compiled as a call of the user's NAME_custom_<TYPE>. */
static bool is_custom(const ectx *e, const oq_node *nd)
{
    return nd->op == OQ_OP_UNKNOWN || in_list(nd->op_type, e->o->custom_ops, e->o->ncustom_ops);
}

/* Why node n stays float (for the report line): the reason the quantizer recorded, else what
 * the graph shows. */
static const char *float_reason(const ectx *e, const oq_node *nd)
{
    if (nd->float_why == OQ_FLOAT_EXCLUDED)
        return "excluded (--exclude, or left in float by mixed precision)";
    if (nd->float_why == OQ_FLOAT_OP_TYPES)
        return "not in --op-types";
    bool lin = nd->op == OQ_OP_Conv || nd->op == OQ_OP_Gemm || nd->op == OQ_OP_MatMul;
    if (lin && nd->nin > 1 && is_const(e, nd->in[1]) && val(e, nd->in[1])->dtype == OQ_DT_FLOAT)
        return "the quantizer left it in float (float weights: mixed precision, or not "
               "quantizable here)";
    if (lin)
        return "not lowered to int8 (its input or output is not quantized, e.g. its consumer "
               "stays float)";
    uint32_t x = nd->nin ? nd->in[0] : OQ_NONE;
    uint32_t p = x != OQ_NONE ? val(e, x)->producer : OQ_NONE;
    if (p != OQ_NONE && (e->k[p] == K_FLOAT || e->k[p] == K_CUSTOM))
        return "its input comes from a float node (no quantized edge between them)";
    if (p != OQ_NONE && e->g->nodes[p].op == OQ_OP_DequantizeLinear)
        return "runs on dequantized data: the lowering has no integer form of this op here "
               "(fp32 kernel)";
    return "no int8 kernel for this op in the C backend (fp32 kernel)";
}

/* See c_emit_int.h; sets the output qparams of data movement from its input. */
oq_status ce_classify_float(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    if (is_custom(e, nd)) {
        for (uint32_t i = 0; i < nd->nout; i++)
            if (nd->out[i] != OQ_NONE && !ce_ctype(val(e, nd->out[i])->dtype))
                return oq_errorf(e->d, e->g, n, OQ_ERR_DTYPE, "custom op output '%s' is %s (the "
                                 "C backend passes float or 8/32-bit tensors)",
                                 val(e, nd->out[i])->name, oq_dtype_name(val(e, nd->out[i])->dtype));
        e->k[n] = K_CUSTOM;
        e->rep.nfloat++;
        oq_warnf(e->d, e->g, n, "runs in float: custom op, calls %s_custom_%s (user-provided)",
                 e->nm, nd->op_type);
        return OQ_OK;
    }
    uint32_t x = nd->nin ? nd->in[0] : OQ_NONE;
    if (x == OQ_NONE || !ce_ctype(val(e, x)->dtype))
        goto unsupported;
    if (is_move_op(nd->op)) {
        /* the output keeps the input's qparams (Concat: every input must share them) */
        const vinfo *vx = &e->v[x];
        for (uint32_t i = 1; nd->op == OQ_OP_Concat && i < nd->nin; i++) {
            const vinfo *vi = &e->v[nd->in[i]];
            if (vi->quant != vx->quant || (vx->quant && (vi->qs != vx->qs || vi->qz != vx->qz)) ||
                val(e, nd->in[i])->dtype != val(e, x)->dtype)
                return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Concat of inputs with different types "
                           "or quantization parameters (the lowering makes those QLinearConcat)");
        }
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t y = nd->out[i];
            if (y == OQ_NONE)
                continue;
            e->v[y].quant = vx->quant, e->v[y].qs = vx->qs, e->v[y].qz = vx->qz;
        }
        e->k[n] = K_MOVE;
        if (!vx->quant) {
            e->rep.nfloat++;
            oq_warnf(e->d, e->g, n, "runs in float: %s", float_reason(e, nd));
        }
        return OQ_OK;
    }
    if (!is_float_op(nd->op))
        goto unsupported;
    for (uint32_t i = 0; i < nd->nin; i++) {
        uint32_t v = nd->in[i];
        if (v == OQ_NONE)
            continue;
        /* axes, roi / scales / sizes, and a constant exponent may be of another type */
        bool shape_in = i > 0 && ((oq_op_info(nd->op)->flags & OQ_OPF_SHAPEIN) ||
                                  (nd->op == OQ_OP_Pow && is_const(e, v)) ||
                                  (nd->op == OQ_OP_LSTM && i == 4)); /* sequence_lens */
        if (!shape_in && val(e, v)->dtype != OQ_DT_FLOAT)
            goto unsupported;
    }
    for (uint32_t i = 0; i < nd->nout; i++)
        if (nd->out[i] != OQ_NONE && val(e, nd->out[i])->dtype != OQ_DT_FLOAT)
            goto unsupported;
    if ((nd->op == OQ_OP_MaxPool && nd->nout > 1 && nd->out[1] != OQ_NONE))
        return err(e, n, OQ_ERR_UNSUPPORTED_OP, "MaxPool indices are not supported by the C backend");
    e->k[n] = K_FLOAT;
    e->rep.nfloat++;
    oq_warnf(e->d, e->g, n, "runs in float: %s", float_reason(e, nd));
    return OQ_OK;
unsupported:
    return oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP,
                     "%s for %s data (or pass --custom-op %s and provide %s_custom_%s)",
                     oq_op_info(nd->op)->csup ? "no C kernel of this op"
                     : "in ops.def, but the C backend has no kernel of this op",
                     x != OQ_NONE ? oq_dtype_name(val(e, x)->dtype) : "no",
                     nd->op_type, e->nm, nd->op_type);
}

/* ------------------------------------------------------------------ geometry helpers */

/* Storage strides (elements) of v's logical (ONNX, C order) indices: NHWC storage permutes. */
static void lstrides(const ectx *e, uint32_t v, int64_t *st)
{
    const oq_shape *s = &val(e, v)->shape;
    if (e->v[v].nhwc) {
        int64_t C = s->dim[1], H = s->dim[2], W = s->dim[3];
        st[0] = H * W * C, st[1] = 1, st[2] = W * C, st[3] = C;
        return;
    }
    int64_t acc = 1;
    for (int k = s->rank - 1; k >= 0; k--) {
        st[k] = acc;
        acc *= s->dim[k];
    }
}

/* Scalar float constant input i of node n (def when absent). */
static bool fconst(ectx *e, const oq_node *nd, uint32_t i, float def, float *out)
{
    *out = def;
    if (i >= nd->nin || nd->in[i] == OQ_NONE)
        return true;
    if (!is_const(e, nd->in[i]))
        return false;
    if (numel(e, nd->in[i]) > 0)
        *out = (float)ce_cnum(e, nd->in[i], 0);
    return true;
}

/* A float literal; infinities as (-)HUGE_VALF. */
static void hexf_or_inf(oq_cbuf *b, float f)
{
    if (isinf(f))
        cbuf_printf(b, "%sHUGE_VALF", f < 0 ? "-" : "");
    else
        cbuf_hexf(b, f);
}

/* Float conv params: the interpreter's (oq_kparams_conv). */
static oq_status conv_params(ectx *e, uint32_t n, oq_f32_conv_params *p)
{
    return oq_kparams_conv(e->g, n, p, e->d);
}

/* Largest packed-weight and workspace bytes of a float conv (tr: ConvTranspose) over every ISA
 * it may run on. */
static void conv_sizes(oq_f32_conv_params p, bool tr, size_t *pack, size_t *ws)
{
    static const oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    *pack = *ws = 0;
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        p.isa = isas[i];
        size_t a = tr ? oq_f32_conv_transpose_pack_size(&p) : oq_f32_conv_pack_size(&p);
        size_t b = tr ? oq_f32_conv_transpose_workspace_size(&p) : oq_f32_conv_workspace_size(&p);
        *pack = a > *pack ? a : *pack;
        *ws = b > *ws ? b : *ws;
    }
    *pack = (*pack + 63) & ~(size_t)63;
}

/* Axes of a Reduce* node: red[k] for each input dim; false if axes are not constant. */
static bool reduce_axes(ectx *e, const oq_node *nd, bool *red, bool *noop)
{
    int r = val(e, nd->in[0])->shape.rank;
    *noop = false;
    for (int k = 0; k < r; k++)
        red[k] = false;
    uint32_t a = nd->nin > 1 ? nd->in[1] : OQ_NONE;
    if (a != OQ_NONE && !is_const(e, a))
        return false;
    int64_t na = a != OQ_NONE ? numel(e, a) : 0;
    if (na == 0) {
        if (ir_attr_i(nd, OQ_A_ReduceSum_noop_with_empty_axes))
            *noop = true;
        for (int k = 0; k < r; k++)
            red[k] = true;
    }
    for (int64_t i = 0; i < na; i++) {
        int64_t ax = (int64_t)ce_cnum(e, a, i);
        if (ax < 0)
            ax += r;
        if (ax < 0 || ax >= r)
            return false;
        red[ax] = true;
    }
    return true;
}

/* See c_emit_int.h: conv packing + workspace, GEMM blocks, reduction accumulators. */
size_t ce_float_scratch(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    if (e->k[n] != K_FLOAT)
        return 0;
    switch (nd->op) {
    case OQ_OP_Resize:
        return ce_resize_scratch(e, n);
    case OQ_OP_LSTM:
        return ce_lstm_scratch(e, n);
    case OQ_OP_Conv: case OQ_OP_ConvTranspose: {
        oq_f32_conv_params p;
        size_t a, b;
        oq_diag tmp = {0};
        oq_diag *save = e->d;
        e->d = &tmp;
        oq_status st = conv_params(e, n, &p);
        e->d = save;
        if (st != OQ_OK)
            return 0;          /* reported when the code is written */
        conv_sizes(p, nd->op == OQ_OP_ConvTranspose, &a, &b);
        return a + b;
    }
    case OQ_OP_Gemm: {
        const oq_shape *a = &val(e, nd->in[0])->shape, *b = &val(e, nd->in[1])->shape;
        bool ta = ir_attr_i(nd, OQ_A_Gemm_transA) != 0, tb = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
        if (a->rank != 2 || b->rank != 2)
            return 0;
        return oq_f32_gemm_workspace_size((size_t)a->dim[ta ? 1 : 0], (size_t)b->dim[tb ? 0 : 1],
                                          (size_t)a->dim[ta ? 0 : 1]);
    }
    case OQ_OP_MatMul: {
        const oq_shape *a = &val(e, nd->in[0])->shape, *b = &val(e, nd->in[1])->shape;
        if (a->rank < 1 || b->rank < 1)
            return 0;
        size_t K = (size_t)b->dim[b->rank >= 2 ? b->rank - 2 : 0];
        size_t N = b->rank >= 2 ? (size_t)b->dim[b->rank - 1] : 1;
        size_t M = a->rank >= 2 && K ? (size_t)oq_shape_numel(a) / K : 1;
        return oq_f32_gemm_workspace_size(M, N, K);
    }
    case OQ_OP_ReduceMean: case OQ_OP_ReduceSum: case OQ_OP_ReduceMax:
        return (size_t)(numel(e, nd->out[0]) + 1) * sizeof(double);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ float code */

/* Float Conv / ConvTranspose: weights packed into the scratch at run time, then oq_f32_conv or
 * oq_f32_conv_transpose (the interpreter's kernel and packing, so the same bits on the same
 * ISA). */
static oq_status emit_conv_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    oq_f32_conv_params p;
    if (conv_params(e, n, &p) != OQ_OK)
        return e->d->status;
    size_t pack, ws;
    bool tr = nd->op == OQ_OP_ConvTranspose;
    const char *fn = tr ? "oq_f32_conv_transpose" : "oq_f32_conv";
    conv_sizes(p, tr, &pack, &ws);
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n        oq_f32_conv_params p;\n        unsigned char *pw = (unsigned char *)");
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ";\n        oq_f32_conv_params_init(&p);\n        p.nspatial = %d;\n"
                "        p.N = %lld, p.C = %lld, p.M = %lld, p.group = %lld;\n", p.nspatial,
                (long long)p.N, (long long)p.C, (long long)p.M, (long long)p.group);
    for (int i = 0; i < p.nspatial; i++)
        cbuf_printf(c, "        p.in[%d] = %lld, p.k[%d] = %lld, p.out[%d] = %lld, p.stride[%d] = "
                    "%lld, p.dil[%d] = %lld, p.pad_begin[%d] = %lld, p.pad_end[%d] = %lld;\n",
                    i, (long long)p.in[i], i, (long long)p.k[i], i, (long long)p.out[i], i,
                    (long long)p.stride[i], i, (long long)p.dil[i], i, (long long)p.pad_begin[i],
                    i, (long long)p.pad_end[i]);
    cbuf_printf(c, "        %s_pack(&p, ", fn);
    if (!ce_in_ptr(e, n, nd->in[1]))
        return e->d->status;
    cbuf_printf(c, ", pw);\n        %s(&p, ", fn);
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", pw, ");
    if (nd->nin > 2 && nd->in[2] != OQ_NONE) {
        if (!ce_in_ptr(e, n, nd->in[2]))
            return e->d->status;
    } else
        cbuf_printf(c, "(const float *)0");
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ", pw + %zu);\n    }\n", pack);
    double outv = 1;
    for (int i = 0; i < p.nspatial; i++)
        outv *= (double)p.out[i] * (double)p.k[i];
    e->rep.macs += (double)p.N * (double)p.M * outv * (double)(p.C / p.group);
    e->need_f32 = true;
    e->need_deconv |= tr;
    return OQ_OK;
}

/* Float Gemm: oq_f32_gemm_ex on raw operands, beta*C as a bias vector (or C copied to Y). */
static oq_status emit_gemm_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *as = &val(e, nd->in[0])->shape, *bs = &val(e, nd->in[1])->shape;
    if (as->rank != 2 || bs->rank != 2)
        return err(e, n, OQ_ERR_SHAPE, "A and B must be 2-D");
    bool ta = ir_attr_i(nd, OQ_A_Gemm_transA) != 0, tb = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
    size_t M = (size_t)as->dim[ta ? 1 : 0], K = (size_t)as->dim[ta ? 0 : 1];
    size_t N = (size_t)bs->dim[tb ? 0 : 1];
    float alpha = ir_attr_f(nd, OQ_A_Gemm_alpha), beta = ir_attr_f(nd, OQ_A_Gemm_beta);
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n        oq_f32_epilogue ep = oq_f32_epilogue_default();\n");
    cbuf_printf(c, "        ep.alpha = ");
    cbuf_hexf(c, alpha);
    cbuf_printf(c, ";\n");
    uint32_t cv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    if (cv != OQ_NONE && beta != 0.0f) {
        const oq_shape *cs = &val(e, cv)->shape;
        int64_t cn = numel(e, cv);
        bool full = cs->rank == 2 && (size_t)cs->dim[0] == M && (size_t)cs->dim[1] == N && cn > 1 &&
                    !(M == 1 && (size_t)cn == N);
        if (full) {
            cbuf_printf(c, "        memcpy(");
            ce_ptr(e, c, nd->out[0]);
            cbuf_printf(c, ", ");
            if (!ce_in_ptr(e, n, cv))
                return e->d->status;
            cbuf_printf(c, ", %zu);\n        ep.beta = ", M * N * sizeof(float));
            cbuf_hexf(c, beta);
            cbuf_printf(c, ";\n");
        } else {
            if (!is_const(e, cv) && !ce_materialize(e, cv))
                return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Gemm bias C must be a constant");
            bool col = cs->rank == 2 && (size_t)cs->dim[0] == M && cs->dim[1] == 1 && cn > 1;
            size_t len = cn == 1 ? N : col ? M : (size_t)cn;
            if (!col && cn != 1 && (size_t)cn != N)
                return err(e, n, OQ_ERR_SHAPE, "C does not broadcast to [M, N]");
            float *v = malloc((len ? len : 1) * sizeof *v);
            if (!v)
                return err(e, n, OQ_ERR_NOMEM, "out of memory");
            /* beta * C as the interpreter computes it (float products) */
            const float *cp = NULL;
            float *tmp = NULL;
            if (is_const(e, cv))
                cp = val(e, cv)->data;
            else {             /* a dequantized constant: same values materialize wrote */
                tmp = malloc((size_t)cn * sizeof *tmp);
                const oq_node *p = &e->g->nodes[val(e, cv)->producer];
                if (!tmp) {
                    free(v);
                    return err(e, n, OQ_ERR_NOMEM, "out of memory");
                }
                float s0 = (float)ce_cnum(e, p->in[1], 0);
                int64_t ns = numel(e, p->in[1]);
                for (int64_t i = 0; i < cn; i++) {
                    int64_t ch = ns == 1 ? 0 : i % ns;
                    int64_t zp = p->nin > 2 && p->in[2] != OQ_NONE ? (int64_t)ce_cnum(e, p->in[2], ch) : 0;
                    float s = ns == 1 ? s0 : (float)ce_cnum(e, p->in[1], ch);
                    tmp[i] = (float)((int64_t)ce_cnum(e, p->in[0], i) - zp) * s;
                }
                cp = tmp;
            }
            for (size_t j = 0; j < len; j++)
                v[j] = beta * cp[cn == 1 ? 0 : j];
            uint32_t id = ce_emit_bytes(e, v, len * sizeof *v);
            free(v);
            free(tmp);
            cbuf_printf(c, "        ep.%s = (const float *)%s_c%u;\n", col ? "bias_m" : "bias_n",
                        e->nm, id);
        }
    }
    cbuf_printf(c, "        oq_f32_operand oa = {");
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", %lld, %d, 0};\n        oq_f32_operand ob = {", (long long)as->dim[1], ta);
    if (!ce_in_ptr(e, n, nd->in[1]))
        return e->d->status;
    cbuf_printf(c, ", %lld, %d, 0};\n        oq_f32_gemm_ex(OQ_F32_AUTO, %zu, %zu, %zu, &oa, &ob, "
                "&ep, ", (long long)bs->dim[1], tb, M, N, K);
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ", %zu, ", N);
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ");\n    }\n");
    e->rep.macs += (double)M * (double)N * (double)K;
    e->need_f32 = true;
    return OQ_OK;
}

/* Float MatMul: one GEMM when B is one matrix, else one per broadcast batch. */
static oq_status emit_matmul_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *as = &val(e, nd->in[0])->shape, *bs = &val(e, nd->in[1])->shape;
    int ra = as->rank, rb = bs->rank;
    if (ra < 1 || rb < 1)
        return err(e, n, OQ_ERR_SHAPE, "MatMul of a scalar");
    oq_matmul_plan pl;
    oq_status st = oq_matmul_plan_of(e->g, n, as, bs, &pl, e->d);
    if (st != OQ_OK)
        return st;
    int64_t M = pl.M, K = pl.K, N = pl.N;
    int64_t nb = oq_shape_numel(&pl.bb), nob = oq_shape_numel(&pl.ob);
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n        oq_f32_epilogue ep = oq_f32_epilogue_default();\n"
                "        const float *a = ");
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ";\n        const float *b = ");
    if (!ce_in_ptr(e, n, nd->in[1]))
        return e->d->status;
    cbuf_printf(c, ";\n        float *y = ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ";\n");
    if (nb == 1) {
        int64_t rows = K ? numel(e, nd->in[0]) / K : nob * M;
        cbuf_printf(c, "        oq_f32_operand oa = {a, %lld, 0, 0}, ob = {b, %lld, 0, 0};\n"
                    "        oq_f32_gemm_ex(OQ_F32_AUTO, %lld, %lld, %lld, &oa, &ob, &ep, y, %lld, ",
                    (long long)K, (long long)N, (long long)rows, (long long)N, (long long)K,
                    (long long)N);
        ce_scratch_ptr(e, c, n);
        cbuf_printf(c, ");\n    }\n");
        e->rep.macs += (double)rows * (double)N * (double)K;
        e->need_f32 = true;
        return OQ_OK;
    }
    /* batches: operand offsets (in matrices) per output batch, as the interpreter walks them */
    ce_batch_offsets(c, &pl);
    cbuf_printf(c, "};\n        for (long long t = 0; t < %lld; t++) {\n"
                "            oq_f32_operand oa = {a + off[t][0] * %lld, %lld, 0, 0};\n"
                "            oq_f32_operand ob = {b + off[t][1] * %lld, %lld, 0, 0};\n"
                "            oq_f32_gemm_ex(OQ_F32_AUTO, %lld, %lld, %lld, &oa, &ob, &ep, "
                "y + t * %lld, %lld, ", (long long)nob, (long long)(M * K), (long long)K,
                (long long)(K * N), (long long)N, (long long)M, (long long)N, (long long)K,
                (long long)(M * N), (long long)N);
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ");\n        }\n    }\n");
    e->rep.macs += (double)nob * (double)M * (double)N * (double)K;
    e->need_f32 = true;
    return OQ_OK;
}

/* Float MaxPool / AveragePool (1-3D) and the global pools over NCHW. */
static oq_status emit_pool_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *x = &val(e, nd->in[0])->shape;
    oq_cbuf *c = &e->c;
    if (nd->op == OQ_OP_GlobalAveragePool || nd->op == OQ_OP_GlobalMaxPool) {
        if (x->rank < 2)
            return err(e, n, OQ_ERR_SHAPE, "input rank < 2");
        int64_t nc = x->dim[0] * x->dim[1], sp = nc ? numel(e, nd->in[0]) / nc : 0;
        cbuf_printf(c, "    ");
        put_kernel(c, nd->op);
        cbuf_printf(c, "(%lld, %lld, ", (long long)nc, (long long)sp);
        if (!ce_in_ptr(e, n, nd->in[0]))
            return e->d->status;
        cbuf_printf(c, ", ");
        ce_ptr(e, c, nd->out[0]);
        cbuf_printf(c, ");\n");
        return OQ_OK;
    }
    oq_f32_pool p;
    if (oq_kparams_pool(e->g, n, &p, e->d) != OQ_OK)
        return e->d->status;
    cbuf_printf(c, "    {\n        static const oq_f32_pool p = {%lld, {", (long long)p.nc);
    const int64_t *arrs[] = {p.in, p.out, p.k, p.s, p.dl, p.pb, p.pe};
    for (int a = 0; a < 7; a++) {
        ce_ilist(c, arrs[a], 3);
        cbuf_printf(c, "}, %s", a < 6 ? "{" : "");
    }
    cbuf_printf(c, "%d};\n        ", p.include_pad);
    put_kernel(c, nd->op);
    cbuf_printf(c, "(&p, ");
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ");\n    }\n");
    return OQ_OK;
}

/* Softmax / LogSoftmax (legacy 2-D coercion for opset < 13). */
static oq_status emit_softmax_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *x = &val(e, nd->in[0])->shape;
    bool legacy = ir_attr_i(nd, OQ_A_Softmax_onnxq_legacy_2d) != 0;
    int r = x->rank;
    int64_t a = ir_softmax_axis(nd), outer = 1, cnt = 1, inner = 1;
    if (r == 0)
        return err(e, n, OQ_ERR_SHAPE, "softmax of a scalar");
    int ax = (int)(legacy && a == r ? r : a < 0 ? a + r : a);
    if (ax < 0 || ax > r || (ax == r && !legacy))
        return err(e, n, OQ_ERR_INVALID_MODEL, "axis out of range");
    for (int i = 0; i < ax; i++)
        outer *= x->dim[i];
    if (legacy)
        for (int i = ax; i < r; i++)
            cnt *= x->dim[i];
    else {
        cnt = x->dim[ax];
        for (int i = ax + 1; i < r; i++)
            inner *= x->dim[i];
    }
    cbuf_printf(&e->c, "    ");
    put_kernel(&e->c, nd->op);
    cbuf_printf(&e->c, "(%lld, %lld, %lld, ", (long long)outer, (long long)cnt, (long long)inner);
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(&e->c, ", ");
    ce_ptr(e, &e->c, nd->out[0]);
    cbuf_printf(&e->c, ");\n");
    return OQ_OK;
}

/* ReduceSum / ReduceMean / ReduceMax over constant axes (double accumulators in scratch). */
static oq_status emit_reduce_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const oq_shape *x = &val(e, nd->in[0])->shape;
    bool red[OQ_MAX_RANK], noop;
    if (!reduce_axes(e, nd, red, &noop))
        return err(e, n, OQ_ERR_UNSUPPORTED_OP, "reduction axes must be constant and in range");
    oq_cbuf *c = &e->c;
    if (noop) {
        cbuf_printf(c, "    memcpy(");
        ce_ptr(e, c, nd->out[0]);
        cbuf_printf(c, ", ");
        if (!ce_in_ptr(e, n, nd->in[0]))
            return e->d->status;
        cbuf_printf(c, ", %lld);\n", (long long)numel(e, nd->in[0]) * 4);
        return OQ_OK;
    }
    int r = x->rank;
    int64_t ost[OQ_MAX_RANK], acc = 1, nout = 1;
    for (int i = r - 1; i >= 0; i--) {
        ost[i] = red[i] ? 0 : acc;
        if (!red[i]) {
            acc *= x->dim[i];
            nout *= x->dim[i];
        }
    }
    int64_t cnt = nout ? numel(e, nd->in[0]) / nout : 0;
    cbuf_printf(c, "    {\n        static const int64_t dim[] = {");
    ce_ilist(c, x->dim, r);
    cbuf_printf(c, "}, ost[] = {");
    ce_ilist(c, ost, r);
    cbuf_printf(c, "};\n        ");
    put_kernel(c, nd->op);
    cbuf_printf(c, "(%d, dim, ost, %lld, %lld, ", r, (long long)nout, (long long)cnt);
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ", (double *)");
    ce_scratch_ptr(e, c, n);
    cbuf_printf(c, ");\n    }\n");
    return OQ_OK;
}

/* Clip and the one-input activations. */
static oq_status emit_unary_f(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    oq_cbuf *c = &e->c;
    int64_t cnt = numel(e, nd->out[0]);
    if (nd->op == OQ_OP_Clip) {
        float lo, hi;
        if (!fconst(e, nd, 1, -INFINITY, &lo) || !fconst(e, nd, 2, INFINITY, &hi))
            return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Clip bounds must be constants");
        cbuf_printf(c, "    ");
        put_kernel(c, nd->op);
        cbuf_printf(c, "(%lld, ", (long long)cnt);
        if (!ce_in_ptr(e, n, nd->in[0]))
            return e->d->status;
        cbuf_printf(c, ", ");
        ce_ptr(e, c, nd->out[0]);
        cbuf_printf(c, ", ");
        hexf_or_inf(c, lo);
        cbuf_printf(c, ", ");
        hexf_or_inf(c, hi);
        cbuf_printf(c, ");\n");
        return OQ_OK;
    }
    float alpha = ir_attr_f(nd, OQ_A_LeakyRelu_alpha);
    float beta = ir_attr_f(nd, OQ_A_HardSigmoid_beta);
    cbuf_printf(c, "    ");
    put_kernel(c, nd->op);
    cbuf_printf(c, "(%lld, ", (long long)cnt);
    if (!ce_in_ptr(e, n, nd->in[0]))
        return e->d->status;
    cbuf_printf(c, ", ");
    ce_ptr(e, c, nd->out[0]);
    cbuf_printf(c, ", ");
    cbuf_hexf(c, alpha);
    cbuf_printf(c, ", ");
    cbuf_hexf(c, beta);
    cbuf_printf(c, ");\n");
    return OQ_OK;
}

/* ------------------------------------------------------------------ data movement */

/* One strided copy: box dim[rank] from x (+ soff elements, strides ss) to y (+ doff, ds). */
static oq_status copy_call(ectx *e, uint32_t n, int rank, const int64_t *dim, uint32_t x,
                           int64_t soff, const int64_t *ss, uint32_t y, int64_t doff,
                           const int64_t *ds)
{
    oq_cbuf *c = &e->c;
    size_t es = oq_dtype_size(val(e, y)->dtype);
    cbuf_printf(c, "    {\n        static const int64_t dim[] = {");
    ce_ilist(c, dim, rank);
    cbuf_printf(c, "}, ss[] = {");
    ce_ilist(c, ss, rank);
    cbuf_printf(c, "}, ds[] = {");
    ce_ilist(c, ds, rank);
    cbuf_printf(c, "};\n        oq_x_copy__scalar(%d, dim, ", rank);
    if (!ce_in_ptr(e, n, x))
        return e->d->status;
    cbuf_printf(c, " + %lld, ss, ", (long long)soff);
    ce_ptr(e, c, y);
    cbuf_printf(c, " + %lld, ds, %zu);\n    }\n", (long long)doff, es);
    return OQ_OK;
}

/* Transpose, Slice, Split, Concat, Pad: strided copies over the storage strides of each side
 * (NHWC int8 tensors are read and written in place). */
static oq_status emit_move(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    const oq_shape *xs = &val(e, x)->shape, *ys = &val(e, y)->shape;
    int r = xs->rank;
    int64_t xst[OQ_MAX_RANK], yst[OQ_MAX_RANK], ss[OQ_MAX_RANK];
    lstrides(e, x, xst);
    lstrides(e, y, yst);
    switch (nd->op) {
    case OQ_OP_Transpose: {
        const int64_t *perm;
        int np = ir_attr_is(nd, OQ_A_Transpose_perm, &perm);
        for (int i = 0; i < r; i++) {
            int64_t p = np == r ? perm[i] : r - 1 - i;
            if (p < 0 || p >= r)
                return err(e, n, OQ_ERR_INVALID_MODEL, "perm out of range");
            ss[i] = xst[p];
        }
        return copy_call(e, n, r, ys->dim, x, 0, ss, y, 0, yst);
    }
    case OQ_OP_Slice: {
        int64_t start[OQ_MAX_RANK], step[OQ_MAX_RANK], off = 0;
        for (int i = 0; i < r; i++)
            start[i] = 0, step[i] = 1;
        uint32_t si = nd->nin > 1 ? nd->in[1] : OQ_NONE, ax = nd->nin > 3 ? nd->in[3] : OQ_NONE;
        uint32_t sp = nd->nin > 4 ? nd->in[4] : OQ_NONE;
        if (!is_const(e, si) || (ax != OQ_NONE && !is_const(e, ax)) || (sp != OQ_NONE && !is_const(e, sp)))
            return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Slice starts/axes/steps must be constants");
        for (int64_t k = 0; k < numel(e, si); k++) {
            int64_t a = ax != OQ_NONE ? oq_elem_i64(val(e, ax)->data, val(e, ax)->dtype, k) : k;
            if (a < 0)
                a += r;
            if (a < 0 || a >= r)
                return err(e, n, OQ_ERR_INVALID_MODEL, "axis out of range");
            int64_t dim = xs->dim[a], s = oq_elem_i64(val(e, si)->data, val(e, si)->dtype, k);
            int64_t st = sp != OQ_NONE ? oq_elem_i64(val(e, sp)->data, val(e, sp)->dtype, k) : 1;
            if (st == 0)
                return err(e, n, OQ_ERR_INVALID_MODEL, "step 0");
            start[a] = oq_slice_clamp(dim, s, st); /* -1: empty output */
            /* a step is taken only between two outputs, so |st| < dim there and st * stride fits */
            step[a] = ys->dim[a] > 1 ? st : 1;
        }
        if (numel(e, y) == 0)
            return OQ_OK;
        for (int i = 0; i < r; i++) {
            off += start[i] * xst[i];
            ss[i] = step[i] * xst[i];
        }
        return copy_call(e, n, r, ys->dim, x, off, ss, y, 0, yst);
    }
    case OQ_OP_Split: {
        int64_t axis = ir_attr_i(nd, OQ_A_Split_axis), pos = 0;
        if (axis < 0)
            axis += r;
        for (uint32_t i = 0; i < nd->nout; i++)
            if (nd->out[i] == OQ_NONE)
                return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Split with an unused output");
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t yi = nd->out[i];
            int64_t yist[OQ_MAX_RANK];
            lstrides(e, yi, yist);
            oq_status st = copy_call(e, n, r, val(e, yi)->shape.dim, x, pos * xst[axis], xst, yi,
                                     0, yist);
            if (st)
                return st;
            pos += val(e, yi)->shape.dim[axis];
        }
        return OQ_OK;
    }
    case OQ_OP_Concat: {
        int64_t axis = ir_attr_i(nd, OQ_A_Concat_axis), pos = 0;
        if (axis < 0)
            axis += ys->rank;
        for (uint32_t i = 0; i < nd->nin; i++) {
            uint32_t xi = nd->in[i];
            int64_t xist[OQ_MAX_RANK];
            if (numel(e, xi) == 0)
                continue;
            lstrides(e, xi, xist);
            oq_status st = copy_call(e, n, ys->rank, val(e, xi)->shape.dim, xi, 0, xist, y,
                                     pos * yst[axis], yst);
            if (st)
                return st;
            pos += val(e, xi)->shape.dim[axis];
        }
        return OQ_OK;
    }
    default: {                  /* Pad */
        const char *m = ir_attr_s(nd, OQ_A_Pad_mode);
        int mode = !strcmp(m, "constant") ? 0 : !strcmp(m, "reflect") ? 1 : !strcmp(m, "edge") ? 2 : -1;
        uint32_t pads = nd->nin > 1 ? nd->in[1] : OQ_NONE, cv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
        uint32_t axes = nd->nin > 3 ? nd->in[3] : OQ_NONE;
        if (mode < 0)
            return err(e, n, OQ_ERR_UNSUPPORTED_ATTR, "pad mode not supported");
        if (!is_const(e, pads) || (axes != OQ_NONE && !is_const(e, axes)) ||
            (cv != OQ_NONE && !is_const(e, cv)))
            return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Pad pads/constant_value/axes must be constants");
        if (e->v[x].nhwc != e->v[y].nhwc)
            return err(e, n, OQ_ERR_UNSUPPORTED_OP, "Pad between NHWC and NCHW storage");
        int64_t pb[OQ_MAX_RANK] = {0};
        int64_t na = axes != OQ_NONE ? numel(e, axes) : r;
        if (numel(e, pads) != 2 * na)
            return err(e, n, OQ_ERR_INVALID_MODEL, "pads does not match the axes");
        for (int64_t k = 0; k < na; k++) {
            int64_t a = axes != OQ_NONE ? (int64_t)ce_cnum(e, axes, k) : k;
            if (a < 0)
                a += r;
            if (a < 0 || a >= r)
                return err(e, n, OQ_ERR_INVALID_MODEL, "axis out of range");
            pb[a] = (int64_t)ce_cnum(e, pads, k);
        }
        int64_t in[OQ_MAX_RANK], out[OQ_MAX_RANK], pbs[OQ_MAX_RANK];
        static const int nhwc_of[4] = {0, 2, 3, 1};     /* storage dim -> logical dim */
        for (int i = 0; i < r; i++) {
            int l = e->v[x].nhwc ? nhwc_of[i] : i;
            in[i] = xs->dim[l], out[i] = ys->dim[l], pbs[i] = pb[l];
        }
        size_t es = oq_dtype_size(val(e, x)->dtype);
        unsigned char cval[8] = {0};
        if (mode == 0 && cv != OQ_NONE && numel(e, cv) > 0 && es <= sizeof cval)
            memcpy(cval, val(e, cv)->data, es);
        oq_cbuf *c = &e->c;
        cbuf_printf(c, "    {\n        static const int64_t in[] = {");
        ce_ilist(c, in, r);
        cbuf_printf(c, "}, out[] = {");
        ce_ilist(c, out, r);
        cbuf_printf(c, "}, pb[] = {");
        ce_ilist(c, pbs, r);
        cbuf_printf(c, "};\n        static const unsigned char cval[8] = {");
        for (int i = 0; i < 8; i++)
            cbuf_printf(c, "%s%u", i ? ", " : "", cval[i]);
        cbuf_printf(c, "};\n        oq_x_pad__scalar(%d, %d, in, out, pb, ", mode, r);
        if (!ce_in_ptr(e, n, x))
            return e->d->status;
        cbuf_printf(c, ", ");
        ce_ptr(e, c, y);
        cbuf_printf(c, ", %zu, cval);\n    }\n", es);
        return OQ_OK;
    }
    }
}

/* ------------------------------------------------------------------ custom ops */

/* Declares NAME_custom_<TYPE> in the header once per type. */
static oq_status declare_custom(ectx *e, uint32_t n, const char *type)
{
    for (uint32_t i = 0; i < e->nctypes; i++)
        if (strcmp(e->ctypes[i], type) == 0)
            return OQ_OK;
    for (const char *p = type; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP, "custom op type '%s' is not a "
                             "C identifier", type);
    const char **t = realloc((void *)e->ctypes, (e->nctypes + 1) * sizeof *t);
    if (!t)
        return err(e, n, OQ_ERR_NOMEM, "out of memory");
    e->ctypes = t;
    t[e->nctypes++] = type;
    cbuf_printf(&e->cust, "/* Custom op %s (user-provided; see onnxq_custom.h for the ABI). */\n"
                "int %s_custom_%s(const onnxq_tensor *in, int32_t nin, onnxq_tensor *out, "
                "int32_t nout,\n        const onnxq_attr *attr, int32_t nattr);\n", type, e->nm,
                type);
    return OQ_OK;
}

/* A call of NAME_custom_<TYPE>: tensors (data, shape, rank, dtype) and attributes as literals. */
static oq_status emit_custom(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    oq_status st = declare_custom(e, n, nd->op_type);
    if (st)
        return st;
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    {\n");
    for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
        uint32_t v = i < nd->nin ? nd->in[i] : nd->out[i - nd->nin];
        if (v == OQ_NONE)
            continue;
        const oq_shape *s = &val(e, v)->shape;
        cbuf_printf(c, "        static const int64_t s%u[] = {", i);
        ce_ilist(c, s->dim, s->rank);
        cbuf_printf(c, "};\n");
    }
    uint32_t nin = nd->nin ? nd->nin : 1, nout = nd->nout ? nd->nout : 1;
    cbuf_printf(c, "        onnxq_tensor in[%u], out[%u];\n", nin, nout);
    for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
        bool isin = i < nd->nin;
        uint32_t v = isin ? nd->in[i] : nd->out[i - nd->nin];
        const char *arr = isin ? "in" : "out";
        uint32_t k = isin ? i : i - nd->nin;
        if (v == OQ_NONE) {
            cbuf_printf(c, "        %s[%u].shape = 0, %s[%u].rank = 0, %s[%u].dtype = 0, "
                        "%s[%u].data = 0;\n", arr, k, arr, k, arr, k, arr, k);
            continue;
        }
        if (e->v[v].nhwc)
            return oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP, "custom op input '%s' is an "
                             "int8 NHWC activation: dequantize it first", val(e, v)->name);
        cbuf_printf(c, "        %s[%u].shape = s%u, %s[%u].rank = %d, %s[%u].dtype = %d, "
                    "%s[%u].data = (void *)", arr, k, i, arr, k, val(e, v)->shape.rank, arr, k,
                    (int)val(e, v)->dtype, arr, k);
        if (isin) {
            if (!ce_in_ptr(e, n, v))
                return e->d->status;
        } else
            ce_ptr(e, c, v);
        cbuf_printf(c, ";\n");
    }
    for (uint32_t i = 0; i < nd->nattr; i++) {   /* list attributes as named arrays first */
        const oq_attr *a = &nd->attr[i];
        if (a->type == OQ_ATTR_INTS && a->n) {
            cbuf_printf(c, "        static const int64_t a%u[] = {", i);
            ce_ilist(c, a->ints, (int)a->n);
            cbuf_printf(c, "};\n");
        } else if (a->type == OQ_ATTR_FLOATS && a->n) {
            cbuf_printf(c, "        static const float a%u[] = {", i);
            for (uint32_t k = 0; k < a->n; k++) {
                cbuf_printf(c, "%s", k ? ", " : "");
                cbuf_hexf(c, a->floats[k]);
            }
            cbuf_printf(c, "};\n");
        }
    }
    cbuf_printf(c, "        static const onnxq_attr at[%u] = {", nd->nattr ? nd->nattr : 1);
    uint32_t na = 0;
    for (uint32_t i = 0; i < nd->nattr; i++) {
        const oq_attr *a = &nd->attr[i];
        if (a->type != OQ_ATTR_INT && a->type != OQ_ATTR_FLOAT && a->type != OQ_ATTR_STRING &&
            a->type != OQ_ATTR_INTS && a->type != OQ_ATTR_FLOATS)
            continue;          /* tensors/graphs are not passed */
        cbuf_printf(c, "%s\n            {", na++ ? "," : "");
        ce_cstring(c, a->name);
        int t = a->type == OQ_ATTR_INT ? 1 : a->type == OQ_ATTR_FLOAT ? 2 : a->type == OQ_ATTR_STRING ? 3
              : a->type == OQ_ATTR_INTS ? 4 : 5;
        bool list = a->type == OQ_ATTR_INTS || a->type == OQ_ATTR_FLOATS;
        cbuf_printf(c, ", %d, %u, %lld, ", t, list ? a->n : 0,
                    (long long)(a->type == OQ_ATTR_INT ? a->i : 0));
        cbuf_hexf(c, a->type == OQ_ATTR_FLOAT ? a->f : 0.0f);
        cbuf_printf(c, ", ");
        if (a->type == OQ_ATTR_STRING && a->s)
            ce_cstring(c, a->s);
        else
            cbuf_printf(c, "0");
        if (a->type == OQ_ATTR_INTS && a->n)
            cbuf_printf(c, ", a%u, 0}", i);
        else if (a->type == OQ_ATTR_FLOATS && a->n)
            cbuf_printf(c, ", 0, a%u}", i);
        else
            cbuf_printf(c, ", 0, 0}");
    }
    if (!na)
        cbuf_printf(c, "{0, 0, 0, 0, 0, 0, 0, 0}");
    cbuf_printf(c, "};\n        if (%s_custom_%s(in, %u, out, %u, at, %u) != 0)\n"
                "            return 2;\n    }\n", e->nm, nd->op_type, nd->nin, nd->nout, na);
    return OQ_OK;
}

/* See c_emit_int.h. */
oq_status ce_emit_float(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    ce_comment(e, n);
    if (e->k[n] == K_CUSTOM)
        return emit_custom(e, n);
    e->need_fk = true;
    if (e->k[n] == K_MOVE)
        return emit_move(e, n);
    switch (nd->op) {
    case OQ_OP_Conv: return emit_conv_f(e, n);
    case OQ_OP_Gemm: return emit_gemm_f(e, n);
    case OQ_OP_MatMul: return emit_matmul_f(e, n);
    case OQ_OP_ConvTranspose: return emit_conv_f(e, n);
    case OQ_OP_Add: case OQ_OP_Sub: case OQ_OP_Mul: case OQ_OP_Div: case OQ_OP_Pow:
    case OQ_OP_PRelu: case OQ_OP_Min: case OQ_OP_Max:
        return ce_emit_binary(e, n);
    case OQ_OP_InstanceNormalization: return ce_emit_instancenorm(e, n);
    case OQ_OP_Resize: return ce_emit_resize(e, n);
    case OQ_OP_LSTM: return ce_emit_lstm(e, n);
    case OQ_OP_MaxPool: case OQ_OP_AveragePool: case OQ_OP_GlobalAveragePool:
    case OQ_OP_GlobalMaxPool:
        return emit_pool_f(e, n);
    case OQ_OP_Softmax: case OQ_OP_LogSoftmax: return emit_softmax_f(e, n);
    case OQ_OP_ReduceMean: case OQ_OP_ReduceSum: case OQ_OP_ReduceMax: return emit_reduce_f(e, n);
    default: return emit_unary_f(e, n);
    }
}
