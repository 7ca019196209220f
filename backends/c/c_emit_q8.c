/* C emitter, int8 kernels: classifies the nodes an int8 runtime kernel takes (QuantizeLinear,
 * DequantizeLinear, QLinearConv, QLinearMatMul, pooling, QLinearAdd, QLinearMul, QLinearConcat,
 * QLinearLookup, Relu and reshapes on quantized tensors), sizes their scratch and writes their calls. Weights are packed
 * here at compile time by the runtime's own packing functions. Calls only c_emit_util.c. */
#include "c_emit_int.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/q8/requant.h"

static const char *q8dt(oq_dtype t) { return t == OQ_DT_INT8 ? "OQ_Q8_S8" : "OQ_Q8_U8"; }

static oq_status fail(ectx *e, uint32_t node, oq_status st, const char *fmt, const char *a)
{
    return oq_errorf(e->d, e->g, node, st, fmt, a);
}

/* Per-tensor scalar qparams from constant scale/zp inputs (zp may be OQ_NONE = 0). */
static bool scalar_qp(const ectx *e, uint32_t s, uint32_t z, float *scale, int32_t *zp)
{
    if (!is_const(e, s) || numel(e, s) != 1 || (z != OQ_NONE && (!is_const(e, z) || numel(e, z) != 1)))
        return false;
    *scale = (float)ce_cnum(e, s, 0);
    *zp = z == OQ_NONE ? 0 : (int32_t)ce_cnum(e, z, 0);
    return true;
}

/* ------------------------------------------------------------------------------ classification */

/* Ops the emitted C runs as copies of any element type (ops.def column csup C_MOVE). */
static bool is_copy_op(oq_op op)
{
    return oq_op_info(op)->csup == OQ_C_MOVE;
}

/* Fills the oq_q8_conv_shape of a QLinearConv node (NHWC view of its NCHW shapes). */
static oq_status conv_shape(ectx *e, uint32_t n, oq_q8_conv_shape *s)
{
    const oq_node *nd = &e->g->nodes[n];
    oq_conv_geom geo;
    if (ir_conv_geom(e->g, n, &geo, e->d) != OQ_OK)
        return e->d->status;
    if (geo.nsp != 2)
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sonly 2-D convolution in the C backend", "");
    const oq_shape *x = &val(e, nd->in[0])->shape, *w = &val(e, nd->in[3])->shape;
    memset(s, 0, sizeof *s);
    s->batch = (size_t)x->dim[0], s->in_c = (size_t)x->dim[1];
    s->in_h = (size_t)x->dim[2], s->in_w = (size_t)x->dim[3];
    s->out_c = (size_t)w->dim[0], s->groups = (size_t)geo.group;
    s->kh = (size_t)geo.k[0], s->kw = (size_t)geo.k[1];
    s->stride_h = (size_t)geo.stride[0], s->stride_w = (size_t)geo.stride[1];
    s->dil_h = (size_t)geo.dil[0], s->dil_w = (size_t)geo.dil[1];
    s->pad_top = (size_t)geo.pad[0], s->pad_left = (size_t)geo.pad[1];
    s->pad_bottom = (size_t)geo.pad[2], s->pad_right = (size_t)geo.pad[3];
    if (!oq_q8_conv_init(s))
        return fail(e, n, OQ_ERR_SHAPE, "%sconvolution shape rejected by the int8 runtime", "");
    return OQ_OK;
}

/* See c_emit_int.h. */
oq_status ce_classify_q8(ectx *e, uint32_t n, bool *taken)
{
    const oq_node *nd = &e->g->nodes[n];
    const uint32_t *in = nd->in;
    uint32_t y = nd->nout ? nd->out[0] : OQ_NONE;
    vinfo *vy = y != OQ_NONE ? &e->v[y] : NULL;
    *taken = false;
    if (nd->op == OQ_OP_UNKNOWN)
        return OQ_OK;
    for (uint32_t i = 0; i < e->o->ncustom_ops; i++)
        if (strcmp(e->o->custom_ops[i], nd->op_type) == 0)
            return OQ_OK;
    *taken = true;
    switch (nd->op) {
    case OQ_OP_QuantizeLinear:
        if (is_const(e, in[0])) {
            e->k[n] = K_SKIP;
            return OQ_OK;
        }
        if (!scalar_qp(e, in[1], nd->nin > 2 ? in[2] : OQ_NONE, &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%sper-axis activation quantization is not "
                        "supported by the C backend", "");
        vy->quant = true;
        e->k[n] = K_QUANT;
        return OQ_OK;
    case OQ_OP_DequantizeLinear:
        if (is_const(e, in[0])) {
            e->k[n] = K_SKIP;  /* weights/bias: read by the consumer from the DQ's inputs */
            return OQ_OK;
        }
        e->k[n] = K_DEQUANT;
        return OQ_OK;
    case OQ_OP_QLinearConv: {
        if (!scalar_qp(e, in[6], in[7], &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        vy->quant = true;
        if (!is_const(e, in[3]) || val(e, in[3])->shape.rank != 4)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sthe C backend needs constant 2-D conv weights", "");
        int64_t group = ir_attr_i(nd, OQ_A_Conv_group);
        const oq_shape *ws = &val(e, in[3])->shape, *xs = &val(e, in[0])->shape;
        e->k[n] = (group > 1 && group == xs->dim[1] && ws->dim[0] == group && ws->dim[1] == 1)
                      ? K_QDWCONV : K_QCONV;
        return conv_shape(e, n, &e->cs[n]);
    }
    case OQ_OP_QLinearMatMul:
        if (!is_const(e, in[3]))
            break;             /* two activations: c_emit_tensor.c */
        if (!scalar_qp(e, in[6], in[7], &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        vy->quant = true;
        if (!is_const(e, in[3]) || val(e, in[3])->shape.rank != 2)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sthe C backend needs a constant 2-D B", "");
        e->k[n] = K_QMATMUL;
        return OQ_OK;
    case OQ_OP_MaxPool:
    case OQ_OP_AveragePool:
    case OQ_OP_GlobalAveragePool:
    case OQ_OP_GlobalMaxPool:
        if (!e->v[in[0]].quant || val(e, in[0])->shape.rank != 4)
            break;
        vy->quant = true;
        if (nd->op == OQ_OP_MaxPool || nd->op == OQ_OP_GlobalMaxPool) {
            vy->qs = e->v[in[0]].qs, vy->qz = e->v[in[0]].qz;
            e->k[n] = K_MAXPOOL;
        } else {
            const oq_value *yv = val(e, y);
            if (yv->q.n == 1)
                vy->qs = yv->q.scale[0], vy->qz = yv->q.zero_point[0];
            else
                vy->qs = e->v[in[0]].qs, vy->qz = e->v[in[0]].qz;
            e->k[n] = nd->op == OQ_OP_AveragePool ? K_AVGPOOL : K_GAP;
        }
        if (nd->nout > 1 && nd->out[1] != OQ_NONE)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sMaxPool indices are not supported", "");
        return OQ_OK;
    case OQ_OP_QLinearAdd:
        if (!scalar_qp(e, in[6], nd->nin > 7 ? in[7] : OQ_NONE, &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        if (!e->v[in[0]].quant || !e->v[in[3]].quant)
            break;
        vy->quant = true;
        e->k[n] = K_QADD;
        return OQ_OK;
    case OQ_OP_QLinearMul:
        if (!scalar_qp(e, in[6], nd->nin > 7 ? in[7] : OQ_NONE, &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        if (!e->v[in[0]].quant || !e->v[in[3]].quant)
            break;
        vy->quant = true;
        e->k[n] = K_QMUL;
        return OQ_OK;
    case OQ_OP_QLinearLookup:
        if (!scalar_qp(e, in[2], in[3], &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        if (!is_const(e, in[1]) || numel(e, in[1]) != 256)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sthe table must be a constant of 256 "
                        "entries", "");
        vy->quant = true;
        e->k[n] = K_LUT;
        return OQ_OK;
    case OQ_OP_QLinearConcat:
        if (!scalar_qp(e, in[0], in[1], &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        for (uint32_t i = 2; i < nd->nin; i += 3)
            if (!e->v[in[i]].quant)
                return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sQLinearConcat input is not quantized", "");
        vy->quant = true;
        e->k[n] = K_QCONCAT;
        return OQ_OK;
    case OQ_OP_QLinearGlobalAveragePool:
        if (!scalar_qp(e, in[3], nd->nin > 4 ? in[4] : OQ_NONE, &vy->qs, &vy->qz))
            return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%soutput scale must be a constant scalar", "");
        if (!e->v[in[0]].quant || val(e, in[0])->shape.rank != 4 ||
            ir_attr_i(nd, OQ_A_QLinearGlobalAveragePool_channels_last) != 0)
            break;
        vy->quant = true;
        e->k[n] = K_GAP;
        return OQ_OK;
    case OQ_OP_Resize:         /* nearest moves int8 values (lower_int keeps it on them) */
        if (!e->v[in[0]].quant || strcmp(ir_attr_s(nd, OQ_A_Resize_mode), "nearest") != 0)
            break;
        vy->quant = true, vy->qs = e->v[in[0]].qs, vy->qz = e->v[in[0]].qz;
        e->k[n] = K_RESIZE_Q;
        return OQ_OK;
    case OQ_OP_Relu:
        if (e->v[in[0]].quant) {
            vy->quant = true, vy->qs = e->v[in[0]].qs, vy->qz = e->v[in[0]].qz;
            e->k[n] = K_RELU_Q;
            return OQ_OK;
        }
        break;
    default:
        if (is_copy_op(nd->op)) {
            if (e->v[in[0]].quant)
                vy->quant = true, vy->qs = e->v[in[0]].qs, vy->qz = e->v[in[0]].qz;
            e->k[n] = K_COPY;
            return OQ_OK;
        }
        break;
    }
    *taken = false;
    return OQ_OK;
}

/* See c_emit_int.h. */
size_t ce_q8_scratch(ectx *e, uint32_t n)
{
    const oq_q8_conv_shape *cs = &e->cs[n];
    const oq_node *nd = &e->g->nodes[n];
    switch (e->k[n]) {
    case K_QUANT:
    case K_DEQUANT:
        return val(e, nd->out[0])->shape.rank == 4 ? (size_t)numel(e, nd->out[0]) * 4 : 0;
    case K_QCONV: return oq_q8_conv_workspace_size(cs);
    case K_RESIZE_Q: return ce_resize_scratch(e, n);
    case K_QDWCONV: return oq_q8_dw_workspace_size(cs);
    case K_COPY: {
        bool a = e->v[nd->in[0]].nhwc, b = e->v[nd->out[0]].nhwc;
        return a && b ? (size_t)numel(e, nd->out[0]) * oq_dtype_size(val(e, nd->out[0])->dtype) : 0;
    }
    default: return 0;
    }
}


/* ------------------------------------------------------------------------------ code */

/* Per-channel requantization scales s_x * s_w[c] / s_y (oq_q8_requant_scale, as the interpreter's
 * QLinearConv / QLinearMatMul). */
static uint32_t emit_rq_scales(ectx *e, float sx, uint32_t ws, size_t nch, float sy)
{
    float *sc = malloc(nch * sizeof *sc);
    if (!sc)
        return OQ_NONE;
    int64_t nw = numel(e, ws);
    for (size_t c = 0; c < nch; c++) {
        float swc = (float)ce_cnum(e, ws, nw == 1 ? 0 : (int64_t)c);
        sc[c] = oq_q8_requant_scale(sx, swc, sy);
    }
    uint32_t id = ce_emit_floats(e, sc, nch);
    free(sc);
    return id;
}

static void emit_rq(ectx *e, uint32_t sid, bool per_channel, int32_t zp, oq_dtype dt)
{
    int32_t lo = dt == OQ_DT_INT8 ? -128 : 0, hi = dt == OQ_DT_INT8 ? 127 : 255;
    cbuf_printf(&e->c,
                "        oq_q8_requant rq = {OQ_Q8_RQ_FP32, %s, %s_c%u, 0, 0, %d, %d, %d, %d};\n",
                q8dt(dt), e->nm, sid, per_channel ? 1 : 0, zp, lo, hi);
}

/* Reads int8 weights and the int32 bias of a quantized conv/matmul; checks zero points. */
static oq_status check_weights(ectx *e, uint32_t n, uint32_t w, uint32_t wzp)
{
    if (val(e, w)->dtype != OQ_DT_INT8)
        return fail(e, n, OQ_ERR_DTYPE, "%sweights must be int8 (symmetric)", "");
    if (wzp != OQ_NONE) {
        for (int64_t i = 0; i < numel(e, wzp); i++)
            if (ce_cnum(e, wzp, i) != 0)
                return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR,
                            "%sweight zero points must be 0 (symmetric int8 weights)", "");
    }
    return OQ_OK;
}

static oq_status emit_conv(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const uint32_t *in = nd->in;
    uint32_t y = nd->out[0];
    const oq_q8_conv_shape s = e->cs[n];
    if (check_weights(e, n, in[3], in[5]))
        return e->d->status;
    float sx;
    int32_t zx;
    if (!scalar_qp(e, in[1], in[2], &sx, &zx) || val(e, in[0])->dtype != OQ_DT_UINT8)
        return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%sinput must be uint8 per-tensor", "");
    const int32_t *bias = nd->nin > 8 && in[8] != OQ_NONE ? val(e, in[8])->data : NULL;
    const int8_t *w = val(e, in[3])->data;
    uint32_t sid = emit_rq_scales(e, sx, in[4], s.out_c, e->v[y].qs);
    if (sid == OQ_NONE)
        return oq_errorf(e->d, e->g, n, OQ_ERR_NOMEM, "out of memory");
    uint32_t wid[2];
    bool dw = e->k[n] == K_QDWCONV;
    int nlay = dw ? 1 : e->nlay;
    for (int l = 0; l < nlay; l++) {
        size_t sz = dw ? oq_q8_dw_packed_size(s.in_c, s.kh, s.kw)
                       : oq_q8_conv_packed_size(e->lay[l], &s);
        void *p = calloc(1, sz ? sz : 1);
        if (!p)
            return oq_errorf(e->d, e->g, n, OQ_ERR_NOMEM, "out of memory packing weights");
        if (dw)
            oq_q8_pack_dw(s.in_c, s.kh, s.kw, w, bias, zx, p);
        else
            oq_q8_pack_conv(e->lay[l], &s, w, bias, zx, p);
        wid[l] = ce_emit_bytes(e, p, sz);
        free(p);
    }
    ce_comment(e, n);
    cbuf_printf(&e->c, "    {\n        static const oq_q8_conv_shape s = {%zu, %zu, %zu, %zu, %zu, "
                "%zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu};\n",
                s.batch, s.in_h, s.in_w, s.in_c, s.out_c, s.groups, s.kh, s.kw, s.stride_h,
                s.stride_w, s.dil_h, s.dil_w, s.pad_top, s.pad_left, s.pad_bottom, s.pad_right,
                s.out_h, s.out_w);
    emit_rq(e, sid, true, e->v[y].qz, val(e, y)->dtype);
    if (dw) {
        cbuf_printf(&e->c, "        oq_q8_dwconv((const oq_q8_dw_kernel *)0, &s, ");
        ce_ptr(e, &e->c, in[0]);
        cbuf_printf(&e->c, ", %d, %s_c%u, ", zx, e->nm, wid[0]);
    } else {
        cbuf_printf(&e->c, "        oq_q8_conv(&s, ");
        ce_ptr(e, &e->c, in[0]);
        if (e->nlay == 2)
            cbuf_printf(&e->c, ", %d, lay, lay == %s ? %s_c%u : %s_c%u, ", zx,
                        e->lay[0] == OQ_Q8_LAYOUT_N16K4 ? "OQ_Q8_LAYOUT_N16K4" : "OQ_Q8_LAYOUT_N16K4W16",
                        e->nm, wid[0], e->nm, wid[1]);
        else
            cbuf_printf(&e->c, ", %d, %s, %s_c%u, ", zx,
                        e->lay[0] == OQ_Q8_LAYOUT_N16K4 ? "OQ_Q8_LAYOUT_N16K4" : "OQ_Q8_LAYOUT_N16K4W16",
                        e->nm, wid[0]);
    }
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ", &rq, ");
    ce_scratch_ptr(e, &e->c, n);
    cbuf_printf(&e->c, ");\n    }\n");
    e->rep.macs += (double)(s.batch * s.out_h * s.out_w * s.out_c) * (double)(s.kh * s.kw) *
                   (double)(s.in_c / s.groups);
    return OQ_OK;
}

static oq_status emit_matmul(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const uint32_t *in = nd->in;
    uint32_t y = nd->out[0];
    if (check_weights(e, n, in[3], in[5]))
        return e->d->status;
    float sx;
    int32_t zx;
    if (!scalar_qp(e, in[1], in[2], &sx, &zx) || val(e, in[0])->dtype != OQ_DT_UINT8)
        return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%sinput A must be uint8 per-tensor", "");
    const oq_shape *as = &val(e, in[0])->shape, *bs = &val(e, in[3])->shape;
    size_t K = (size_t)bs->dim[0], N = (size_t)bs->dim[1];
    size_t M = (size_t)(numel(e, in[0]) / (int64_t)K);
    if (as->dim[as->rank - 1] != (int64_t)K)
        return fail(e, n, OQ_ERR_SHAPE, "%sA and B disagree on K", "");
    uint32_t sid = emit_rq_scales(e, sx, in[4], N, e->v[y].qs);
    /* optional int32 bias: QGemm-style 9th input (the lowering may attach one) */
    const int32_t *b32 = nd->nin > 8 && in[8] != OQ_NONE ? val(e, in[8])->data : NULL;
    uint32_t wid[2];
    for (int l = 0; l < e->nlay; l++) {
        size_t sz = oq_q8_packed_size(e->lay[l], K, N);
        void *p = calloc(1, sz);
        if (!p)
            return oq_errorf(e->d, e->g, n, OQ_ERR_NOMEM, "out of memory packing weights");
        oq_q8_pack_gemm(e->lay[l], K, N, val(e, in[3])->data, N, 1, b32, zx, p);
        wid[l] = ce_emit_bytes(e, p, sz);
        free(p);
    }
    ce_comment(e, n);
    cbuf_printf(&e->c, "    {\n");
    emit_rq(e, sid, true, e->v[y].qz, val(e, y)->dtype);
    const char *l0 = e->lay[0] == OQ_Q8_LAYOUT_N16K4 ? "OQ_Q8_LAYOUT_N16K4" : "OQ_Q8_LAYOUT_N16K4W16";
    if (e->nlay == 2)
        cbuf_printf(&e->c, "        oq_q8_gemm(lay, %zu, %zu, %zu, ", M, N, K);
    else
        cbuf_printf(&e->c, "        oq_q8_gemm(%s, %zu, %zu, %zu, ", l0, M, N, K);
    ce_ptr(e, &e->c, in[0]);
    if (e->nlay == 2)
        cbuf_printf(&e->c, ", %zu, lay == %s ? %s_c%u : %s_c%u, ", K, l0, e->nm, wid[0], e->nm,
                    wid[1]);
    else
        cbuf_printf(&e->c, ", %zu, %s_c%u, ", K, e->nm, wid[0]);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ", %zu, &rq);\n    }\n", N);
    e->rep.macs += (double)M * (double)N * (double)K;
    return OQ_OK;
}

/* NHWC dims of a rank-4 value: n, c, hw. */
static void nchw(const ectx *e, uint32_t v, size_t *n, size_t *c, size_t *hw)
{
    const oq_shape *s = &val(e, v)->shape;
    *n = (size_t)s->dim[0], *c = (size_t)s->dim[1], *hw = (size_t)(s->dim[2] * s->dim[3]);
}

static oq_status emit_quant(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    const vinfo *vy = &e->v[y];
    int64_t cnt = numel(e, y);
    ce_comment(e, n);
    bool from_input = e->v[x].store == ST_IN;
    if (from_input) {
        cbuf_printf(&e->c, "    if (qin) {\n");
        if (vy->nhwc) {
            size_t a, b, c;
            nchw(e, y, &a, &b, &c);
            cbuf_printf(&e->c, "        oq_q8_nchw_to_nhwc(%zu, %zu, %zu, 1, qin[%d], ", a, b, c,
                        e->v[x].io);
        } else
            cbuf_printf(&e->c, "        memcpy(");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, vy->nhwc ? ");\n" : ", qin[%d], %lld);\n", e->v[x].io, (long long)cnt);
        cbuf_printf(&e->c, "    } else {\n");
    } else
        cbuf_printf(&e->c, "    {\n");
    cbuf_printf(&e->c, "        oq_q8_quantize(%lld, ", (long long)cnt);
    ce_ptr(e, &e->c, x);
    cbuf_printf(&e->c, ", ");
    cbuf_hexf(&e->c, vy->qs);
    cbuf_printf(&e->c, ", %d, %s, ", vy->qz, q8dt(val(e, y)->dtype));
    if (vy->nhwc) {
        size_t a, b, c;
        nchw(e, y, &a, &b, &c);
        ce_scratch_ptr(e, &e->c, n);
        cbuf_printf(&e->c, ");\n        oq_q8_nchw_to_nhwc(%zu, %zu, %zu, 1, ", a, b, c);
        ce_scratch_ptr(e, &e->c, n);
        cbuf_printf(&e->c, ", ");
    }
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ");\n    }\n");
    return OQ_OK;
}

static oq_status emit_dequant(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    float s;
    int32_t z;
    if (!scalar_qp(e, nd->in[1], nd->nin > 2 ? nd->in[2] : OQ_NONE, &s, &z))
        return fail(e, n, OQ_ERR_UNSUPPORTED_ATTR, "%sper-axis activation dequantization is not "
                    "supported by the C backend", "");
    int64_t cnt = numel(e, y);
    size_t a, b, c;
    ce_comment(e, n);
    bool to_output = e->v[y].store == ST_OUT;
    if (to_output) {
        cbuf_printf(&e->c, "    if (qout) {\n");
        if (e->v[x].nhwc) {
            nchw(e, x, &a, &b, &c);
            cbuf_printf(&e->c, "        oq_q8_nhwc_to_nchw(%zu, %zu, %zu, 1, ", a, b, c);
            ce_ptr(e, &e->c, x);
            cbuf_printf(&e->c, ", qout[%d]);\n", e->v[y].io);
        } else {
            cbuf_printf(&e->c, "        memcpy(qout[%d], ", e->v[y].io);
            ce_ptr(e, &e->c, x);
            cbuf_printf(&e->c, ", %lld);\n", (long long)cnt);
        }
        cbuf_printf(&e->c, "    } else {\n");
    } else
        cbuf_printf(&e->c, "    {\n");
    if (e->v[x].nhwc) {
        nchw(e, x, &a, &b, &c);
        cbuf_printf(&e->c, "        oq_q8_nhwc_to_nchw(%zu, %zu, %zu, 1, ", a, b, c);
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        ce_scratch_ptr(e, &e->c, n);
        cbuf_printf(&e->c, ");\n        oq_q8_dequantize(%lld, ", (long long)cnt);
        ce_scratch_ptr(e, &e->c, n);
    } else {
        cbuf_printf(&e->c, "        oq_q8_dequantize(%lld, ", (long long)cnt);
        ce_ptr(e, &e->c, x);
    }
    cbuf_printf(&e->c, ", %s, ", q8dt(val(e, x)->dtype));
    cbuf_hexf(&e->c, s);
    cbuf_printf(&e->c, ", %d, ", z);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ");\n    }\n");
    return OQ_OK;
}

static oq_status emit_pool(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    const oq_shape *xs = &val(e, x)->shape;
    const char *dt = q8dt(val(e, x)->dtype);
    ce_comment(e, n);
    if (nd->op == OQ_OP_GlobalAveragePool || nd->op == OQ_OP_GlobalMaxPool ||
        nd->op == OQ_OP_QLinearGlobalAveragePool) {
        if (nd->op == OQ_OP_GlobalMaxPool)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sGlobalMaxPool on int8 is not supported", "");
        cbuf_printf(&e->c, "    oq_q8_global_avgpool(%lld, %lld, %lld, ", (long long)xs->dim[0],
                    (long long)(xs->dim[2] * xs->dim[3]), (long long)xs->dim[1]);
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        cbuf_hexf(&e->c, e->v[x].qs);
        cbuf_printf(&e->c, ", %d, ", e->v[x].qz);
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ", ");
        cbuf_hexf(&e->c, e->v[y].qs);
        cbuf_printf(&e->c, ", %d, %s);\n", e->v[y].qz, dt);
        return OQ_OK;
    }
    oq_conv_geom geo;
    if (ir_conv_geom(e->g, n, &geo, e->d) != OQ_OK)
        return e->d->status;
    oq_q8_pool_shape s;
    memset(&s, 0, sizeof s);
    s.batch = (size_t)xs->dim[0], s.c = (size_t)xs->dim[1];
    s.in_h = (size_t)xs->dim[2], s.in_w = (size_t)xs->dim[3];
    s.kh = (size_t)geo.k[0], s.kw = (size_t)geo.k[1];
    s.stride_h = (size_t)geo.stride[0], s.stride_w = (size_t)geo.stride[1];
    s.dil_h = (size_t)geo.dil[0], s.dil_w = (size_t)geo.dil[1];
    s.pad_top = (size_t)geo.pad[0], s.pad_left = (size_t)geo.pad[1];
    s.pad_bottom = (size_t)geo.pad[2], s.pad_right = (size_t)geo.pad[3];
    s.ceil_mode = geo.ceil;
    s.count_include_pad = ir_attr_i(nd, OQ_A_AveragePool_count_include_pad) != 0;
    if (!oq_q8_pool_init(&s) || (int64_t)s.out_h != val(e, y)->shape.dim[2] ||
        (int64_t)s.out_w != val(e, y)->shape.dim[3])
        return fail(e, n, OQ_ERR_SHAPE, "%spool shape rejected by the int8 runtime", "");
    cbuf_printf(&e->c, "    {\n        static const oq_q8_pool_shape s = {%zu, %zu, %zu, %zu, "
                "%zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %zu, %d, %d, %zu, %zu};\n",
                s.batch, s.in_h, s.in_w, s.c, s.kh, s.kw, s.stride_h, s.stride_w, s.dil_h,
                s.dil_w, s.pad_top, s.pad_left, s.pad_bottom, s.pad_right, s.ceil_mode,
                s.count_include_pad, s.out_h, s.out_w);
    if (e->k[n] == K_MAXPOOL) {
        cbuf_printf(&e->c, "        oq_q8_maxpool(&s, ");
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ", %s);\n    }\n", dt);
    } else {
        cbuf_printf(&e->c, "        oq_q8_avgpool(&s, ");
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        cbuf_hexf(&e->c, e->v[x].qs);
        cbuf_printf(&e->c, ", %d, ", e->v[x].qz);
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ", ");
        cbuf_hexf(&e->c, e->v[y].qs);
        cbuf_printf(&e->c, ", %d, %s);\n    }\n", e->v[y].qz, dt);
    }
    return OQ_OK;
}

static oq_status emit_copy(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    size_t es = oq_dtype_size(val(e, y)->dtype);
    int64_t cnt = numel(e, y);
    size_t a, b, c;
    ce_comment(e, n);
    bool xn = e->v[x].nhwc, yn = e->v[y].nhwc;
    if (!xn && !yn) {
        cbuf_printf(&e->c, "    memcpy(");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ", ");
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", %lld);\n", (long long)cnt * (long long)es);
    } else if (xn && !yn) {
        nchw(e, x, &a, &b, &c);
        cbuf_printf(&e->c, "    oq_q8_nhwc_to_nchw(%zu, %zu, %zu, %zu, ", a, b, c, es);
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ");\n");
    } else if (!xn && yn) {
        nchw(e, y, &a, &b, &c);
        cbuf_printf(&e->c, "    oq_q8_nchw_to_nhwc(%zu, %zu, %zu, %zu, ", a, b, c, es);
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ");\n");
    } else {
        nchw(e, x, &a, &b, &c);
        cbuf_printf(&e->c, "    oq_q8_nhwc_to_nchw(%zu, %zu, %zu, %zu, ", a, b, c, es);
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        ce_scratch_ptr(e, &e->c, n);
        nchw(e, y, &a, &b, &c);
        cbuf_printf(&e->c, ");\n    oq_q8_nchw_to_nhwc(%zu, %zu, %zu, %zu, ", a, b, c, es);
        ce_scratch_ptr(e, &e->c, n);
        cbuf_printf(&e->c, ", ");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ");\n");
    }
    return OQ_OK;
}

static oq_status emit_relu(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    const char *t = ce_ctype(val(e, x)->dtype);
    ce_comment(e, n);
    cbuf_printf(&e->c, "    {\n        const %s *x = ", t);
    ce_ptr(e, &e->c, x);
    cbuf_printf(&e->c, ";\n        %s *y = ", t);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ";\n        for (size_t i = 0; i < %lld; i++)\n"
                "            y[i] = x[i] > %d ? x[i] : %d;\n    }\n", (long long)numel(e, y),
                e->v[x].qz, e->v[x].qz);
    return OQ_OK;
}

static bool shape_eq(const oq_shape *a, const oq_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int32_t i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return false;
    return true;
}

/* QLinearConcat: oq_q8_concat over [outer][inner_i]; in NHWC the ONNX channel axis is the
 * innermost one (outer = N*H*W). Every input must share the output's layout. */
static oq_status emit_qconcat(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t y = nd->out[0], cnt = (nd->nin - 2) / 3;
    const oq_shape *ys = &val(e, y)->shape;
    int64_t axis = ir_attr_i(nd, OQ_A_QLinearConcat_axis);
    if (axis < 0)
        axis += ys->rank;
    bool nhwc = e->v[y].nhwc;
    for (uint32_t i = 0; i < cnt; i++)
        if (e->v[nd->in[2 + 3 * i]].nhwc != nhwc || val(e, nd->in[2 + 3 * i])->dtype != val(e, y)->dtype)
            return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sQLinearConcat inputs differ in layout or dtype", "");
    if (nhwc && axis != 1)
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sQLinearConcat of NHWC tensors only along channels", "");
    int64_t outer = 1;
    if (nhwc)
        outer = ys->dim[0] * ys->dim[2] * ys->dim[3];
    else
        for (int64_t k = 0; k < axis; k++)
            outer *= ys->dim[k];
    if (outer <= 0)
        return fail(e, n, OQ_ERR_SHAPE, "%sempty QLinearConcat", "");
    ce_comment(e, n);
    cbuf_printf(&e->c, "    {\n        const void *x[%u];\n", cnt);
    for (uint32_t i = 0; i < cnt; i++) {
        cbuf_printf(&e->c, "        x[%u] = ", i);
        ce_ptr(e, &e->c, nd->in[2 + 3 * i]);
        cbuf_printf(&e->c, ";\n");
    }
    cbuf_printf(&e->c, "        static const size_t inner[%u] = {", cnt);
    for (uint32_t i = 0; i < cnt; i++)
        cbuf_printf(&e->c, "%s%lld", i ? ", " : "", (long long)(numel(e, nd->in[2 + 3 * i]) / outer));
    cbuf_printf(&e->c, "};\n        static const float sc[%u] = {", cnt);
    for (uint32_t i = 0; i < cnt; i++) {
        cbuf_printf(&e->c, "%s", i ? ", " : "");
        cbuf_hexf(&e->c, e->v[nd->in[2 + 3 * i]].qs);
    }
    cbuf_printf(&e->c, "};\n        static const int32_t zp[%u] = {", cnt);
    for (uint32_t i = 0; i < cnt; i++)
        cbuf_printf(&e->c, "%s%d", i ? ", " : "", e->v[nd->in[2 + 3 * i]].qz);
    cbuf_printf(&e->c, "};\n        oq_q8_concat(%lld, %u, x, inner, sc, zp, ", (long long)outer, cnt);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ", ");
    cbuf_hexf(&e->c, e->v[y].qs);
    cbuf_printf(&e->c, ", %d, %s);\n    }\n", e->v[y].qz, q8dt(val(e, y)->dtype));
    return OQ_OK;
}

/* The opening of a QLinearAdd / QLinearMul block: oq_q8_<op>_init of p from the qparams of
 * a, b and y. */
static void binary_init(ectx *e, const char *op, uint32_t a, uint32_t b, uint32_t y)
{
    cbuf_printf(&e->c, "    {\n        oq_q8_binary p;\n        oq_q8_%s_init(&p, %s, ", op,
                q8dt(val(e, y)->dtype));
    cbuf_hexf(&e->c, e->v[a].qs);
    cbuf_printf(&e->c, ", %d, ", e->v[a].qz);
    cbuf_hexf(&e->c, e->v[b].qs);
    cbuf_printf(&e->c, ", %d, ", e->v[b].qz);
    cbuf_hexf(&e->c, e->v[y].qs);
    cbuf_printf(&e->c, ", %d);\n", e->v[y].qz);
}

/* oq_q8_<op> over the ny elements of y, a scalar operand read with stride 0; closes the block. */
static void binary_call(ectx *e, const char *op, uint32_t a, uint32_t b, uint32_t y)
{
    int64_t ny = numel(e, y), na = numel(e, a), nb = numel(e, b);
    cbuf_printf(&e->c, "        oq_q8_%s(%lld, ", op, (long long)ny);
    ce_ptr(e, &e->c, a);
    cbuf_printf(&e->c, ", %d, ", na == 1 && ny != 1 ? 0 : 1);
    ce_ptr(e, &e->c, b);
    cbuf_printf(&e->c, ", %d, ", nb == 1 && ny != 1 ? 0 : 1);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ", &p);\n    }\n");
}

/* QLinearAdd: oq_q8_add over equal shapes in one layout, or with a scalar operand. */
static oq_status emit_qadd(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t a = nd->in[0], b = nd->in[3], y = nd->out[0];
    int64_t ny = numel(e, y), na = numel(e, a), nb = numel(e, b);
    bool same = shape_eq(&val(e, a)->shape, &val(e, y)->shape) &&
                shape_eq(&val(e, b)->shape, &val(e, y)->shape);
    bool lay = e->v[a].nhwc == e->v[y].nhwc && e->v[b].nhwc == e->v[y].nhwc;
    if (val(e, a)->dtype != val(e, y)->dtype || val(e, b)->dtype != val(e, y)->dtype)
        return fail(e, n, OQ_ERR_DTYPE, "%sQLinearAdd operands must share the output dtype", "");
    if (!(same && lay) && !(na == ny && nb == 1 && e->v[a].nhwc == e->v[y].nhwc) &&
        !(nb == ny && na == 1 && e->v[b].nhwc == e->v[y].nhwc))
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sQLinearAdd broadcasting other than a scalar "
                    "operand is not in the C backend yet", "");
    ce_comment(e, n);
    binary_init(e, "add", a, b, y);
    binary_call(e, "add", a, b, y);
    return OQ_OK;
}

/* QLinearMul: oq_q8_mul over equal shapes in one layout, a scalar operand, or [N, C, H, W] x
 * [N, C, 1, 1] (the gate of a squeeze-excite block; per pixel in NHWC, per plane in NCHW). */
static oq_status emit_qmul(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t a = nd->in[0], b = nd->in[3], y = nd->out[0];
    int64_t ny = numel(e, y), na = numel(e, a), nb = numel(e, b);
    const oq_shape *ys = &val(e, y)->shape;
    if (val(e, a)->dtype != val(e, y)->dtype || val(e, b)->dtype != val(e, y)->dtype)
        return fail(e, n, OQ_ERR_DTYPE, "%sQLinearMul operands must share the output dtype", "");
    bool same = shape_eq(&val(e, a)->shape, ys) && shape_eq(&val(e, b)->shape, ys) &&
                e->v[a].nhwc == e->v[y].nhwc && e->v[b].nhwc == e->v[y].nhwc;
    bool ascal = na == 1 && nb == ny && e->v[b].nhwc == e->v[y].nhwc;
    bool bscal = nb == 1 && na == ny && e->v[a].nhwc == e->v[y].nhwc;
    /* the gate: [N, C, 1, 1] against [N, C, H, W] (its NHWC and NCHW bytes are the same) */
    int gate = 0;
    for (int k = 0; k < 2 && ys->rank == 4 && !same; k++) {
        uint32_t big = k ? b : a, small = k ? a : b;
        const oq_shape *gs = &val(e, small)->shape;
        if (shape_eq(&val(e, big)->shape, ys) && e->v[big].nhwc == e->v[y].nhwc &&
            gs->rank == 4 && gs->dim[0] == ys->dim[0] && gs->dim[1] == ys->dim[1] &&
            gs->dim[2] == 1 && gs->dim[3] == 1)
            gate = k ? 2 : 1;  /* 1: b is the gate, 2: a is */
    }
    if (!same && !ascal && !bscal && !gate)
        return fail(e, n, OQ_ERR_UNSUPPORTED_OP, "%sQLinearMul broadcasting other than a scalar "
                    "or a per-channel [N, C, 1, 1] operand is not in the C backend yet", "");
    ce_comment(e, n);
    binary_init(e, "mul", a, b, y);
    const char *t = ce_ctype(val(e, y)->dtype);
    if (!gate) {
        binary_call(e, "mul", a, b, y);
        return OQ_OK;
    }
    long long N = ys->dim[0], C = ys->dim[1], HW = ys->dim[2] * ys->dim[3];
    bool nhwc = e->v[y].nhwc;
    cbuf_printf(&e->c, "        const %s *a = ", t);
    ce_ptr(e, &e->c, a);
    cbuf_printf(&e->c, ", *b = ");
    ce_ptr(e, &e->c, b);
    cbuf_printf(&e->c, ";\n        %s *y = ", t);
    ce_ptr(e, &e->c, y);
    /* rows of the full operand against the gate: NHWC rows of C channels, NCHW planes of HW */
    long long rows = nhwc ? N * HW : N * C, len = nhwc ? C : HW;
    char off[64] = "r";
    if (nhwc)
        snprintf(off, sizeof off, "(r / %lld) * %lld", HW, C);
    cbuf_printf(&e->c, ";\n        for (size_t r = 0; r < %lld; r++)\n", rows);
    if (gate == 1)
        cbuf_printf(&e->c, "            oq_q8_mul(%lld, a + r * %lld, 1, b + %s, %d, y + r * %lld, "
                    "&p);\n    }\n", len, len, off, nhwc ? 1 : 0, len);
    else
        cbuf_printf(&e->c, "            oq_q8_mul(%lld, a + %s, %d, b + r * %lld, 1, y + r * %lld, "
                    "&p);\n    }\n", len, off, nhwc ? 1 : 0, len, len);
    return OQ_OK;
}

/* QLinearLookup: the table as a constant array, oq_q8_lut_apply; a layout change between input
 * and output (a graph boundary) is a transpose first, then the table in place. */
static oq_status emit_lut(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    uint32_t tid = ce_emit_bytes(e, val(e, nd->in[1])->data, 256);
    size_t a, b, c;
    ce_comment(e, n);
    cbuf_printf(&e->c, "    {\n");
    if (e->v[x].nhwc == e->v[y].nhwc) {
        cbuf_printf(&e->c, "        oq_q8_lut_apply(%lld, ", (long long)numel(e, y));
        ce_ptr(e, &e->c, x);
    } else {
        nchw(e, e->v[x].nhwc ? x : y, &a, &b, &c);
        cbuf_printf(&e->c, "        oq_q8_%s(%zu, %zu, %zu, 1, ",
                    e->v[x].nhwc ? "nhwc_to_nchw" : "nchw_to_nhwc", a, b, c);
        ce_ptr(e, &e->c, x);
        cbuf_printf(&e->c, ", ");
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ");\n        oq_q8_lut_apply(%lld, ", (long long)numel(e, y));
        ce_ptr(e, &e->c, y);
    }
    cbuf_printf(&e->c, ", %s_c%u, ", e->nm, tid);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ");\n    }\n");
    return OQ_OK;
}

/* See c_emit_int.h. */
oq_status ce_emit_q8(ectx *e, uint32_t n)
{
    switch (e->k[n]) {
    case K_QUANT: return emit_quant(e, n);
    case K_DEQUANT: return emit_dequant(e, n);
    case K_QCONV:
    case K_QDWCONV: return emit_conv(e, n);
    case K_QMATMUL: return emit_matmul(e, n);
    case K_MAXPOOL:
    case K_AVGPOOL:
    case K_GAP: return emit_pool(e, n);
    case K_COPY: return emit_copy(e, n);
    case K_RELU_Q: return emit_relu(e, n);
    case K_QADD: return emit_qadd(e, n);
    case K_QCONCAT: return emit_qconcat(e, n);
    case K_QMUL: return emit_qmul(e, n);
    case K_LUT: return emit_lut(e, n);
    case K_RESIZE_Q: ce_comment(e, n); return ce_emit_resize(e, n);
    default: break;
    }
    return oq_errorf(e->d, e->g, n, OQ_ERR_INTERNAL, "node kind %d has no int8 emitter", (int)e->k[n]);
}
