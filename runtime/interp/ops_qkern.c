/* Fast paths of QLinearConv and QLinearMatMul over the runtime/q8 kernels (the ones the C
 * backend emits), taken when the node fits them: constant s8 weights with zero zero points,
 * constant scales / zero points / int32 bias, u8 or s8 activations (s8 runs as u8 with the sign
 * bit flipped and zp + 128), u8 or s8 output, 2-D convolution. Both use fp32 requantization with
 * the multiplier s_x * s_w[c] / s_y computed in float, so they produce exactly the bytes of the
 * reference loops in ops_quant.c; anything else falls back to those loops. The interpreter keeps
 * NCHW; the conv path transposes to NHWC and back in the shared workspace. */
#include "ops.h"
#include "runtime/q8/q8.h"
#include "runtime/q8/requant.h"

struct oq_qfast {
    bool conv;                 /* conv (else matmul) */
    bool dw;                   /* depthwise conv kernel */
    oq_q8_conv_shape s;        /* conv geometry (NHWC) */
    oq_q8_layout layout;       /* packed GEMM layout */
    void *packed;              /* packed weights + bias' */
    float *mult;               /* per-channel (or one) requantization multipliers */
    oq_q8_requant rq;
    int32_t xzp;               /* activation zero point in the u8 domain */
    bool xs8;                  /* activations are s8 (flip the sign bit) */
    size_t M, N, K;            /* matmul: rows of A (all batches), columns, depth */
    size_t xbytes, ybytes;     /* conv: NHWC copies of x and y in the workspace */
};

/* Frees a fast-path record; NULL is a no-op. */
void oq_qfast_free(oq_qfast *f)
{
    if (!f)
        return;
    free(f->packed);
    free(f->mult);
    free(f);
}

/* Constant input i of nd, or NULL if absent or computed at run time. */
static const oq_value *cval(const oq_graph *g, const oq_node *nd, uint32_t i)
{
    if (i >= nd->nin || nd->in[i] == OQ_NONE || !g->values[nd->in[i]].data)
        return NULL;
    return &g->values[nd->in[i]];
}

/* True for a one-element value. */
static bool scalar_of(const oq_value *v) { return v && oq_shape_numel(&v->shape) == 1; }

/* True if every int8 element is 0. */
static bool all_zero(const oq_value *v)
{
    int64_t n = oq_shape_numel(&v->shape);
    for (int64_t i = 0; i < n; i++)
        if (((const int8_t *)v->data)[i] != 0)
            return false;
    return true;
}

/* u8/s8 kernel dtype of an ONNX 8-bit type. */
static oq_q8_dtype q8dt(oq_dtype t) { return t == OQ_DT_INT8 ? OQ_Q8_S8 : OQ_Q8_U8; }

/* True for uint8 / int8. */
static bool is_q8(oq_dtype t) { return t == OQ_DT_UINT8 || t == OQ_DT_INT8; }

/* Common checks: inputs 1,2 (x scale/zp), wi (w), wi+1, wi+2 (w scale/zp), then y scale/zp
 * constant; per-tensor x/y; w_scale per-tensor or nch entries. Fills mult and rq. */
static oq_qfast *common(const oq_graph *g, uint32_t node, uint32_t wi, int64_t nch)
{
    const oq_node *nd = &g->nodes[node];
    const oq_value *x = &g->values[nd->in[0]], *y = &g->values[nd->out[0]];
    const oq_value *xs = cval(g, nd, 1), *xz = cval(g, nd, 2), *w = cval(g, nd, wi);
    const oq_value *ws = cval(g, nd, wi + 1), *wz = cval(g, nd, wi + 2);
    const oq_value *ys = cval(g, nd, wi + 3), *yz = cval(g, nd, wi + 4);
    if (!scalar_of(xs) || !scalar_of(xz) || !w || !ws || !wz || !scalar_of(ys) || !scalar_of(yz))
        return NULL;
    if (!is_q8(x->dtype) || w->dtype != OQ_DT_INT8 || wz->dtype != OQ_DT_INT8 ||
        !is_q8(y->dtype) || xs->dtype != OQ_DT_FLOAT || ws->dtype != OQ_DT_FLOAT ||
        ys->dtype != OQ_DT_FLOAT || !all_zero(wz))
        return NULL;
    int64_t nws = oq_shape_numel(&ws->shape);
    if (nws != 1 && nws != nch)
        return NULL;
    oq_qfast *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->mult = malloc((size_t)nws * sizeof *f->mult);
    if (!f->mult) {
        free(f);
        return NULL;
    }
    float sx = *(const float *)xs->data, sy = *(const float *)ys->data;
    for (int64_t c = 0; c < nws; c++)
        f->mult[c] = oq_q8_requant_scale(sx, ((const float *)ws->data)[c], sy);
    for (int64_t c = 0; c < nws; c++)
        if (!(f->mult[c] > 0) || f->mult[c] > 1e30f) {
            oq_qfast_free(f);
            return NULL;       /* the kernels want finite positive multipliers */
        }
    oq_rt_tensor zt = {yz->dtype, yz->shape, yz->data};
    oq_q8_requant_fp32(&f->rq, f->mult, nws > 1 ? 1 : 0, (int32_t)oq_rt_get_i64(&zt, 0),
                       q8dt(y->dtype));
    oq_rt_tensor xzt = {xz->dtype, xz->shape, xz->data};
    f->xs8 = x->dtype == OQ_DT_INT8;
    f->xzp = (int32_t)oq_rt_get_i64(&xzt, 0) + (f->xs8 ? 128 : 0);
    f->layout = oq_q8_gemm_layout(oq_cpu_get()->best);
    return f;
}

/* A q8 conv/dwconv record with packed weights, or NULL if the node does not fit. */
oq_qfast *oq_qfast_conv_new(const oq_graph *g, uint32_t node, size_t *ws)
{
    const oq_node *nd = &g->nodes[node];
    const oq_shape *xs = &g->values[nd->in[0]].shape, *ys = &g->values[nd->out[0]].shape;
    if (xs->rank != 4 || nd->in[3] == OQ_NONE)
        return NULL;
    const oq_value *w = &g->values[nd->in[3]], *b = nd->nin > 8 ? cval(g, nd, 8) : NULL;
    if (nd->nin > 8 && nd->in[8] != OQ_NONE && (!b || b->dtype != OQ_DT_INT32))
        return NULL;
    oq_conv_geom cg;
    oq_diag d = {0};
    if (ir_conv_geom(g, node, &cg, &d) != OQ_OK)
        return NULL;
    oq_qfast *f = common(g, node, 3, w->shape.dim[0]);
    if (!f)
        return NULL;
    oq_q8_conv_shape *s = &f->s;
    s->batch = (size_t)xs->dim[0];
    s->in_c = (size_t)xs->dim[1];
    s->in_h = (size_t)xs->dim[2];
    s->in_w = (size_t)xs->dim[3];
    s->out_c = (size_t)w->shape.dim[0];
    s->groups = (size_t)cg.group;
    s->kh = (size_t)w->shape.dim[2];
    s->kw = (size_t)w->shape.dim[3];
    s->stride_h = (size_t)cg.stride[0];
    s->stride_w = (size_t)cg.stride[1];
    s->dil_h = (size_t)cg.dil[0];
    s->dil_w = (size_t)cg.dil[1];
    s->pad_top = (size_t)cg.pad[0];
    s->pad_left = (size_t)cg.pad[1];
    s->pad_bottom = (size_t)cg.pad[2];
    s->pad_right = (size_t)cg.pad[3];
    if (!oq_q8_conv_init(s) || (int64_t)s->out_h != ys->dim[2] || (int64_t)s->out_w != ys->dim[3] ||
        (int64_t)s->out_c != ys->dim[1] || s->in_c % s->groups || s->out_c % s->groups ||
        (size_t)w->shape.dim[1] * s->groups != s->in_c) {
        oq_qfast_free(f);
        return NULL;
    }
    f->conv = true;
    f->dw = s->groups == s->in_c && s->groups == s->out_c && s->groups > 1;
    size_t psz = f->dw ? oq_q8_dw_packed_size(s->out_c, s->kh, s->kw)
                       : oq_q8_conv_packed_size(f->layout, s);
    f->packed = aligned_alloc(64, (psz + 64) & ~(size_t)63);
    if (!f->packed) {
        oq_qfast_free(f);
        return NULL;
    }
    const int32_t *bias = b ? b->data : NULL;
    if (f->dw)
        oq_q8_pack_dw(s->out_c, s->kh, s->kw, w->data, bias, f->xzp, f->packed);
    else
        oq_q8_pack_conv(f->layout, s, w->data, bias, f->xzp, f->packed);
    f->xbytes = (s->batch * s->in_h * s->in_w * s->in_c + 63) & ~(size_t)63;
    f->ybytes = (s->batch * s->out_h * s->out_w * s->out_c + 63) & ~(size_t)63;
    size_t cws = f->dw ? oq_q8_dw_workspace_size(s) : oq_q8_conv_workspace_size(s);
    *ws = f->xbytes + f->ybytes + cws + 64;
    return f;
}

/* NCHW -> NHWC (sign flip for s8), q8 conv, NHWC -> NCHW. */
void oq_qfast_conv_run(const oq_qfast *f, const void *x, void *y, void *ws)
{
    const oq_q8_conv_shape *s = &f->s;
    uint8_t *xh = ws, *yh = xh + f->xbytes;
    void *cws = yh + f->ybytes;
    size_t hw = s->in_h * s->in_w, ohw = s->out_h * s->out_w;
    uint8_t flip = f->xs8 ? 0x80 : 0;
    for (size_t n = 0; n < s->batch; n++) {
        const uint8_t *xn = (const uint8_t *)x + n * s->in_c * hw;
        uint8_t *dst = xh + n * hw * s->in_c;
        for (size_t c = 0; c < s->in_c; c++)
            for (size_t p = 0; p < hw; p++)
                dst[p * s->in_c + c] = xn[c * hw + p] ^ flip;
    }
    if (f->dw)
        oq_q8_dwconv(NULL, s, xh, f->xzp, f->packed, yh, &f->rq, cws);
    else
        oq_q8_conv(s, xh, f->xzp, f->layout, f->packed, yh, &f->rq, cws);
    for (size_t n = 0; n < s->batch; n++) {
        const uint8_t *src = yh + n * ohw * s->out_c;
        uint8_t *yn = (uint8_t *)y + n * s->out_c * ohw;
        for (size_t c = 0; c < s->out_c; c++)
            for (size_t p = 0; p < ohw; p++)
                yn[c * ohw + p] = src[p * s->out_c + c];
    }
}

/* A q8 GEMM record with packed B, or NULL if the node does not fit. */
oq_qfast *oq_qfast_matmul_new(const oq_graph *g, uint32_t node, size_t *ws)
{
    const oq_node *nd = &g->nodes[node];
    const oq_shape *as = &g->values[nd->in[0]].shape;
    const oq_value *b = cval(g, nd, 3);
    if (!b || b->shape.rank != 2 || as->rank < 2)
        return NULL;
    oq_qfast *f = common(g, node, 3, b->shape.dim[1]);
    if (!f)
        return NULL;
    f->K = (size_t)b->shape.dim[0];
    f->N = (size_t)b->shape.dim[1];
    if ((size_t)as->dim[as->rank - 1] != f->K) {
        oq_qfast_free(f);
        return NULL;
    }
    f->M = (size_t)(oq_shape_numel(as) / (int64_t)(f->K ? f->K : 1));
    size_t psz = oq_q8_packed_size(f->layout, f->K, f->N);
    f->packed = aligned_alloc(64, (psz + 64) & ~(size_t)63);
    if (!f->packed) {
        oq_qfast_free(f);
        return NULL;
    }
    oq_q8_pack_gemm(f->layout, f->K, f->N, b->data, f->N, 1, NULL, f->xzp, f->packed);
    f->xbytes = f->xs8 ? ((f->M * f->K + 63) & ~(size_t)63) : 0;
    *ws = f->xbytes + 64;
    return f;
}

/* All rows of A as one q8 GEMM (s8 A sign-flipped into the workspace). */
void oq_qfast_matmul_run(const oq_qfast *f, const void *a, void *y, void *ws)
{
    const uint8_t *ap = a;
    if (f->xs8) {
        oq_q8_flip_sign(f->M * f->K, a, ws);
        ap = ws;
    }
    oq_q8_gemm(f->layout, f->M, f->N, f->K, ap, f->K, f->packed, y, f->N, &f->rq);
}
