/* ONNX integer and quantized reference ops, exactly per the ONNX spec:
 * QuantizeLinear  y = saturate(round_half_even(x / s) + zp)   (x / s in float; per-tensor or
 *                 per-axis scale; output type from the zero point: uint8 default, int8, ...)
 * DequantizeLinear y = (x - zp) * s                           (int8/uint8/int32 x)
 * DynamicQuantizeLinear: uint8, range [min(0, min x), max(0, max x)], scale = range / 255.
 * QLinearConv / QLinearMatMul: int32 accumulation of (x - zp_x)(w - zp_w) (+ int32 bias), then
 *                 requantized: float multiplier s_x * s_w[c] / s_y, acc * multiplier in float,
 *                 round half to even, + zp_y, saturate (the `fp32` mode of runtime/q8/requant.h).
 * ConvInteger / MatMulInteger: the int32 accumulators themselves.
 * Convolutions here are direct loops (the reference); 1D/2D/3D. Nodes that fit the runtime/q8
 * kernels (constant s8 weights with zero zero points, ...) run those instead (ops_qkern.c),
 * with identical results (ONNXQ_INTERP_REFERENCE=1 in the environment forces the loops). */
#include <math.h>

#include "ops.h"
#include "runtime/q8/requant.h"

/* Saturating range of an integer output type. */
static void qrange(oq_dtype t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case OQ_DT_UINT8: *lo = 0; *hi = 255; break;
    case OQ_DT_INT8: *lo = -128; *hi = 127; break;
    case OQ_DT_UINT16: *lo = 0; *hi = 65535; break;
    case OQ_DT_INT16: *lo = -32768; *hi = 32767; break;
    default: *lo = INT32_MIN; *hi = INT32_MAX; break;
    }
}

/* Integer types Quantize/Dequantize handle. */
static bool qtype_ok(oq_dtype t)
{
    return t == OQ_DT_UINT8 || t == OQ_DT_INT8 || t == OQ_DT_UINT16 || t == OQ_DT_INT16 ||
           t == OQ_DT_INT32;
}

/* Per-axis layout of a (scale, zero point) pair against x: returns inner size and count n
 * (n == 1: per-tensor), or false if the scale's shape fits neither. */
static bool qaxis(const oq_graph *g, uint32_t node, const oq_rt_tensor *x,
                  const oq_rt_tensor *scale, int64_t *n, int64_t *inner)
{
    int64_t ns = oq_rt_numel(scale);
    *n = 1;
    *inner = 1;
    if (scale->shape.rank == 0 || (ns == 1 && scale->shape.rank <= 1))
        return ns == 1;
    if (scale->shape.rank != 1)
        return false;
    int ax;
    if (!oq_norm_axis(ir_attr_i(&g->nodes[node], OQ_A_QuantizeLinear_axis), x->shape.rank, &ax))
        return false;
    if (x->shape.dim[ax] != ns)
        return false;
    for (int i = ax + 1; i < x->shape.rank; i++)
        *inner *= x->shape.dim[i];
    *n = ns;
    return true;
}

/* QuantizeLinear, per tensor or per axis. */
oq_status oq_exec_quantize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                           oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_rt_tensor *x = &in[0], *s = &in[1];
    bool haszp = g->nodes[node].nin > 2 && in[2].data;
    oq_dtype ot = out[0].dtype;
    if (!qtype_ok(ot) || ot == OQ_DT_INT32)
        return oq_bad_dtype(g, node, d, ot);
    if (x->dtype != OQ_DT_FLOAT && x->dtype != OQ_DT_INT32)
        return oq_bad_dtype(g, node, d, x->dtype);
    if (s->dtype != OQ_DT_FLOAT)
        return oq_bad_dtype(g, node, d, s->dtype);
    int64_t nq, inner;
    if (!qaxis(g, node, x, s, &nq, &inner) || (haszp && oq_rt_numel(&in[2]) != nq))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "scale/zero point shape does not fit x");
    int64_t lo, hi, n = oq_rt_numel(x);
    qrange(ot, &lo, &hi);
    const float *sc = s->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = nq == 1 ? 0 : (i / inner) % nq;
        float xv = x->dtype == OQ_DT_FLOAT ? ((const float *)x->data)[i]
                                           : (float)((const int32_t *)x->data)[i];
        double q = oq_round_half_even((double)(xv / sc[c]));
        q += haszp ? (double)oq_rt_get_i64(&in[2], c) : 0.0;
        q = q < (double)lo ? (double)lo : q > (double)hi ? (double)hi : q;
        oq_rt_set_i64(&out[0], i, (int64_t)q);
    }
    return OQ_OK;
}

/* DequantizeLinear, per tensor or per axis. */
oq_status oq_exec_dequantize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                             oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_rt_tensor *x = &in[0], *s = &in[1];
    bool haszp = g->nodes[node].nin > 2 && in[2].data;
    if (!qtype_ok(x->dtype))
        return oq_bad_dtype(g, node, d, x->dtype);
    if (s->dtype != OQ_DT_FLOAT || out[0].dtype != OQ_DT_FLOAT)
        return oq_bad_dtype(g, node, d, s->dtype);
    int64_t nq, inner;
    if (!qaxis(g, node, x, s, &nq, &inner) || (haszp && oq_rt_numel(&in[2]) != nq))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "scale/zero point shape does not fit x");
    int64_t n = oq_rt_numel(x);
    const float *sc = s->data;
    float *y = out[0].data;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = nq == 1 ? 0 : (i / inner) % nq;
        int64_t zp = haszp ? oq_rt_get_i64(&in[2], c) : 0;
        y[i] = (float)(oq_rt_get_i64(x, i) - zp) * sc[c];
    }
    return OQ_OK;
}

/* DynamicQuantizeLinear: uint8 y, scale and zero point from x's range. */
oq_status oq_exec_dynamic_quantize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                   oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_rt_tensor *x = &in[0];
    if (x->dtype != OQ_DT_FLOAT)
        return oq_bad_dtype(g, node, d, x->dtype);
    const float *xp = x->data;
    int64_t n = oq_rt_numel(x);
    float mn = 0.0f, mx = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        mn = xp[i] < mn ? xp[i] : mn;
        mx = xp[i] > mx ? xp[i] : mx;
    }
    float scale = (mx - mn) / 255.0f;
    float zpf = scale != 0.0f ? (float)oq_round_half_even((double)(0.0f - mn / scale)) : 0.0f;
    zpf = zpf < 0 ? 0 : zpf > 255 ? 255 : zpf;
    uint8_t zp = (uint8_t)zpf, *y = out[0].data;
    for (int64_t i = 0; i < n; i++) {
        double q = scale != 0.0f ? oq_round_half_even((double)(xp[i] / scale)) + zp : zp;
        y[i] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
    }
    if (g->nodes[node].nout > 1 && out[1].data)
        *(float *)out[1].data = scale;
    if (g->nodes[node].nout > 2 && out[2].data)
        *(uint8_t *)out[2].data = zp;
    return OQ_OK;
}

/* Converts an integer tensor to int32 minus a zero point (per-tensor, or per slice of `per`
 * consecutive blocks of `inner` elements, with `nzp` zero points). */
static int32_t *to_i32(const oq_rt_tensor *x, const oq_rt_tensor *zp, int64_t inner)
{
    int64_t n = oq_rt_numel(x), nz = zp && zp->data ? oq_rt_numel(zp) : 0;
    int32_t *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    if (!p)
        return NULL;
    for (int64_t i = 0; i < n; i++) {
        int64_t z = nz == 0 ? 0 : nz == 1 ? oq_rt_get_i64(zp, 0)
                                          : oq_rt_get_i64(zp, (i / inner) % nz);
        p[i] = (int32_t)(oq_rt_get_i64(x, i) - z);
    }
    return p;
}

typedef struct qconv_state {
    oq_ws_hdr h;               /* must be first: scratch of the fast path */
    oq_qfast *fast;            /* runtime/q8 path, or NULL for the reference loops */
    int64_t in[3], out[3], k[3], s[3], dl[3], pb[3];
    int64_t N, C, M, group;
} qconv_state;

/* Frees a qconv_state and its fast path. */
void oq_free_qstate(void *state)
{
    qconv_state *s = state;
    if (s)
        oq_qfast_free(s->fast);
    free(s);
}

/* QLinearMatMul: tries the q8 kernel path. */
oq_status oq_prep_qmatmul(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    qconv_state *p = calloc(1, sizeof *p);
    if (!p)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    if (!getenv("ONNXQ_INTERP_REFERENCE"))
        p->fast = oq_qfast_matmul_new(g, node, &p->h.size);
    *state = p;
    return OQ_OK;
}

/* QLinearConv / ConvInteger geometry; QLinearConv also tries the q8 kernels. */
oq_status oq_prep_qconv(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    bool ql = nd->op == OQ_OP_QLinearConv;
    const oq_shape *x = &g->values[nd->in[0]].shape, *w = &g->values[nd->in[ql ? 3 : 1]].shape;
    const oq_shape *y = &g->values[nd->out[0]].shape;
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 3)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "only 1D, 2D and 3D convolutions are supported (input rank %d)", x->rank);
    oq_conv_geom cg;
    oq_status st = ir_conv_geom(g, node, &cg, d);
    if (st)
        return st;
    qconv_state *p = calloc(1, sizeof *p);
    if (!p)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    int off = 3 - nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - off;
        bool real = j >= 0;
        p->in[i] = real ? x->dim[2 + j] : 1;
        p->out[i] = real ? y->dim[2 + j] : 1;
        p->k[i] = real ? w->dim[2 + j] : 1;
        p->s[i] = real ? cg.stride[j] : 1;
        p->dl[i] = real ? cg.dil[j] : 1;
        p->pb[i] = real ? cg.pad[j] : 0;
    }
    p->N = x->dim[0];
    p->C = x->dim[1];
    p->M = w->dim[0];
    p->group = cg.group;
    if (p->C % p->group || p->M % p->group || w->dim[1] * p->group != p->C) {
        free(p);
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "weight shape does not match input/groups");
    }
    if (ql && !getenv("ONNXQ_INTERP_REFERENCE"))
        p->fast = oq_qfast_conv_new(g, node, &p->h.size);
    *state = p;
    return OQ_OK;
}

/* Direct int32 convolution of zero-point-adjusted operands into acc [N, M, out...]. */
static void conv_i32(const qconv_state *p, const int32_t *x, const int32_t *w, int32_t *acc)
{
    int64_t cpg = p->C / p->group, mpg = p->M / p->group;
    int64_t ip = p->in[0] * p->in[1] * p->in[2], op = p->out[0] * p->out[1] * p->out[2];
    int64_t kp = p->k[0] * p->k[1] * p->k[2];
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t m = 0; m < p->M; m++) {
            int64_t gi = m / mpg;
            int32_t *yo = acc + (n * p->M + m) * op;
            for (int64_t o0 = 0; o0 < p->out[0]; o0++)
                for (int64_t o1 = 0; o1 < p->out[1]; o1++)
                    for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                        int64_t sum = 0;
                        for (int64_t c = 0; c < cpg; c++) {
                            const int32_t *xc = x + (n * p->C + gi * cpg + c) * ip;
                            const int32_t *wc = w + (m * cpg + c) * kp;
                            for (int64_t k0 = 0; k0 < p->k[0]; k0++) {
                                int64_t i0 = o0 * p->s[0] - p->pb[0] + k0 * p->dl[0];
                                if (i0 < 0 || i0 >= p->in[0])
                                    continue;
                                for (int64_t k1 = 0; k1 < p->k[1]; k1++) {
                                    int64_t i1 = o1 * p->s[1] - p->pb[1] + k1 * p->dl[1];
                                    if (i1 < 0 || i1 >= p->in[1])
                                        continue;
                                    for (int64_t k2 = 0; k2 < p->k[2]; k2++) {
                                        int64_t i2 = o2 * p->s[2] - p->pb[2] + k2 * p->dl[2];
                                        if (i2 < 0 || i2 >= p->in[2])
                                            continue;
                                        sum += (int64_t)xc[(i0 * p->in[1] + i1) * p->in[2] + i2] *
                                               wc[(k0 * p->k[1] + k1) * p->k[2] + k2];
                                    }
                                }
                            }
                        }
                        yo[(o0 * p->out[1] + o1) * p->out[2] + o2] = (int32_t)sum;
                    }
        }
}

/* Requantizes acc (count n, channel c = (i / inner) % nch) into out. */
static void requant(const int32_t *acc, int64_t n, int64_t inner, int64_t nch, const float *mult,
                    int64_t nmult, int64_t zp, oq_rt_tensor *out)
{
    int64_t lo, hi;
    qrange(out->dtype, &lo, &hi);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = nmult == 1 ? 0 : (i / inner) % nch;
        double q = oq_round_half_even((double)((float)acc[i] * mult[c])) + (double)zp;
        q = q < (double)lo ? (double)lo : q > (double)hi ? (double)hi : q;
        oq_rt_set_i64(out, i, (int64_t)q);
    }
}

/* True for uint8 / int8. */
static bool is_q8(oq_dtype t) { return t == OQ_DT_UINT8 || t == OQ_DT_INT8; }

/* QLinearConv: q8 kernels when prepared, else reference loops + requantize. */
oq_status oq_exec_qlinear_conv(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                               oq_rt_tensor *out, void *state, oq_diag *d)
{
    const qconv_state *p = state;
    const oq_node *nd = &g->nodes[node];
    if (!is_q8(in[0].dtype) || !is_q8(in[3].dtype) || !is_q8(out[0].dtype))
        return oq_bad_dtype(g, node, d, in[0].dtype);
    if (p->fast) {
        oq_qfast_conv_run(p->fast, in[0].data, out[0].data, p->h.ws);
        return OQ_OK;
    }
    int64_t nws = oq_rt_numel(&in[4]);
    if (oq_rt_numel(&in[1]) != 1 || oq_rt_numel(&in[6]) != 1 || (nws != 1 && nws != p->M))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "scales must be scalars (w_scale: [M])");
    int64_t wk = oq_rt_numel(&in[3]) / (p->M ? p->M : 1), op = p->out[0] * p->out[1] * p->out[2];
    int32_t *x = to_i32(&in[0], &in[2], 1);
    int32_t *w = to_i32(&in[3], &in[5], wk);
    int64_t nacc = p->N * p->M * op;
    int32_t *acc = malloc((size_t)(nacc ? nacc : 1) * sizeof *acc);
    float *mult = malloc((size_t)nws * sizeof *mult);
    oq_status st = OQ_OK;
    if (!x || !w || !acc || !mult) {
        st = oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
        goto done;
    }
    conv_i32(p, x, w, acc);
    if (nd->nin > 8 && in[8].data)
        for (int64_t i = 0; i < nacc; i++)
            acc[i] += ((const int32_t *)in[8].data)[(i / op) % p->M];
    float xs = *(const float *)in[1].data, ys = *(const float *)in[6].data;
    for (int64_t c = 0; c < nws; c++)
        mult[c] = oq_q8_requant_scale(xs, ((const float *)in[4].data)[c], ys);
    requant(acc, nacc, op, p->M, mult, nws, oq_rt_get_i64(&in[7], 0), &out[0]);
done:
    free(x);
    free(w);
    free(acc);
    free(mult);
    return st;
}

/* ConvInteger: int32 accumulators of the zero-point-adjusted operands. */
oq_status oq_exec_conv_integer(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                               oq_rt_tensor *out, void *state, oq_diag *d)
{
    const qconv_state *p = state;
    const oq_node *nd = &g->nodes[node];
    if (!is_q8(in[0].dtype) || !is_q8(in[1].dtype))
        return oq_bad_dtype(g, node, d, in[0].dtype);
    const oq_rt_tensor *xzp = nd->nin > 2 && in[2].data ? &in[2] : NULL;
    const oq_rt_tensor *wzp = nd->nin > 3 && in[3].data ? &in[3] : NULL;
    int64_t wk = oq_rt_numel(&in[1]) / (p->M ? p->M : 1);
    int32_t *x = to_i32(&in[0], xzp, 1), *w = to_i32(&in[1], wzp, wk);
    if (!x || !w) {
        free(x);
        free(w);
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    }
    conv_i32(p, x, w, out[0].data);
    free(x);
    free(w);
    return OQ_OK;
}

/* int32 batched matmul with numpy broadcasting over zero-point-adjusted a [.., M, K] and
 * b [.., K, N] (1-D operands promoted); writes acc [batch.., M, N]. */
static oq_status matmul_i32(const oq_graph *g, uint32_t node, const oq_rt_tensor *a,
                            const int32_t *ap, const oq_rt_tensor *b, const int32_t *bp,
                            int32_t *acc, oq_diag *d)
{
    oq_matmul_plan mp;
    oq_status st = oq_matmul_plan_of(g, node, &a->shape, &b->shape, &mp, d);
    if (st)
        return st;
    int64_t M = mp.M, K = mp.K, N = mp.N, idx[OQ_MAX_RANK] = {0}, ao = 0, bo = 0;
    int64_t nob = oq_shape_numel(&mp.ob);
    for (int64_t t = 0; t < nob; t++) {
        const int32_t *A = ap + ao * M * K, *B = bp + bo * K * N;
        int32_t *C = acc + t * M * N;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                int64_t s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (int64_t)A[i * K + k] * B[k * N + j];
                C[i * N + j] = (int32_t)s;
            }
        oq_matmul_next(&mp, idx, &ao, &bo);
    }
    return OQ_OK;
}

/* Zero-point-adjusted int32 copies: a's zero point per row (its last-but-one dim) or scalar,
 * b's per column (last dim) or scalar. */
static oq_status adjust_ab(const oq_rt_tensor *a, const oq_rt_tensor *azp, const oq_rt_tensor *b,
                           const oq_rt_tensor *bzp, int32_t **ap, int32_t **bp)
{
    int64_t K = a->shape.dim[a->shape.rank - 1];
    *ap = to_i32(a, azp, K);   /* row i of A uses zp[i % M] */
    *bp = to_i32(b, bzp, 1);   /* element j of a row uses zp[j % N] */
    return *ap && *bp ? OQ_OK : OQ_ERR_NOMEM;
}

/* MatMulInteger: int32 batched product of zero-point-adjusted operands. */
oq_status oq_exec_matmul_integer(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                 oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    if (!is_q8(in[0].dtype) || !is_q8(in[1].dtype))
        return oq_bad_dtype(g, node, d, in[0].dtype);
    int32_t *ap, *bp;
    oq_status st = adjust_ab(&in[0], nd->nin > 2 && in[2].data ? &in[2] : NULL, &in[1],
                             nd->nin > 3 && in[3].data ? &in[3] : NULL, &ap, &bp);
    if (!st)
        st = matmul_i32(g, node, &in[0], ap, &in[1], bp, out[0].data, d);
    else
        st = oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    free(ap);
    free(bp);
    return st;
}

/* QLinearMatMul with every qparam per tensor (two activations: Q.K^T, attention.V): one
 * oq_q8_qlinear_matmul_ref per output batch, the emitted C's kernel. */
static oq_status qmatmul_per_tensor(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                    oq_rt_tensor *out, oq_diag *d)
{
    oq_matmul_plan mp;
    oq_status st = oq_matmul_plan_of(g, node, &in[0].shape, &in[3].shape, &mp, d);
    if (st)
        return st;
    oq_q8_dtype at = in[0].dtype == OQ_DT_INT8 ? OQ_Q8_S8 : OQ_Q8_U8;
    oq_q8_dtype bt = in[3].dtype == OQ_DT_INT8 ? OQ_Q8_S8 : OQ_Q8_U8;
    oq_q8_dtype yt = out[0].dtype == OQ_DT_INT8 ? OQ_Q8_S8 : OQ_Q8_U8;
    float scale = oq_q8_requant_scale(*(const float *)in[1].data, *(const float *)in[4].data,
                                      *(const float *)in[6].data);
    int32_t za = (int32_t)oq_rt_get_i64(&in[2], 0), zb = (int32_t)oq_rt_get_i64(&in[5], 0);
    int32_t zy = (int32_t)oq_rt_get_i64(&in[7], 0);
    int64_t M = mp.M, K = mp.K, N = mp.N, idx[OQ_MAX_RANK] = {0}, ao = 0, bo = 0;
    int64_t nob = oq_shape_numel(&mp.ob);
    for (int64_t t = 0; t < nob; t++) {
        oq_q8_qlinear_matmul_ref((size_t)M, (size_t)N, (size_t)K,
                                 (const uint8_t *)in[0].data + ao * M * K, at, za,
                                 (const uint8_t *)in[3].data + bo * K * N, bt, &zb, 0, &scale, 0,
                                 (uint8_t *)out[0].data + t * M * N, yt, zy);
        oq_matmul_next(&mp, idx, &ao, &bo);
    }
    return OQ_OK;
}

/* QLinearMatMul: q8 kernel when prepared, else oq_q8_qlinear_matmul_ref per batch when every
 * qparam is per tensor, else reference loops + requantize. */
oq_status oq_exec_qlinear_matmul(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                 oq_rt_tensor *out, void *state, oq_diag *d)
{
    const qconv_state *p = state;
    if (!is_q8(in[0].dtype) || !is_q8(in[3].dtype) || !is_q8(out[0].dtype))
        return oq_bad_dtype(g, node, d, in[0].dtype);
    if (p->fast) {
        oq_qfast_matmul_run(p->fast, in[0].data, out[0].data, p->h.ws);
        return OQ_OK;
    }
    bool per_tensor = true;
    for (int i = 1; i < 8; i++)
        per_tensor &= i == 3 || oq_rt_numel(&in[i]) == 1;
    if (per_tensor && in[0].shape.rank >= 1 && in[3].shape.rank >= 2 &&
        in[0].shape.dim[in[0].shape.rank - 1] <= (int64_t)OQ_Q8_QMATMUL_MAX_K &&
        in[1].dtype == OQ_DT_FLOAT && in[4].dtype == OQ_DT_FLOAT && in[6].dtype == OQ_DT_FLOAT)
        return qmatmul_per_tensor(g, node, in, out, d);
    const oq_rt_tensor *b = &in[3];
    int64_t N = b->shape.rank >= 2 ? b->shape.dim[b->shape.rank - 1] : 1;
    int64_t nbs = oq_rt_numel(&in[4]);
    if (oq_rt_numel(&in[1]) != 1 || oq_rt_numel(&in[6]) != 1 || (nbs != 1 && nbs != N))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "scales must be scalars (b_scale: [N])");
    int32_t *ap, *bp;
    oq_status st = adjust_ab(&in[0], &in[2], b, &in[5], &ap, &bp);
    int64_t nacc = oq_rt_numel(&out[0]);
    int32_t *acc = malloc((size_t)(nacc ? nacc : 1) * sizeof *acc);
    float *mult = malloc((size_t)nbs * sizeof *mult);
    if (st || !acc || !mult) {
        st = oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = matmul_i32(g, node, &in[0], ap, b, bp, acc, d)))
        goto done;
    float as = *(const float *)in[1].data, ys = *(const float *)in[6].data;
    for (int64_t c = 0; c < nbs; c++)
        mult[c] = oq_q8_requant_scale(as, ((const float *)in[4].data)[c], ys);
    requant(acc, nacc, 1, N, mult, nbs, oq_rt_get_i64(&in[7], 0), &out[0]);
done:
    free(ap);
    free(bp);
    free(acc);
    free(mult);
    return st;
}
