/* Geometry facts of ops computed once for every client (shape inference, the interpreter, the
 * C emitter): the clamping of Slice bounds, and the kernel, strides, dilations, pads and
 * spatial output sizes of Conv, ConvTranspose, the quantized convolutions and the pools, and
 * the channel axis of a layer's weight. */
#include <string.h>

#include "ir.h"

int64_t oq_slice_clamp(int64_t dim, int64_t idx, int64_t step)
{
    if (idx < 0)
        idx += dim;
    if (step > 0)
        return idx < 0 ? 0 : (idx > dim ? dim : idx);
    return idx < -1 ? -1 : (idx > dim - 1 ? dim - 1 : idx);
}

/* strides, dilations, pads and output_padding of node n into geo, checked against nsp. */
static oq_status read_lists(oq_graph *g, uint32_t n, int nsp, oq_conv_geom *geo, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const int64_t *a;
    int na;
    if ((na = ir_attr_is(nd, OQ_A_Conv_strides, &a)) >= 0) {
        if (na != nsp)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "strides has %d entries for %d spatial dims",
                             na, nsp);
        memcpy(geo->stride, a, (size_t)nsp * sizeof *a);
    }
    if ((na = ir_attr_is(nd, OQ_A_Conv_dilations, &a)) >= 0) {
        if (na != nsp)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "dilations has %d entries for %d spatial dims",
                             na, nsp);
        memcpy(geo->dil, a, (size_t)nsp * sizeof *a);
    }
    if ((na = ir_attr_is(nd, OQ_A_Conv_pads, &a)) >= 0) {
        if (na != 2 * nsp)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads has %d entries; expected %d", na,
                             2 * nsp);
        memcpy(geo->pad, a, (size_t)na * sizeof *a);
    }
    if ((na = ir_attr_is(nd, OQ_A_ConvTranspose_output_padding, &a)) >= 0) {
        if (na != nsp)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output_padding has %d entries for %d dims", na,
                             nsp);
        memcpy(geo->outpad, a, (size_t)nsp * sizeof *a);
    }
    for (int i = 0; i < nsp; i++) {
        if (geo->stride[i] < 1 || geo->dil[i] < 1 || geo->stride[i] > (1 << 30) ||
            geo->dil[i] > (1 << 30) || geo->k[i] > (1 << 30))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "stride/dilation/kernel of dim %d out of range",
                             i);
        if (geo->pad[i] < 0 || geo->pad[nsp + i] < 0 || geo->pad[i] > (1 << 30) ||
            geo->pad[nsp + i] > (1 << 30))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads of dim %d out of range", i);
        if (geo->outpad[i] < 0 || geo->outpad[i] > (1 << 30))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output_padding of dim %d out of range", i);
    }
    return OQ_OK;
}

/* ConvTranspose spatial dim i: output size, and pads when output_shape or SAME_* decide them
 * (in, eff: input size and dilated kernel extent, -1 if unknown). */
static oq_status resolve_convt(oq_graph *g, uint32_t n, int i, int64_t in, int64_t eff,
                               const int64_t *os, int nos, oq_conv_geom *geo, oq_diag *d)
{
    int nsp = geo->nsp;
    int64_t s = geo->stride[i];
    int64_t want = -1;
    if (nos >= 0)
        want = os[nos - nsp + i];
    else if ((geo->auto_pad == OQ_AUTOPAD_SAME_UPPER ||
              geo->auto_pad == OQ_AUTOPAD_SAME_LOWER) && in >= 0)
        want = in * s;
    if (in < 0 || eff < 0) {
        geo->out[i] = want;
        return OQ_OK;
    }
    int64_t full = s * (in - 1) + geo->outpad[i] + eff;
    if (want >= 0) {
        int64_t tot = full - want;
        if (tot < 0)
            tot = 0;   /* the extra output is zero-filled (output_shape larger) */
        /* the extra pad of an odd total goes to the end for SAME_UPPER, to the start for
         * SAME_LOWER and for an explicit output_shape (the ONNX spec's total_padding rule;
         * the backend tests, convtranspose_autopad_same and _output_shape, expect it) */
        bool upper = geo->auto_pad == OQ_AUTOPAD_SAME_UPPER;
        geo->pad[i] = upper ? tot / 2 : tot - tot / 2;
        geo->pad[nsp + i] = tot - geo->pad[i];
        geo->out[i] = want;
    } else {
        geo->out[i] = full - geo->pad[i] - geo->pad[nsp + i];
    }
    if (geo->out[i] < 1)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output spatial dim %d would be %lld", i,
                         (long long)geo->out[i]);
    return OQ_OK;
}

oq_status ir_conv_geom(const oq_graph *cg, uint32_t n, oq_conv_geom *geo, oq_diag *d)
{
    oq_graph *g = (oq_graph *)cg;  /* only read; oq_errorf wants a const graph anyway */
    const oq_node *nd = &g->nodes[n];
    memset(geo, 0, sizeof *geo);
    bool qconv = nd->op == OQ_OP_QLinearConv;
    bool conv = nd->op == OQ_OP_Conv || nd->op == OQ_OP_ConvInteger || qconv;
    bool convt = nd->op == OQ_OP_ConvTranspose;
    const oq_value *x = ir_in_val(g, nd, 0);
    const oq_value *w = (conv || convt) ? ir_in_val(g, nd, qconv ? 3 : 1) : NULL;
    if (!x)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "input 0 is missing");
    const int64_t *ks = NULL;
    int nk = ir_attr_is(nd, OQ_A_Conv_kernel_shape, &ks);
    int nsp = -1;
    if (x->shape.rank >= 0)
        nsp = x->shape.rank - 2;
    else if (nk >= 0)
        nsp = nk;
    else if (w && w->shape.rank >= 0)
        nsp = w->shape.rank - 2;
    geo->nsp = nsp;
    if (nsp < 0)
        return OQ_OK;          /* rank unknown: nothing to resolve */
    if (nsp < 1 || nsp > OQ_MAX_RANK - 2)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "input '%s' has rank %d; expected 3..%d",
                         x->name, x->shape.rank, OQ_MAX_RANK);
    if (nk >= 0 && nk != nsp)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "kernel_shape has %d entries for %d spatial dims",
                         nk, nsp);
    for (int i = 0; i < nsp; i++) {
        if (nk >= 0)
            geo->k[i] = ks[i];
        else if (w && w->shape.rank == nsp + 2)
            geo->k[i] = w->shape.dim[2 + i];
        else if (conv || convt)
            geo->k[i] = -1;
        else
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute 'kernel_shape' is missing");
        if (geo->k[i] == 0 || geo->k[i] < -1)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "kernel dim %d is %lld", i,
                             (long long)geo->k[i]);
        geo->stride[i] = 1;
        geo->dil[i] = 1;
    }
    oq_status st = read_lists(g, n, nsp, geo, d);
    if (st)
        return st;
    geo->group = ir_attr_i(nd, OQ_A_Conv_group);
    if (geo->group < 1)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "group %lld < 1", (long long)geo->group);
    geo->ceil = ir_attr_i(nd, OQ_A_MaxPool_ceil_mode) != 0;
    const char *ap = ir_attr_s(nd, OQ_A_Conv_auto_pad);
    if (strcmp(ap, "NOTSET") == 0 || ap[0] == 0)
        geo->auto_pad = OQ_AUTOPAD_NOTSET;
    else if (strcmp(ap, "VALID") == 0)
        geo->auto_pad = OQ_AUTOPAD_VALID;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        geo->auto_pad = OQ_AUTOPAD_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        geo->auto_pad = OQ_AUTOPAD_SAME_LOWER;
    else
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "attribute 'auto_pad'=%s not supported",
                         ap);
    if (geo->auto_pad == OQ_AUTOPAD_VALID)
        memset(geo->pad, 0, sizeof geo->pad);
    const int64_t *os = NULL;
    int nos = convt ? ir_attr_is(nd, OQ_A_ConvTranspose_output_shape, &os) : -1;
    if (nos >= 0 && nos != nsp && nos != nsp + 2)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output_shape has %d entries for %d spatial dims",
                         nos, nsp);
    /* spatial output sizes, and pads resolved for SAME_* / output_shape */
    for (int i = 0; i < nsp; i++) {
        int64_t in = x->shape.rank == nsp + 2 ? x->shape.dim[2 + i] : -1;
        int64_t k = geo->k[i], s = geo->stride[i];
        int64_t eff = k < 0 ? -1 : (k - 1) * geo->dil[i] + 1;
        geo->out[i] = -1;
        if (convt) {
            oq_status st2 = resolve_convt(g, n, i, in, eff, os, nos, geo, d);
            if (st2)
                return st2;
            continue;
        }
        if (in < 0 || eff < 0)
            continue;
        if (geo->auto_pad == OQ_AUTOPAD_SAME_UPPER || geo->auto_pad == OQ_AUTOPAD_SAME_LOWER) {
            int64_t o = (in + s - 1) / s;
            int64_t tot = (o - 1) * s + eff - in;
            if (tot < 0)
                tot = 0;
            geo->pad[i] = geo->auto_pad == OQ_AUTOPAD_SAME_UPPER ? tot / 2 : tot - tot / 2;
            geo->pad[nsp + i] = tot - geo->pad[i];
            geo->out[i] = o;
            continue;
        }
        int64_t num = in + geo->pad[i] + geo->pad[nsp + i] - eff;
        if (num < 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                             "kernel extent %lld exceeds padded input %lld in spatial dim %d",
                             (long long)eff, (long long)(in + geo->pad[i] + geo->pad[nsp + i]), i);
        int64_t o = (geo->ceil ? (num + s - 1) / s : num / s) + 1;
        /* ceil_mode: a window may not start in the end padding (PyTorch / ONNX >= 1.16) */
        if (geo->ceil && (o - 1) * s >= in + geo->pad[i])
            o--;
        geo->out[i] = o;
    }
    return OQ_OK;
}

int ir_weight_axis(const oq_graph *g, const oq_node *n)
{
    if (n->nin < 2 || n->in[1] == OQ_NONE)
        return -1;
    switch (oq_op_info(n->op)->wax) {
    case OQ_WAX_OUT0: return 0;
    case OQ_WAX_CONVT: return ir_attr_i(n, OQ_A_ConvTranspose_group) == 1 ? 1 : -1;
    case OQ_WAX_GEMM: return ir_attr_i(n, OQ_A_Gemm_transB) ? 0 : 1;
    case OQ_WAX_MATMUL: return g->values[n->in[1]].shape.rank == 2 ? 1 : -1;
    case OQ_WAX_NONE: return -1;
    }
    return -1;
}
