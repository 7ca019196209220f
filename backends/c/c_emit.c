/* C emitter: a lowered int8 graph -> NAME.h, NAME.c (straight-line kernel calls with every
 * shape, offset and multiplier as literals), NAME_weights.c (weights packed at compile time by
 * the same runtime functions the interpreter uses), NAME_main.c, build files and a copy of the
 * runtime. Conventions of the generated code: rank-4 quantized activations are NHWC inside,
 * everything else keeps ONNX (NCHW, C order) layout; the user keeps the model's NCHW interface.
 * Three phases: classify nodes and size buffers, plan the workspace (memplan.c), write text. */
#include "c_emit_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/c/main_template.h"
#include "backends/c/rt_files.h"
#include "backends/onnx/atomic_file.h"
#include "runtime/q8/requant.h"

/* ------------------------------------------------------------------------------ helpers */

/* Element i of a numeric constant as double. */
double ce_cnum(const ectx *e, uint32_t v, int64_t i)
{
    const oq_value *x = val(e, v);
    switch (x->dtype) {
    case OQ_DT_FLOAT: return ((const float *)x->data)[i];
    case OQ_DT_DOUBLE: return ((const double *)x->data)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)x->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)x->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)x->data)[i];
    case OQ_DT_INT64: return (double)((const int64_t *)x->data)[i];
    default: return 0;
    }
}

const char *ce_ctype(oq_dtype t)
{
    switch (t) {
    case OQ_DT_FLOAT: return "float";
    case OQ_DT_UINT8: return "uint8_t";
    case OQ_DT_INT8: return "int8_t";
    case OQ_DT_INT32: return "int32_t";
    default: return NULL;
    }
}

static const char *q8dt(oq_dtype t) { return t == OQ_DT_INT8 ? "OQ_Q8_S8" : "OQ_Q8_U8"; }

static oq_status fail(ectx *e, uint32_t node, oq_status st, const char *fmt, const char *a)
{
    return oq_errorf(e->d, e->g, node, st, fmt, a);
}

/* Writes a C expression for the storage of value v (typed pointer). */
void ce_ptr(ectx *e, oq_cbuf *b, uint32_t v)
{
    const vinfo *vi = &e->v[v];
    const char *t = ce_ctype(val(e, v)->dtype);
    switch (vi->store) {
    case ST_IN: cbuf_printf(b, "(const %s *)in[%d]", t, vi->io); break;
    case ST_OUT: cbuf_printf(b, "(%s *)out[%d]", t, vi->io); break;
    case ST_WS:
        cbuf_printf(b, "(%s *)(ws + %zu)", t, e->bufs[vi->buf].offset);
        break;
    case ST_CONST:
        if (vi->cid != OQ_NONE) {
            cbuf_printf(b, "(const %s *)%s_c%u", t ? t : "void", e->nm, vi->cid);
            break;
        }
        /* fall through */
    default: cbuf_printf(b, "0 /* no storage for %s */", val(e, v)->name); break;
    }
}

void ce_scratch_ptr(ectx *e, oq_cbuf *b, uint32_t node)
{
    if (e->scratch[node] == OQ_NONE)
        cbuf_printf(b, "(void *)0");
    else
        cbuf_printf(b, "(void *)(ws + %zu)", e->bufs[e->scratch[node]].offset);
}

static uint32_t add_buf(ectx *e, size_t size, uint32_t first, uint32_t last)
{
    if (e->nbuf == e->cbufs) {
        uint32_t nc = e->cbufs ? e->cbufs * 2 : 64;
        oq_membuf *nb = realloc(e->bufs, nc * sizeof *nb);
        if (!nb)
            return OQ_NONE;
        e->bufs = nb;
        e->cbufs = nc;
    }
    e->bufs[e->nbuf] = (oq_membuf){size, first, last, 0};
    return e->nbuf++;
}

/* Emits a const array of raw bytes into NAME_weights.c and its extern declaration; returns
 * the array's number (name NAME_cN). */
uint32_t ce_emit_bytes(ectx *e, const void *data, size_t n)
{
    uint32_t id = e->nconst++;
    const unsigned char *p = data;
    cbuf_printf(&e->w, "const unsigned char %s_c%u[%zu] OQ_ALIGN64 = {", e->nm, id, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        cbuf_printf(&e->w, "%s%u,", i % 32 ? "" : "\n", p[i]);
    if (!n)
        cbuf_printf(&e->w, "0");
    cbuf_printf(&e->w, "\n};\n");
    cbuf_printf(&e->decl, "extern const unsigned char %s_c%u[%zu];\n", e->nm, id, n ? n : 1);
    e->rep.weight_bytes += n;
    return id;
}

/* Emits a const float array (exact hex literals) into NAME.c's parameter section. */
static uint32_t emit_floats(ectx *e, const float *f, size_t n)
{
    uint32_t id = e->nconst++;
    cbuf_printf(&e->decl, "static const float %s_c%u[%zu] = {", e->nm, id, n);
    for (size_t i = 0; i < n; i++) {
        cbuf_printf(&e->decl, "%s", i % 6 ? " " : "\n    ");
        cbuf_hexf(&e->decl, f[i]);
        cbuf_printf(&e->decl, ",");
    }
    cbuf_printf(&e->decl, "\n};\n");
    return id;
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

/* ------------------------------------------------------------------------------ phase 1 */

static bool is_copy_op(oq_op op)
{
    return op == OQ_OP_Reshape || op == OQ_OP_Flatten || op == OQ_OP_Squeeze ||
           op == OQ_OP_Unsqueeze || op == OQ_OP_Identity || op == OQ_OP_Dropout;
}

/* Decides the kernel of node n and the qparams of its outputs. */
static oq_status classify(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    const uint32_t *in = nd->in;
    uint32_t y = nd->nout ? nd->out[0] : OQ_NONE;
    vinfo *vy = y != OQ_NONE ? &e->v[y] : NULL;
    if (nd->op == OQ_OP_UNKNOWN)
        return ce_classify_float(e, n);
    for (uint32_t i = 0; i < e->o->ncustom_ops; i++)
        if (strcmp(e->o->custom_ops[i], nd->op_type) == 0)
            return ce_classify_float(e, n);
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
        int64_t group = ir_attr_int(nd, "group", 1);
        const oq_shape *ws = &val(e, in[3])->shape, *xs = &val(e, in[0])->shape;
        e->k[n] = (group > 1 && group == xs->dim[1] && ws->dim[0] == group && ws->dim[1] == 1)
                      ? K_QDWCONV : K_QCONV;
        return OQ_OK;
    }
    case OQ_OP_QLinearMatMul:
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
            ir_attr_int(nd, "channels_last", 0) != 0)
            break;
        vy->quant = true;
        e->k[n] = K_GAP;
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
    return ce_classify_float(e, n);
}

/* Scratch bytes node n needs beyond its inputs and outputs. */
static size_t scratch_bytes(ectx *e, uint32_t n, oq_q8_conv_shape *cs)
{
    const oq_node *nd = &e->g->nodes[n];
    switch (e->k[n]) {
    case K_QUANT:
    case K_DEQUANT:
        return val(e, nd->out[0])->shape.rank == 4 ? (size_t)numel(e, nd->out[0]) * 4 : 0;
    case K_QCONV: return oq_q8_conv_workspace_size(cs);
    case K_QDWCONV: return oq_q8_dw_workspace_size(cs);
    case K_COPY: {
        bool a = e->v[nd->in[0]].nhwc, b = e->v[nd->out[0]].nhwc;
        return a && b ? (size_t)numel(e, nd->out[0]) * oq_dtype_size(val(e, nd->out[0])->dtype) : 0;
    }
    case K_FLOAT:
    case K_MOVE:
    case K_CUSTOM: return ce_float_scratch(e, n);
    default: return 0;
    }
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

/* ------------------------------------------------------------------------------ phase 3 */

void ce_comment(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    cbuf_printf(&e->c, "    /* n%u %s '%s' */\n", n, nd->op_type, nd->name);
}

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
    uint32_t id = emit_floats(e, sc, nch);
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
    oq_q8_conv_shape s;
    if (conv_shape(e, n, &s) || check_weights(e, n, in[3], in[5]))
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
    s.count_include_pad = ir_attr_int(nd, "count_include_pad", 0) != 0;
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
    int64_t axis = ir_attr_int(nd, "axis", 0);
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
    cbuf_printf(&e->c, "    {\n        oq_q8_binary p;\n        oq_q8_add_init(&p, %s, ",
                q8dt(val(e, y)->dtype));
    cbuf_hexf(&e->c, e->v[a].qs);
    cbuf_printf(&e->c, ", %d, ", e->v[a].qz);
    cbuf_hexf(&e->c, e->v[b].qs);
    cbuf_printf(&e->c, ", %d, ", e->v[b].qz);
    cbuf_hexf(&e->c, e->v[y].qs);
    cbuf_printf(&e->c, ", %d);\n        oq_q8_add(%lld, ", e->v[y].qz, (long long)ny);
    ce_ptr(e, &e->c, a);
    cbuf_printf(&e->c, ", %d, ", na == 1 && ny != 1 ? 0 : 1);
    ce_ptr(e, &e->c, b);
    cbuf_printf(&e->c, ", %d, ", nb == 1 && ny != 1 ? 0 : 1);
    ce_ptr(e, &e->c, y);
    cbuf_printf(&e->c, ", &p);\n    }\n");
    return OQ_OK;
}

/* A debug hook call after node n (with --debug-dump). */
static void emit_hook(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    for (uint32_t i = 0; i < nd->nout; i++) {
        uint32_t y = nd->out[i];
        if (y == OQ_NONE || e->v[y].store == ST_NONE)
            continue;
        const oq_shape *s = &val(e, y)->shape;
        cbuf_printf(&e->c, "    if (hook) {\n        static const int64_t shp[] = {");
        for (int k = 0; k < s->rank; k++)
            cbuf_printf(&e->c, "%s%lld", k ? ", " : "", (long long)s->dim[k]);
        if (s->rank == 0)
            cbuf_printf(&e->c, "1");
        cbuf_printf(&e->c, "};\n        hook(hook_ctx, \"%s\", %d, %d, shp, ", val(e, y)->name,
                    (int)val(e, y)->dtype, s->rank);
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ", ");
        cbuf_hexf(&e->c, e->v[y].quant ? e->v[y].qs : 0.0f);
        cbuf_printf(&e->c, ", %d, %d);\n    }\n", e->v[y].quant ? e->v[y].qz : 0, e->v[y].nhwc);
    }
}

/* ------------------------------------------------------------------------------ files */

static bool valid_ident(const char *s)
{
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static bool put_cbuf(void *ctx, FILE *f, oq_diag *d)
{
    const oq_cbuf *b = ctx;
    (void)d;
    return b->len == 0 || fwrite(b->p, 1, b->len, f) == b->len;
}

/* Writes OUT/file atomically (backends/onnx/atomic_file.c). */
static oq_status write_out(ectx *e, const char *file, const oq_cbuf *b)
{
    if (b->oom)
        return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory writing %s", file);
    size_t n = strlen(e->o->out_dir) + strlen(file) + 2;
    char *path = malloc(n);
    if (!path)
        return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    snprintf(path, n, "%s/%s", e->o->out_dir, file);
    oq_status st = oq_write_file_atomic(path, NULL, 0, put_cbuf, (void *)b, e->d);
    free(path);
    return st;
}

static oq_status mkdirs(ectx *e, const char *dir)
{
    char buf[4096];
    if (strlen(dir) >= sizeof buf)
        return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_IO, "%s: path too long", dir);
    strcpy(buf, dir);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create: %s", buf,
                                 strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return OQ_OK;
}

/* The runtime files an emitted model needs: cpu.[ch] and runtime/q8/ (all ISA variants; each
 * guards itself with #if on the architecture); runtime/f32 (GEMM/conv, not ConvTranspose) when
 * a float Conv/Gemm/MatMul is left; f32ops when other float or data-movement ops are;
 * onnxq_custom.h always (NAME.h includes it). */
static bool rt_needed(const ectx *e, const char *path)
{
    if (strncmp(path, "runtime/f32/", 12) == 0)
        return e->need_f32 && strcmp(path, "runtime/f32/deconv.c") != 0;
    if (strncmp(path, "backends/c/rt/", 14) == 0)
        return e->need_fk;
    return strncmp(path, "runtime/q8/", 11) == 0 || strcmp(path, "runtime/cpu.c") == 0 ||
           strcmp(path, "runtime/cpu.h") == 0 || strcmp(path, "runtime/interp/onnxq_custom.h") == 0;
}

/* Text put around a copied runtime file so it builds in an emitted project with nothing but
 * `cc -O2 -std=c99` (no meson flags): ISA files compile only on their architecture, with the
 * ISA enabled by pragma (as runtime/q8 does with target attributes); runtime/f32's dispatch
 * needs OQ_F32_HAVE_X86 and, on bare metal, a pthread_once stand-in. */
static void rt_wrap(const char *path, const char *base, bool is_c, const char **pre,
                    const char **post)
{
    static const char x86_guard[] = "/* onnxq: built only where it applies */\n#if defined(__x86_64__)\n";
    static const char a64_guard[] = "/* onnxq: built only where it applies */\n#if defined(__aarch64__)\n";
    static const char end_guard[] =
        "#else\ntypedef int oq_rt_empty_unit; /* ISO C: no empty file */\n#endif\n";
    static const char avx2_pre[] =
        "/* onnxq: built only on x86-64, with AVX2+FMA enabled for this file */\n"
        "#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))\n"
        "#if defined(__clang__)\n"
        "#pragma clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)\n"
        "#else\n#pragma GCC target(\"avx2,fma\")\n#endif\n";
    static const char avx512_pre[] =
        "/* onnxq: built only on x86-64, with AVX-512 enabled for this file */\n"
        "#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))\n"
        "#if defined(__clang__)\n"
        "#pragma clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512vl,avx2,fma\"))), "
        "apply_to = function)\n"
        "#else\n#pragma GCC target(\"avx512f,avx512bw,avx512vl,avx2,fma\")\n#endif\n";
    static const char pragma_end[] =
        "#if defined(__clang__)\n#pragma clang attribute pop\n#endif\n"
        "#else\ntypedef int oq_rt_empty_unit; /* ISO C: no empty file */\n#endif\n";
    static const char gemm_pre[] =
        "/* onnxq: the x86 micro-kernels are in this project; bare metal has no pthreads */\n"
        "#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))\n"
        "#define OQ_F32_HAVE_X86 1\n#endif\n"
        "#if !defined(__unix__) && !defined(__APPLE__)\n#define OQ_F32_NO_PTHREAD 1\n#endif\n";
    *pre = *post = NULL;
    if (!is_c)
        return;
    if (strncmp(path, "runtime/f32/", 12) == 0) {
        if (strcmp(base, "ukernel_avx2.c") == 0)
            *pre = avx2_pre, *post = pragma_end;
        else if (strcmp(base, "ukernel_avx512.c") == 0)
            *pre = avx512_pre, *post = pragma_end;
        else if (strcmp(base, "gemm.c") == 0)
            *pre = gemm_pre;
        return;
    }
    if (strncmp(base, "neon", 4) == 0)
        *pre = a64_guard, *post = end_guard;
    else if (strncmp(base, "avx", 3) == 0 || strncmp(base, "amx", 3) == 0)
        *pre = x86_guard, *post = end_guard;
}

/* runtime/f32/gemm.c on bare metal: its pthread_once becomes a first-call-decides flag (the
 * choice is idempotent), as runtime/cpu.c and runtime/q8/config.c do themselves. */
static void put_file(oq_cbuf *b, const char *path, const unsigned char *data, size_t size)
{
    static const char inc[] = "#include <pthread.h>\n";
    const char *hit = NULL;
    if (strcmp(path, "runtime/f32/gemm.c") == 0)
        for (size_t i = 0; i + sizeof inc - 1 <= size && !hit; i++)
            if (memcmp(data + i, inc, sizeof inc - 1) == 0)
                hit = (const char *)data + i;
    if (!hit) {
        cbuf_put(b, (const char *)data, size);
        return;
    }
    size_t pre = (size_t)(hit - (const char *)data);
    cbuf_put(b, (const char *)data, pre);
    cbuf_printf(b, "#if !defined(OQ_F32_NO_PTHREAD)\n#include <pthread.h>\n#else\n"
                "typedef int pthread_once_t;\n#define PTHREAD_ONCE_INIT 0\n"
                "static int oq_once(pthread_once_t *o, void (*f)(void))\n"
                "{\n    if (!*o) {\n        f();\n        *o = 1;\n    }\n    return 0;\n}\n"
                "#define pthread_once oq_once\n#endif\n");
    cbuf_put(b, hit + sizeof inc - 1, size - pre - (sizeof inc - 1));
}

static oq_status copy_runtime(ectx *e, oq_cbuf *srcs)
{
    for (size_t i = 0; i < oq_rt_nfiles; i++) {
        const oq_rt_file *f = &oq_rt_files[i];
        if (!rt_needed(e, f->path))
            continue;
        /* runtime/X -> onnxq_rt/X; onnxq_custom.h and f32ops.[ch] at onnxq_rt/ top level */
        const char *rel = strncmp(f->path, "runtime/", 8) == 0 ? f->path + strlen("runtime/")
                                                                : strrchr(f->path, '/') + 1;
        if (strncmp(f->path, "runtime/interp/", 15) == 0)
            rel = f->path + 15;
        char file[512];
        snprintf(file, sizeof file, "onnxq_rt/%s", rel);
        size_t dl = strlen(e->o->out_dir) + strlen(file) + 2;
        char *dir = malloc(dl);
        if (!dir)
            return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        snprintf(dir, dl, "%s/%s", e->o->out_dir, file);
        *strrchr(dir, '/') = '\0';
        oq_status mst = mkdirs(e, dir);
        free(dir);
        if (mst != OQ_OK)
            return mst;
        /* ISA-specific files compile to nothing on other architectures */
        const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
        bool is_c = strlen(base) > 2 && strcmp(base + strlen(base) - 2, ".c") == 0;
        const char *pre, *post;
        rt_wrap(f->path, base, is_c, &pre, &post);
        oq_cbuf b = {0};
        if (pre)
            cbuf_put(&b, pre, strlen(pre));
        put_file(&b, f->path, f->data, f->size);
        if (post)
            cbuf_put(&b, post, strlen(post));
        oq_status st = write_out(e, file, &b);
        cbuf_free(&b);
        if (st)
            return st;
        size_t l = strlen(file);
        if (l > 2 && strcmp(file + l - 2, ".c") == 0)
            cbuf_printf(srcs, " %s", file);
    }
    return OQ_OK;
}

static void shape_list(oq_cbuf *b, const oq_shape *s)
{
    for (int k = 0; k < s->rank; k++)
        cbuf_printf(b, "%s%lld", k ? ", " : "", (long long)s->dim[k]);
}

static void emit_header(ectx *e, size_t ws, size_t lb, bool has_q, uint64_t hash)
{
    const oq_graph *g = e->g;
    const char *N = e->nm;
    char up[256];
    size_t i = 0;
    for (; N[i] && i + 1 < sizeof up; i++)
        up[i] = (char)(N[i] >= 'a' && N[i] <= 'z' ? N[i] - 32 : N[i]);
    up[i] = '\0';
    oq_cbuf *h = &e->hdr;
    cbuf_printf(h, "/* %s.h: generated by onnxq %s, do not edit. Model hash xxh3:%016llx.\n"
                " * Standalone int8 inference: no malloc, no stdio, no mutable globals; reentrant.\n"
                " * Inputs and outputs keep the model's layout (NCHW, C order). */\n"
                "#ifndef %s_H\n#define %s_H\n#include <stddef.h>\n#include <stdint.h>\n\n",
                N, OQ_VERSION, (unsigned long long)hash, up, up);
    cbuf_printf(h, "#define %s_ONNXQ_VERSION \"%s\"\n#define %s_MODEL_HASH 0x%016llxull\n", up,
                OQ_VERSION, up, (unsigned long long)hash);
    cbuf_printf(h, "#define %s_WORKSPACE_SIZE %zu /* bytes; lower bound %zu */\n", up, ws, lb);
    cbuf_printf(h, "#define %s_WORKSPACE_LOWER_BOUND %zu\n", up, lb);
    cbuf_printf(h, "#define %s_WEIGHT_BYTES %zu\n#define %s_MACS %.0f\n", up,
                e->rep.weight_bytes, up, e->rep.macs);
    cbuf_printf(h, "#define %s_NUM_INPUTS %u\n#define %s_NUM_OUTPUTS %u\n", up, g->ninput, up,
                g->noutput);
    for (uint32_t k = 0; k < g->ninput + g->noutput; k++) {
        bool isin = k < g->ninput;
        uint32_t v = isin ? g->inputs[k] : g->outputs[k - g->ninput];
        int idx = isin ? (int)k : (int)(k - g->ninput);
        const char *io = isin ? "INPUT" : "OUTPUT";
        const oq_value *x = val(e, v);
        cbuf_printf(h, "#define %s_%s%d_NAME \"%s\"\n", up, io, idx, x->name);
        cbuf_printf(h, "#define %s_%s%d_SIZE %lld /* elements */\n", up, io, idx,
                    (long long)oq_shape_numel(&x->shape));
        cbuf_printf(h, "#define %s_%s%d_RANK %d\n#define %s_%s%d_SHAPE {", up, io, idx,
                    x->shape.rank, up, io, idx);
        shape_list(h, &x->shape);
        cbuf_printf(h, "}\n#define %s_%s%d_DTYPE \"%s\"\n", up, io, idx, oq_dtype_name(x->dtype));
        /* qparams of the quantized form used by NAME_run_q */
        uint32_t qv = OQ_NONE;
        if (isin && x->nuse == 1 && g->nodes[x->uses[0]].op == OQ_OP_QuantizeLinear)
            qv = g->nodes[x->uses[0]].out[0];
        if (!isin && x->producer != OQ_NONE && g->nodes[x->producer].op == OQ_OP_DequantizeLinear)
            qv = g->nodes[x->producer].in[0];
        if (qv != OQ_NONE && e->v[qv].quant) {
            cbuf_printf(h, "#define %s_%s%d_SCALE ", up, io, idx);
            cbuf_hexf(h, e->v[qv].qs);
            cbuf_printf(h, "\n#define %s_%s%d_ZERO_POINT %d\n", up, io, idx, e->v[qv].qz);
        }
    }
    if (e->nctypes)
        cbuf_printf(h, "\n#include \"onnxq_rt/onnxq_custom.h\"\n");
    cbuf_printf(h, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    if (e->nctypes)
        cbuf_put(h, e->cust.p, e->cust.len);
    cbuf_printf(h, "/* Bytes of workspace %s_run needs (16-byte aligned, caller-owned). */\n"
                "size_t %s_workspace_size(void);\n\n", N, N);
    cbuf_printf(h, "/* Runs the model on float inputs (NCHW) into float outputs. Returns 0, 1 if\n"
                " * an argument is NULL or the workspace is misaligned, 2 if a custom op failed. */\nint %s_run(", N);
    for (uint32_t k = 0; k < g->ninput; k++)
        cbuf_printf(h, "const %s *in%u, ", ce_ctype(val(e, g->inputs[k])->dtype), k);
    for (uint32_t k = 0; k < g->noutput; k++)
        cbuf_printf(h, "%s *out%u, ", ce_ctype(val(e, g->outputs[k])->dtype), k);
    cbuf_printf(h, "void *workspace);\n\n");
    cbuf_printf(h, "#define %s_HAS_RUN_Q %d\n", up, has_q);
    if (has_q) {
        cbuf_printf(h, "/* Same on quantized inputs/outputs (qparams: the _SCALE/_ZERO_POINT macros). */\n"
                    "int %s_run_q(", N);
        for (uint32_t k = 0; k < g->ninput; k++)
            cbuf_printf(h, "const uint8_t *in%u, ", k);
        for (uint32_t k = 0; k < g->noutput; k++)
            cbuf_printf(h, "uint8_t *out%u, ", k);
        cbuf_printf(h, "void *workspace);\n\n");
    }
    if (e->o->debug_dump) {
        cbuf_printf(h, "/* Debug hook: called after every node with its output (data in NHWC when\n"
                    " * nhwc is 1, else C order); dtype is the ONNX TensorProto number. */\n"
                    "typedef void (*%s_hook)(void *ctx, const char *name, int dtype, int rank,\n"
                    "                        const int64_t *shape, const void *data, float scale,\n"
                    "                        int32_t zero_point, int nhwc);\nint %s_run_debug(", N, N);
        for (uint32_t k = 0; k < g->ninput; k++)
            cbuf_printf(h, "const %s *in%u, ", ce_ctype(val(e, g->inputs[k])->dtype), k);
        for (uint32_t k = 0; k < g->noutput; k++)
            cbuf_printf(h, "%s *out%u, ", ce_ctype(val(e, g->outputs[k])->dtype), k);
        cbuf_printf(h, "void *workspace, %s_hook hook, void *hook_ctx);\n\n", N);
    }
    cbuf_printf(h, "#ifdef __cplusplus\n}\n#endif\n#endif\n");
}

static void emit_wrappers(ectx *e, bool has_q)
{
    const oq_graph *g = e->g;
    const char *N = e->nm;
    oq_cbuf *c = &e->c;
    cbuf_printf(c, "    return 0;\n}\n\nsize_t %s_workspace_size(void) { return %zu; }\n\n", N,
                e->rep.workspace);
    for (int variant = 0; variant < 3; variant++) {
        if ((variant == 1 && !has_q) || (variant == 2 && !e->o->debug_dump))
            continue;
        cbuf_printf(c, "int %s_run%s(", N, variant == 1 ? "_q" : variant == 2 ? "_debug" : "");
        for (uint32_t k = 0; k < g->ninput; k++)
            cbuf_printf(c, "const %s *in%u, ",
                        variant == 1 ? "uint8_t" : ce_ctype(val(e, g->inputs[k])->dtype), k);
        for (uint32_t k = 0; k < g->noutput; k++)
            cbuf_printf(c, "%s *out%u, ",
                        variant == 1 ? "uint8_t" : ce_ctype(val(e, g->outputs[k])->dtype), k);
        if (variant == 2)
            cbuf_printf(c, "void *workspace, %s_hook hook, void *hook_ctx)\n{\n", N);
        else
            cbuf_printf(c, "void *workspace)\n{\n");
        cbuf_printf(c, "    const void *in[%u];\n    void *out[%u];\n", g->ninput ? g->ninput : 1,
                    g->noutput ? g->noutput : 1);
        for (uint32_t k = 0; k < g->ninput; k++)
            cbuf_printf(c, "    in[%u] = in%u;\n", k, k);
        for (uint32_t k = 0; k < g->noutput; k++)
            cbuf_printf(c, "    out[%u] = out%u;\n", k, k);
        cbuf_printf(c, "    return run(in, out, %d, workspace%s);\n}\n\n", variant == 1,
                    e->o->debug_dump ? (variant == 2 ? ", hook, hook_ctx" : ", 0, 0") : "");
    }
}

const char *oq_emit_c_support(oq_op op)
{
    switch (op) {
    case OQ_OP_QuantizeLinear: case OQ_OP_DequantizeLinear: case OQ_OP_QLinearConv:
    case OQ_OP_QLinearMatMul:
        return "int8 kernel";
    case OQ_OP_Conv: case OQ_OP_Gemm:
        return "int8 kernel (via QLinearConv), else fp32";
    case OQ_OP_MatMul:
        return "int8 kernel (constant 2-D B), else fp32";
    case OQ_OP_MaxPool:
        return "int8 (NHWC) or fp32";
    case OQ_OP_Reshape: case OQ_OP_Flatten: case OQ_OP_Squeeze: case OQ_OP_Unsqueeze:
    case OQ_OP_Identity: case OQ_OP_Dropout:
        return "data movement (any dtype)";
    case OQ_OP_Transpose: case OQ_OP_Slice: case OQ_OP_Split: case OQ_OP_Concat: case OQ_OP_Pad:
        return "data movement (any dtype, int8 NHWC read in place)";
    case OQ_OP_QLinearAdd: case OQ_OP_QLinearGlobalAveragePool: case OQ_OP_QLinearConcat:
        return "int8 kernel (com.microsoft)";
    case OQ_OP_Add: case OQ_OP_GlobalAveragePool:
        return "int8 kernel (via QLinearAdd / QLinearGlobalAveragePool), else fp32";
    case OQ_OP_AveragePool: case OQ_OP_Relu:
        return "int8 or fp32";
    case OQ_OP_Sub: case OQ_OP_Mul: case OQ_OP_Div: case OQ_OP_Clip: case OQ_OP_LeakyRelu:
    case OQ_OP_Sigmoid: case OQ_OP_HardSigmoid: case OQ_OP_HardSwish: case OQ_OP_Tanh:
    case OQ_OP_Abs: case OQ_OP_Neg: case OQ_OP_Exp: case OQ_OP_Sqrt: case OQ_OP_Reciprocal:
    case OQ_OP_Erf: case OQ_OP_Softmax: case OQ_OP_LogSoftmax: case OQ_OP_GlobalMaxPool:
    case OQ_OP_ReduceMean: case OQ_OP_ReduceSum: case OQ_OP_ReduceMax:
        return "fp32 (float fallback)";
    default:
        return NULL;
    }
}

/* ------------------------------------------------------------------------------ driver */

oq_status oq_emit_c(const oq_graph *g, const oq_emit_opts *o, oq_emit_report *r, oq_diag *d)
{
    ectx E;
    memset(&E, 0, sizeof E);
    ectx *e = &E;
    e->g = g, e->o = o, e->d = d;
    e->nm = o->name && *o->name ? o->name : "model";
    oq_status st = OQ_OK;
    if (!valid_ident(e->nm))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--name '%s' is not a C identifier", e->nm);
    const char *t = o->target && *o->target ? o->target : "auto";
    if (strcmp(t, "x86") == 0) {
        /* both x86 layouts, chosen at run time: AVX2 runs the int16 one ~1.4x faster */
        e->lay[0] = OQ_Q8_LAYOUT_N16K4, e->lay[1] = OQ_Q8_LAYOUT_N16K4W16, e->nlay = 2;
    } else if (strcmp(t, "avx2") == 0) {
        e->lay[0] = OQ_Q8_LAYOUT_N16K4W16, e->nlay = 1;
    } else if (!strcmp(t, "auto") || !strcmp(t, "scalar") || !strcmp(t, "avxvnni") || !strcmp(t, "avx512vnni") ||
               !strcmp(t, "amx") || !strcmp(t, "neon")) {
        e->lay[0] = OQ_Q8_LAYOUT_N16K4, e->nlay = 1;
    } else
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown --target '%s' (auto, x86, scalar, "
                         "avx2, avxvnni, avx512vnni, amx, neon)", t);

    e->v = calloc(g->nvalue + 1, sizeof *e->v);
    e->k = calloc(g->nnode + 1, sizeof *e->k);
    e->scratch = malloc((g->nnode + 1) * sizeof *e->scratch);
    oq_q8_conv_shape *cs = calloc(g->nnode + 1, sizeof *cs);
    if (!e->v || !e->k || !e->scratch || !cs) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* storage classes */
    for (uint32_t v = 0; v < g->nvalue; v++) {
        e->v[v].buf = OQ_NONE;
        e->v[v].cid = OQ_NONE;
        e->v[v].store = g->values[v].data ? ST_CONST : ST_NONE;
    }
    for (uint32_t i = 0; i < g->ninput; i++) {
        uint32_t v = g->inputs[i];
        if (!ce_ctype(val(e, v)->dtype)) {
            st = oq_errorf(d, g, OQ_NONE, OQ_ERR_DTYPE, "input '%s' has dtype %s; the C backend "
                           "takes float or 8-bit inputs", val(e, v)->name,
                           oq_dtype_name(val(e, v)->dtype));
            goto done;
        }
        e->v[v].store = ST_IN, e->v[v].io = (int)i;
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        if (e->v[v].store == ST_IN || e->v[v].store == ST_CONST || !ce_ctype(val(e, v)->dtype)) {
            st = oq_errorf(d, g, OQ_NONE, OQ_ERR_UNSUPPORTED_OP, "output '%s' must be computed "
                           "float or 8-bit data", val(e, v)->name);
            goto done;
        }
        e->v[v].store = ST_OUT, e->v[v].io = (int)i;
    }
    /* phase 1: classify, decide layouts */
    for (uint32_t n = 0; n < g->nnode; n++) {
        if ((st = classify(e, n)) != OQ_OK)
            goto done;
        const oq_node *nd = &g->nodes[n];
        if (e->k[n] == K_SKIP)
            continue;
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t y = nd->out[i];
            if (y == OQ_NONE)
                continue;
            vinfo *vy = &e->v[y];
            vy->nhwc = vy->quant && val(e, y)->shape.rank == 4 && vy->store != ST_OUT;
            if (vy->store == ST_NONE)
                vy->store = ST_WS;
        }
        if (e->k[n] == K_QCONV || e->k[n] == K_QDWCONV)
            if ((st = conv_shape(e, n, &cs[n])) != OQ_OK)
                goto done;
    }
    /* the scratch and activation buffers, with liveness over node positions */
    for (uint32_t v = 0; v < g->nvalue; v++) {
        if (e->v[v].store != ST_WS)
            continue;
        uint32_t last = g->values[v].producer;
        for (uint32_t u = 0; u < g->values[v].nuse; u++)
            if (g->values[v].uses[u] > last)
                last = g->values[v].uses[u];
        e->v[v].buf = add_buf(e, ir_value_nbytes(g, v), g->values[v].producer, last);
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        size_t sb = scratch_bytes(e, n, &cs[n]);
        e->scratch[n] = sb ? add_buf(e, sb, n, n) : OQ_NONE;
    }
    size_t lb = 0;
    e->rep.workspace = e->nbuf ? oq_memplan(e->bufs, e->nbuf, 64, &lb) : 0;
    if (e->rep.workspace == SIZE_MAX) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory planning the workspace");
        goto done;
    }
    e->rep.lower_bound = lb;

    /* quantized I/O is offered when every input feeds only a QuantizeLinear and every output
     * comes from a DequantizeLinear */
    bool has_q = g->ninput > 0 && g->noutput > 0;
    for (uint32_t i = 0; i < g->ninput && has_q; i++) {
        const oq_value *x = val(e, g->inputs[i]);
        has_q = x->dtype == OQ_DT_FLOAT && x->nuse == 1 &&
                e->k[x->uses[0]] == K_QUANT && val(e, g->nodes[x->uses[0]].out[0])->dtype == OQ_DT_UINT8;
    }
    for (uint32_t i = 0; i < g->noutput && has_q; i++) {
        const oq_value *x = val(e, g->outputs[i]);
        has_q = x->producer != OQ_NONE && e->k[x->producer] == K_DEQUANT &&
                val(e, g->nodes[x->producer].in[0])->dtype == OQ_DT_UINT8;
    }

    /* phase 3: code */
    if (o->debug_dump)
        cbuf_printf(&e->c, "static int run(const void *const *in, void *const *out, int quantized_io, "
                    "void *workspace, %s_hook hook, void *hook_ctx)\n{\n", e->nm);
    else
        cbuf_printf(&e->c, "static int run(const void *const *in, void *const *out, int quantized_io, "
                    "void *workspace)\n{\n");
    cbuf_printf(&e->c, "    unsigned char *ws = (unsigned char *)workspace;\n"
                "    const uint8_t *const *qin = quantized_io ? (const uint8_t *const *)in : 0;\n"
                "    uint8_t *const *qout = quantized_io ? (uint8_t *const *)out : 0;\n");
    if (e->nlay == 2)
        cbuf_printf(&e->c, "    const oq_q8_layout lay = oq_q8_gemm_layout(oq_cpu_get()->best);\n");
    cbuf_printf(&e->c, "    (void)qin;\n    (void)qout;\n    (void)ws;\n"
                "    if (!workspace || ((uintptr_t)workspace & 15))\n        return 1;\n");
    for (uint32_t i = 0; i < g->ninput; i++)
        cbuf_printf(&e->c, "    if (!in[%u])\n        return 1;\n", i);
    for (uint32_t i = 0; i < g->noutput; i++)
        cbuf_printf(&e->c, "    if (!out[%u])\n        return 1;\n", i);
    for (uint32_t n = 0; n < g->nnode && st == OQ_OK; n++) {
        switch (e->k[n]) {
        case K_SKIP: continue;
        case K_QUANT: st = emit_quant(e, n); break;
        case K_DEQUANT: st = emit_dequant(e, n); break;
        case K_QCONV:
        case K_QDWCONV: st = emit_conv(e, n); break;
        case K_QMATMUL: st = emit_matmul(e, n); break;
        case K_MAXPOOL:
        case K_AVGPOOL:
        case K_GAP: st = emit_pool(e, n); break;
        case K_COPY: st = emit_copy(e, n); break;
        case K_RELU_Q: st = emit_relu(e, n); break;
        case K_QADD: st = emit_qadd(e, n); break;
        case K_QCONCAT: st = emit_qconcat(e, n); break;
        case K_FLOAT:
        case K_MOVE:
        case K_CUSTOM: st = ce_emit_float(e, n); break;
        }
        e->rep.nsteps++;
        if (o->debug_dump)
            emit_hook(e, n);
    }
    if (st)
        goto done;
    emit_wrappers(e, has_q);
    uint64_t hash = ir_hash_graph(g);
    emit_header(e, e->rep.workspace, lb, has_q, hash);

    /* assemble and write the files */
    {
        oq_cbuf cfile = {0}, wfile = {0}, mk = {0}, mes = {0}, srcs = {0}, mainf = {0};
        char fname[512];
        cbuf_printf(&cfile, "/* %s.c: generated by onnxq %s, do not edit. Model hash xxh3:%016llx.\n"
                    " * One straight-line function of int8 kernel calls; shapes, offsets and\n"
                    " * requantization scales are literals; weights are in %s_weights.c. */\n"
                    "#include <stdint.h>\n#include <string.h>\n\n#include \"%s.h\"\n"
                    "#include \"onnxq_rt/q8/q8.h\"\n%s%s\n",
                    e->nm, OQ_VERSION, (unsigned long long)hash, e->nm, e->nm,
                    e->need_f32 ? "#include \"onnxq_rt/f32/f32.h\"\n" : "",
                    e->need_fk ? "#include <math.h>\n#include \"onnxq_rt/f32ops.h\"\n" : "");
        cbuf_put(&cfile, e->decl.p ? e->decl.p : "", e->decl.len);
        cbuf_printf(&cfile, "\n");
        cbuf_put(&cfile, e->c.p, e->c.len);
        cbuf_printf(&wfile, "/* %s_weights.c: generated by onnxq %s, do not edit.\n"
                    " * Weights packed for the int8 kernels at compile time (layouts: %s). */\n"
                    "#if defined(__GNUC__)\n#define OQ_ALIGN64 __attribute__((aligned(64)))\n"
                    "#else\n#define OQ_ALIGN64\n#endif\n\n", e->nm, OQ_VERSION,
                    e->nlay == 2 ? "N16K4 and N16K4W16" : e->lay[0] == OQ_Q8_LAYOUT_N16K4 ? "N16K4" : "N16K4W16");
        /* the extern declarations need the same attribute-free type */
        cbuf_put(&wfile, e->w.p ? e->w.p : "", e->w.len);
        if (!e->w.len)         /* ISO C: no empty translation unit */
            cbuf_printf(&wfile, "typedef int %s_no_weights;\n", e->nm);
        if ((st = mkdirs(e, o->out_dir)) != OQ_OK || (st = copy_runtime(e, &srcs)) != OQ_OK)
            goto files_done;
        snprintf(fname, sizeof fname, "%s.h", e->nm);
        if ((st = write_out(e, fname, &e->hdr)))
            goto files_done;
        snprintf(fname, sizeof fname, "%s.c", e->nm);
        if ((st = write_out(e, fname, &cfile)))
            goto files_done;
        snprintf(fname, sizeof fname, "%s_weights.c", e->nm);
        if ((st = write_out(e, fname, &wfile)))
            goto files_done;
        /* example program (float I/O models) */
        cbuf_printf(&mainf, "/* %s_main.c: example driver generated by onnxq (not part of the\n"
                    " * library files). usage: %s_main IN.npy... OUT.npy... [--labels L.npy]\n"
                    " * [--repeat N] */\n#define _POSIX_C_SOURCE 199309L\n"
                    "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                    "#include <string.h>\n#include <time.h>\n\n#include \"%s.h\"\n\n",
                    e->nm, e->nm, e->nm);
        bool float_io = true;
        cbuf_printf(&mainf, "#define NIN %u\n#define NOUT %u\n#define WS_SIZE %zu\n"
                    "static const size_t in_size[] = {", g->ninput, g->noutput, e->rep.workspace);
        for (uint32_t k = 0; k < g->ninput; k++) {
            cbuf_printf(&mainf, "%s%lld", k ? ", " : "", (long long)numel(e, g->inputs[k]));
            float_io &= val(e, g->inputs[k])->dtype == OQ_DT_FLOAT;
        }
        cbuf_printf(&mainf, "%s};\nstatic const size_t out_size[] = {", g->ninput ? "" : "0");
        for (uint32_t k = 0; k < g->noutput; k++) {
            cbuf_printf(&mainf, "%s%lld", k ? ", " : "", (long long)numel(e, g->outputs[k]));
            float_io &= val(e, g->outputs[k])->dtype == OQ_DT_FLOAT;
        }
        cbuf_printf(&mainf, "};\n#define RUN(in, out, s, w) %s_run(", e->nm);
        for (uint32_t k = 0; k < g->ninput; k++)
            cbuf_printf(&mainf, "in[%u] + (s) * in_size[%u], ", k, k);
        for (uint32_t k = 0; k < g->noutput; k++)
            cbuf_printf(&mainf, "out[%u] + (s) * out_size[%u], ", k, k);
        cbuf_printf(&mainf, "w)\n\n");
        for (const char *const *l = main_body; *l; l++)
            cbuf_put(&mainf, *l, strlen(*l));
        snprintf(fname, sizeof fname, "%s_main.c", e->nm);
        if (float_io && (st = write_out(e, fname, &mainf)))
            goto files_done;
        cbuf_printf(&mk, "# Makefile generated by onnxq: builds lib%s.a and the example %s_main.\n"
                    "CC ?= cc\nCFLAGS ?= -O2 -std=c99 -Wall -Wextra\n"
                    "%sSRCS = %s.c %s_weights.c%s%s\nOBJS = $(SRCS:.c=.o)\n\n"
                    "all: lib%s.a %s_main\n\nlib%s.a: $(OBJS)\n\t$(AR) rcs $@ $(OBJS)\n\n"
                    "%s_main: %s_main.o lib%s.a\n\t$(CC) $(CFLAGS) -o $@ %s_main.o lib%s.a -lpthread -lm\n\n"
                    "clean:\n\trm -f $(OBJS) %s_main.o lib%s.a %s_main\n",
                    e->nm, e->nm,
                    e->nctypes ? "# the model calls NAME_custom_<TYPE> (see the header): "
                                 "make CUSTOM_SRCS=my_ops.c\nCUSTOM_SRCS ?=\n" : "",
                    e->nm, e->nm, srcs.p ? srcs.p : "", e->nctypes ? " $(CUSTOM_SRCS)" : "",
                    e->nm, e->nm, e->nm, e->nm, e->nm, e->nm, e->nm, e->nm, e->nm, e->nm, e->nm);
        if ((st = write_out(e, "Makefile", &mk)))
            goto files_done;
        cbuf_printf(&mes, "# meson snippet generated by onnxq: subdir() this folder, then link\n"
                    "# %s_dep. Needs threads (pthread_once in the runtime's dispatch).\n"
                    "%s_lib = static_library('%s', '%s.c', '%s_weights.c',", e->nm, e->nm, e->nm,
                    e->nm, e->nm);
        for (const char *p = srcs.p; p && *p;) {
            while (*p == ' ')
                p++;
            const char *q = strchr(p, ' ');
            size_t l = q ? (size_t)(q - p) : strlen(p);
            if (l)
                cbuf_printf(&mes, "\n  '%.*s',", (int)l, p);
            p += l;
        }
        cbuf_printf(&mes, "\n  dependencies : dependency('threads'))\n"
                    "%s_dep = declare_dependency(link_with : %s_lib, include_directories : "
                    "include_directories('.'))\n", e->nm, e->nm);
        st = write_out(e, "meson.build", &mes);
    files_done:
        cbuf_free(&cfile);
        cbuf_free(&wfile);
        cbuf_free(&mk);
        cbuf_free(&mes);
        cbuf_free(&srcs);
        cbuf_free(&mainf);
    }
done:
    if (r)
        *r = e->rep;
    cbuf_free(&e->c);
    cbuf_free(&e->hdr);
    cbuf_free(&e->w);
    cbuf_free(&e->decl);
    cbuf_free(&e->cust);
    free((void *)e->ctypes);
    free(e->v);
    free(e->k);
    free(e->scratch);
    free(e->bufs);
    free(cs);
    return st;
}
