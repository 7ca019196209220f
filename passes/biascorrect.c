/* Bias correction (Nagel et al. 2019, sec. 4.2; AIMET / NNCF "bias correction"), option
 * `bias_correct`. Weight quantization shifts the mean of each output channel of a Conv/Gemm by
 * E[(W_q - W) x]. We measure, on the calibration samples run through the float graph, the mean
 * input the layer sees at every kernel tap (per input channel c and tap k: the mean over output
 * positions and samples of the zero-padded input at that tap, so borders are exact), compute
 * W_q exactly as oq_quantize will (min/max symmetric int8 [-127, 127], per output channel unless
 * per_tensor), and subtract the shift from the float bias (a zero bias is added when absent):
 * b_n -= sum_{c,k} (W_q - W)[n,c,k] * mean_x[c,k]. In expectation over the calibration data, the
 * weight-quantized layer then has the float layer's per-channel mean output (the activation
 * quantization of the input is not modelled). Runs before calibration, on the float graph after
 * the float passes, so the observers see the corrected biases. Layers: Conv with 1-D or 2-D
 * kernels (any group) and Gemm (transA 0, alpha = beta = 1) with constant float weights, not
 * excluded; static mode only (dynamic mode: Gemm only). Data: oq_for_each_sample (calib_data.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

typedef struct bc_layer {
    uint32_t node;             /* Conv / Gemm node */
    uint32_t x;                /* its input value */
    int64_t C;                 /* input channels (Conv) or features (Gemm) */
    int64_t taps;              /* kernel positions per channel (1 for Gemm) */
    double *sum;               /* [C * taps] running sums of the input at each tap */
    double count;              /* output positions (x samples x batch) summed */
    int64_t kh, kw, sh, sw, dh, dw, ph, pw; /* 2-D geometry (1-D: kh = sh = dh = 1, ph = 0) */
    int64_t oh, ow;            /* output spatial size */
    uint32_t next;             /* next layer reading the same value (OQ_NONE ends) */
} bc_layer;

struct oq_biascorr {
    bc_layer *l;               /* tracked layers */
    uint32_t nl;
    uint32_t *first;           /* value id -> first layer reading it (OQ_NONE = none) */
    uint32_t nvalue;           /* g->nvalue at creation */
    oq_interp *it;             /* float interpreter, made on the first feed */
    uint32_t nsamples;         /* samples fed */
};

/* Constant float data of v, NULL otherwise. */
static const float *const_f32(const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE || !g->values[v].data || g->values[v].dtype != OQ_DT_FLOAT)
        return NULL;
    return g->values[v].data;
}

/* Node n is a layer the quantizer quantizes and we can correct; fills L (sum not allocated). */
static bool candidate(const oq_graph *g, uint32_t n, const oq_options *o, bc_layer *L)
{
    const oq_node *nd = &g->nodes[n];
    if (nd->dead || (nd->op != OQ_OP_Conv && nd->op != OQ_OP_Gemm) || nd->nin < 2 ||
        nd->nout != 1 || !const_f32(g, nd->in[1]) || oq_pass_excluded(g, n, o))
        return false;
    if (o->mode == OQ_MODE_DYNAMIC && nd->op != OQ_OP_Gemm)
        return false;
    uint32_t x = nd->in[0];
    if (x == OQ_NONE || g->values[x].dtype != OQ_DT_FLOAT || g->values[x].data)
        return false;
    const oq_shape *ws = &g->values[nd->in[1]].shape, *xs = &g->values[x].shape;
    int64_t M;
    memset(L, 0, sizeof *L);
    L->node = n;
    L->x = x;
    L->kh = L->kw = L->sh = L->sw = L->dh = L->dw = 1;
    if (nd->op == OQ_OP_Gemm) {
        if (ws->rank != 2 || xs->rank != 2 || ir_attr_i(nd, OQ_A_Gemm_transA) ||
            ir_attr_f(nd, OQ_A_Gemm_alpha) != 1 || ir_attr_f(nd, OQ_A_Gemm_beta) != 1)
            return false;
        bool tb = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
        M = ws->dim[tb ? 0 : 1];
        L->C = ws->dim[tb ? 1 : 0];
        L->taps = 1;
        L->oh = L->ow = 1;
    } else {
        if ((ws->rank != 3 && ws->rank != 4) || xs->rank != ws->rank)
            return false;
        oq_conv_geom geo;
        oq_diag tmp = {0};
        if (ir_conv_geom(g, n, &geo, &tmp) != OQ_OK)
            return false;
        M = ws->dim[0];
        L->C = xs->dim[1];
        int two = geo.nsp == 2;
        L->kh = two ? geo.k[0] : 1;
        L->kw = geo.k[two];
        L->sh = two ? geo.stride[0] : 1;
        L->sw = geo.stride[two];
        L->dh = two ? geo.dil[0] : 1;
        L->dw = geo.dil[two];
        L->ph = two ? geo.pad[0] : 0;
        L->pw = geo.pad[two];
        L->oh = two ? geo.out[0] : 1;
        L->ow = geo.out[two];
        L->taps = L->kh * L->kw;
        if (L->oh <= 0 || L->ow <= 0 || ws->dim[1] * geo.group != L->C)
            return false;
    }
    uint32_t b = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    if (b != OQ_NONE && (!const_f32(g, b) || g->values[b].shape.rank != 1 ||
                         g->values[b].shape.dim[0] != M))
        return false;
    return M > 0 && L->C > 0;
}

/* Finds the layers to correct (candidate()) and zeroes their sums; NOMEM on failure. */
oq_status oq_biascorr_new(const oq_graph *g, const oq_options *o, oq_biascorr **out,
                          oq_diag *d)
{
    oq_options def = {0};
    if (!o)
        o = &def;
    oq_biascorr *b = calloc(1, sizeof *b);
    if (!b || !(b->l = calloc(g->nnode + 1, sizeof *b->l)) ||
        !(b->first = malloc((g->nvalue + 1) * sizeof *b->first))) {
        oq_biascorr_free(b);
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    b->nvalue = g->nvalue;
    for (uint32_t v = 0; v < g->nvalue; v++)
        b->first[v] = OQ_NONE;
    for (uint32_t n = 0; n < g->nnode; n++) {
        bc_layer *L = &b->l[b->nl];
        if (!candidate(g, n, o, L))
            continue;
        L->sum = calloc((size_t)(L->C * L->taps), sizeof *L->sum);
        if (!L->sum) {
            oq_biascorr_free(b);
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
        }
        L->next = b->first[L->x];
        b->first[L->x] = b->nl++;
    }
    *out = b;
    return OQ_OK;
}

/* Frees b and its interpreter (NULL is fine). */
void oq_biascorr_free(oq_biascorr *b)
{
    if (!b)
        return;
    for (uint32_t i = 0; b->l && i < b->nl; i++)
        free(b->l[i].sum);
    oq_interp_free(b->it);
    free(b->l);
    free(b->first);
    free(b);
}

/* Adds the tap sums of input tensor t ([B, C, (H,) W] or [B, K]) to L. */
static void accumulate(bc_layer *L, const oq_rt_tensor *t)
{
    const float *x = t->data;
    int64_t B = t->shape.dim[0];
    if (t->shape.rank == 2) {                     /* Gemm */
        for (int64_t bi = 0; bi < B; bi++)
            for (int64_t k = 0; k < L->C; k++)
                L->sum[k] += x[bi * L->C + k];
        L->count += (double)B;
        return;
    }
    int64_t H = t->shape.rank == 4 ? t->shape.dim[2] : 1, W = t->shape.dim[t->shape.rank - 1];
    for (int64_t bi = 0; bi < B; bi++)
        for (int64_t c = 0; c < L->C; c++) {
            const float *xc = x + (bi * L->C + c) * H * W;
            for (int64_t i = 0; i < L->kh; i++)
                for (int64_t j = 0; j < L->kw; j++) {
                    double s = 0;
                    for (int64_t oy = 0; oy < L->oh; oy++) {
                        int64_t iy = oy * L->sh + i * L->dh - L->ph;
                        if (iy < 0 || iy >= H)
                            continue;
                        const float *row = xc + iy * W;
                        for (int64_t ox = 0; ox < L->ow; ox++) {
                            int64_t ix = ox * L->sw + j * L->dw - L->pw;
                            if (ix >= 0 && ix < W)
                                s += row[ix];
                        }
                    }
                    L->sum[c * L->taps + i * L->kw + j] += s;
                }
        }
    L->count += (double)B * (double)(L->oh * L->ow);
}

/* Accumulates tensor t of value v into every layer reading v. */
static void observe(oq_biascorr *b, uint32_t v, const oq_rt_tensor *t)
{
    if (v == OQ_NONE || v >= b->nvalue || t->dtype != OQ_DT_FLOAT || !t->data)
        return;
    for (uint32_t i = b->first[v]; i != OQ_NONE; i = b->l[i].next)
        accumulate(&b->l[i], t);
}

/* Interpreter hook: observes every node output. */
static bool hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nout; i++)
        observe(ctx, nd->out[i], &outs[i]);
    return true;
}

/* One float run over in[] (graph must be unchanged since new). */
oq_status oq_biascorr_feed(oq_biascorr *b, const oq_graph *g, const oq_rt_tensor *in,
                           oq_diag *d)
{
    if (g->nvalue != b->nvalue)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL,
                         "bias-correction state is for another graph");
    oq_status st;
    if (!b->it && (st = oq_interp_new(g, &b->it, d)) != OQ_OK)
        return st;
    for (uint32_t i = 0; i < g->ninput; i++)
        observe(b, g->inputs[i], &in[i]);
    oq_rt_tensor outs[64];
    oq_rt_tensor *op = g->noutput <= 64 ? outs : malloc(g->noutput * sizeof *op);
    if (!op)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    st = oq_interp_run(b->it, in, op, hook, b, d);
    if (op != outs)
        free(op);
    if (st == OQ_OK)
        b->nsamples++;
    return st;
}

/* Dequantized weights as oq_quantize makes them (quantize.c: quantize_weights), into wq. */
static oq_status fake_quant(const oq_graph *g, const oq_node *nd, const oq_options *o,
                            float *wq, oq_diag *d)
{
    const oq_value *W = &g->values[nd->in[1]];
    int axis = o->per_tensor ? -1 : ir_weight_axis(g, nd);
    uint32_t C = axis >= 0 ? (uint32_t)W->shape.dim[axis] : 1;
    oq_observer ob;
    oq_status st = oq_observer_init(&ob, OQ_OBS_MINMAX, axis, C, d);
    if (st != OQ_OK)
        return st;
    ob.vt->observe(&ob, W->data, &W->shape);
    float *sc = malloc(C * (sizeof(float) + sizeof(int32_t)));
    if (!sc) {
        oq_observer_free(&ob);
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    const oq_qscheme w8 = {OQ_DT_INT8, true, false, true};
    st = oq_observer_qparams(&ob, &w8, sc, (int32_t *)(sc + C), d);
    oq_observer_free(&ob);
    if (st == OQ_OK) {
        int64_t n = oq_shape_numel(&W->shape), inner = 1;
        for (int i = axis + 1; axis >= 0 && i < W->shape.rank; i++)
            inner *= W->shape.dim[i];
        const float *w = W->data;
        for (int64_t i = 0; i < n; i++) {
            float s = sc[axis >= 0 ? (i / inner) % C : 0];
            float r = nearbyintf(w[i] / s);
            wq[i] = (r < -127.0f ? -127.0f : r > 127.0f ? 127.0f : r) * s;
        }
    }
    free(sc);
    return st;
}

/* Corrects the bias of layer L; *shift gets the largest |correction|. */
static oq_status correct(const bc_layer *L, oq_graph *g,
                         const oq_options *o, double *shift, oq_diag *d)
{
    const oq_node *nd = &g->nodes[L->node];
    const oq_shape *ws = &g->values[nd->in[1]].shape;
    int64_t nw = oq_shape_numel(ws);
    bool gemm = nd->op == OQ_OP_Gemm, tb = gemm && ir_attr_i(nd, OQ_A_Gemm_transB);
    int64_t M = gemm ? ws->dim[tb ? 0 : 1] : ws->dim[0];
    float *wq = malloc((size_t)(nw + M) * sizeof *wq);
    if (!wq)
        return oq_errorf(d, g, L->node, OQ_ERR_NOMEM, "out of memory");
    float *nb = wq + nw;
    oq_status st = fake_quant(g, nd, o, wq, d);
    if (st != OQ_OK) {
        free(wq);
        return st;
    }
    const float *w = g->values[nd->in[1]].data;
    uint32_t bv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    const float *b0 = bv != OQ_NONE ? g->values[bv].data : NULL;
    int64_t Cg = gemm ? L->C : ws->dim[1], per = gemm ? M : M / (L->C / Cg);
    for (int64_t n = 0; n < M; n++) {
        double e = 0;
        if (gemm) {
            for (int64_t k = 0; k < L->C; k++) {
                int64_t i = tb ? n * L->C + k : k * M + n;
                e += ((double)wq[i] - w[i]) * L->sum[k];
            }
        } else {
            int64_t c0 = (n / per) * Cg;           /* first input channel of n's group */
            for (int64_t j = 0; j < Cg; j++)
                for (int64_t t = 0; t < L->taps; t++) {
                    int64_t i = (n * Cg + j) * L->taps + t;
                    e += ((double)wq[i] - w[i]) * L->sum[(c0 + j) * L->taps + t];
                }
        }
        e /= L->count;
        nb[n] = (float)((b0 ? b0[n] : 0.0) - e);
        *shift = fmax(*shift, fabs(e));
    }
    char base[300];
    snprintf(base, sizeof base, "%.240s_biascorr", bv != OQ_NONE ? g->values[bv].name : nd->name);
    oq_shape bs = {.rank = 1, .dim = {M}};
    uint32_t nbv = oq_add_const(g, base, OQ_DT_FLOAT, &bs, nb);
    free(wq);
    if (nbv == OQ_NONE)
        return oq_errorf(d, g, L->node, OQ_ERR_NOMEM, "out of memory");
    oq_node *p = &g->nodes[L->node];
    if (p->nin > 2) {
        p->in[2] = nbv;
        return OQ_OK;
    }
    uint32_t *ni = oq_arena_alloc(&g->arena, 3 * sizeof *ni);
    if (!ni)
        return oq_errorf(d, g, L->node, OQ_ERR_NOMEM, "out of memory");
    ni[0] = p->in[0];
    ni[1] = p->in[1];
    ni[2] = nbv;
    p->in = ni;
    p->nin = 3;
    return OQ_OK;
}

/* Replaces each observed layer's bias; leaves a verified graph (oq_pass_finish). */
oq_status oq_biascorr_apply(oq_biascorr *b, oq_graph *g, const oq_options *o,
                            oq_diag *d)
{
    oq_options def = {0};
    if (!o)
        o = &def;
    if (g->nvalue != b->nvalue)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL,
                         "bias-correction state is for another graph");
    if (b->nsamples == 0)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "bias correction: no samples were fed");
    oq_interp_free(b->it);     /* the graph changes below */
    b->it = NULL;
    double shift = 0;
    for (uint32_t i = 0; i < b->nl; i++) {
        if (!(b->l[i].count > 0))
            continue;
        oq_status st = correct(&b->l[i], g, o, &shift, d);
        if (st != OQ_OK)
            return st;
    }
    return oq_pass_finish(g, o, d);
}

static oq_status feed_cb(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    return oq_biascorr_feed(ctx, g, in, d);
}

/* new + feed over the calibration samples (oq_for_each_sample) + apply. */
oq_status oq_bias_correct(oq_graph *g, const oq_calib_data *data, const oq_options *o,
                          oq_diag *d)
{
    oq_biascorr *b = NULL;
    oq_status st = oq_biascorr_new(g, o, &b, d);
    if (st == OQ_OK)
        st = oq_for_each_sample(g, data, o ? o->calib_limit : 0, NULL, NULL, feed_cb, b, d);
    if (st == OQ_OK)
        st = oq_biascorr_apply(b, g, o, d);
    oq_biascorr_free(b);
    return st;
}
