/* Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization", sec. 4.1), option
 * `equalize`. For a pair L1 -> [act/pool chain] -> L2 of Conv/Gemm nodes with constant float
 * weights, output channel c of L1 (weights and bias) is divided by s_c and input channel c of L2
 * multiplied by s_c, s_c = sqrt(r1_c * r2_c) / r2_c (r = max |w| of the channel), which makes
 * r1_c == r2_c, so per-tensor int8 weights lose less. Pairs are rescaled in turn until every
 * s_c is within 1e-4 of 1 (at most 100 sweeps; chains L1 -> L2 -> L3 need several).
 * Between L1 and L2 only single-use ops that commute with a positive per-channel scale may sit:
 * Relu, LeakyRelu, MaxPool, AveragePool, GlobalAveragePool, Flatten (axis 1, then L2 is a Gemm),
 * or nothing, so the float function is kept (up to rounding). Clip(x, 0, hi) (Relu6) does not
 * commute (the bound would become hi / s_c per channel). With o->samples such pairs are
 * equalized under a constraint that keeps the function exact on those samples: with m_c the
 * largest input of the Clip in channel c, a channel with m_c > hi / 2 is not rescaled, the
 * others keep m_c / S_c <= hi / 2 (S_c the product of its scales; the factor 2 is headroom for
 * inputs beyond the calibration range, see CLIP_MARGIN). Without samples they are skipped,
 * unless o->equalize_relu6, which (as the paper does for MobileNetV2) replaces the Clip by Relu
 * and so changes the float function wherever the input exceeded hi; a warning gives the count.
 * Channels with a zero range keep s_c = 1. Modified weights and biases become new constants (the
 * old may be shared). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

typedef struct layer {
    uint32_t node;             /* Conv or Gemm node id */
    float *w;                  /* working copy of the weight (malloc) */
    float *b;                  /* working copy of the bias, NULL when the node has none */
    int64_t nw;                /* weight elements */
    bool touched;              /* rescaled at least once */
} layer;

typedef struct pair {
    uint32_t l1, l2;           /* indices into the layer array */
    int64_t C;                 /* channels between them (L1's output channels) */
    int64_t inner;             /* L2 input features per channel (Flatten: H*W; else 1) */
    uint32_t clips[16];        /* Clip(0, hi) nodes of the chain */
    uint32_t nclip;
    double *cap;               /* data mode, per channel: the smallest allowed S_c (inf: a Clip
                                  fired, never rescale); NULL = unconstrained */
    double *S;                 /* data mode: product of the scales applied to each channel */
} pair;

typedef struct eq {
    oq_graph *g;
    layer *l;                  /* layers (nl), indexed by lix[node] */
    uint32_t nl;
    uint32_t *lix;             /* node id -> layer index or OQ_NONE */
    pair *p;                   /* pairs (np) */
    uint32_t np;
} eq;

/* Constant float data of v, NULL otherwise. */
static const float *const_f32(const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE || !g->values[v].data || g->values[v].dtype != OQ_DT_FLOAT)
        return NULL;
    return g->values[v].data;
}

/* Conv (rank >= 3 weight) or Gemm (transA 0, alpha = beta = 1) with constant float weight and
 * an absent or constant [M] bias; M (output channels) into *M. */
static bool weight_layer(const oq_graph *g, uint32_t n, int64_t *M)
{
    const oq_node *nd = &g->nodes[n];
    if (nd->dead || (nd->op != OQ_OP_Conv && nd->op != OQ_OP_Gemm) || nd->nin < 2 ||
        nd->nout != 1 || !const_f32(g, nd->in[1]) || nd->in[0] == OQ_NONE)
        return false;
    const oq_shape *ws = &g->values[nd->in[1]].shape;
    if (nd->op == OQ_OP_Conv) {
        if (ws->rank < 3)
            return false;
        *M = ws->dim[0];
    } else {
        if (ws->rank != 2 || ir_attr_i(nd, OQ_A_Gemm_transA) ||
            ir_attr_f(nd, OQ_A_Gemm_alpha) != 1 || ir_attr_f(nd, OQ_A_Gemm_beta) != 1)
            return false;
        *M = ws->dim[ir_attr_i(nd, OQ_A_Gemm_transB) ? 0 : 1];
    }
    uint32_t b = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    if (b != OQ_NONE && (!const_f32(g, b) || g->values[b].shape.rank != 1 ||
                         g->values[b].shape.dim[0] != *M))
        return false;
    return true;
}

/* Clip(x, 0, hi) with constant bounds, lower bound exactly 0. */
static bool relu6_like(const oq_graph *g, const oq_node *a)
{
    if (a->op != OQ_OP_Clip || a->nin < 2)
        return false;
    const float *lo = const_f32(g, a->in[1]);
    if (!lo || oq_shape_numel(&g->values[a->in[1]].shape) != 1 || *lo != 0.0f)
        return false;
    return a->nin < 3 || a->in[2] == OQ_NONE || const_f32(g, a->in[2]);
}

/* Follows the single-use chain from L1 node n1 (M output channels) to an L2 node; fills pr.
 * Clip(0, hi) is crossed only when cross_clip. Requires uses filled. */
static uint32_t find_l2(const oq_graph *g, uint32_t n1, int64_t M, bool cross_clip, pair *pr)
{
    uint32_t v = g->nodes[n1].out[0];
    pr->inner = 1;
    pr->nclip = 0;
    pr->cap = pr->S = NULL;
    for (int hops = 0; hops < 8; hops++) {
        if (v == OQ_NONE || g->values[v].is_output || oq_use_count(g, v) != 1)
            return OQ_NONE;
        uint32_t u = OQ_NONE;
        for (uint32_t i = 0; i < g->values[v].nuse; i++)
            if (!g->nodes[g->values[v].uses[i]].dead)
                u = g->values[v].uses[i];
        const oq_node *a = &g->nodes[u];
        const oq_shape *vs = &g->values[v].shape;
        int64_t M2;
        if ((a->op == OQ_OP_Conv || a->op == OQ_OP_Gemm) && a->in[0] == v && a->in[1] != v &&
            (a->nin < 3 || a->in[2] != v) && weight_layer(g, u, &M2)) {
            const oq_shape *ws = &g->values[a->in[1]].shape;
            if (a->op == OQ_OP_Conv)
                return pr->inner == 1 && ws->dim[1] * ir_attr_i(a, OQ_A_Conv_group) == M ? u
                                                                                       : OQ_NONE;
            int64_t K = ws->dim[ir_attr_i(a, OQ_A_Gemm_transB) ? 1 : 0];
            return K == M * pr->inner ? u : OQ_NONE;
        }
        if (pr->inner != 1 || a->in[0] != v)
            return OQ_NONE;     /* after a Flatten only the Gemm may follow */
        switch (a->op) {
        case OQ_OP_Clip:
            if (!cross_clip || !relu6_like(g, a) || pr->nclip == 16)
                return OQ_NONE;
            pr->clips[pr->nclip++] = u;
            break;
        case OQ_OP_Flatten: {
            if (ir_attr_i(a, OQ_A_Flatten_axis) != 1 || vs->rank < 2)
                return OQ_NONE;
            int64_t inner = oq_shape_numel(vs) / (vs->dim[0] * vs->dim[1]);
            if (inner <= 0)
                return OQ_NONE;
            pr->inner = inner;
            break;
        }
        default:            /* ops.def: a per-channel scale passes through (Relu, pools) */
            if (!(oq_op_info(a->op)->flags & OQ_OPF_CHSCALE))
                return OQ_NONE;
            if (a->nout > 1 && a->out[1] != OQ_NONE)
                return OQ_NONE;     /* MaxPool's indices output would not follow the scale */
            break;
        }
        if (a->nout < 1 || vs->rank < 2 || vs->dim[1] != M)
            return OQ_NONE;
        v = a->out[0];
    }
    return OQ_NONE;
}

/* Output channel c of layer L: multiplies its weights and bias by f (f == 1: no change) and
 * returns the channel's max |w| afterwards. */
static double out_apply(const oq_graph *g, layer *L, int64_t c, float f)
{
    const oq_node *nd = &g->nodes[L->node];
    const oq_shape *ws = &g->values[nd->in[1]].shape;
    double r = 0;
    int64_t start, step, cnt;
    if (nd->op == OQ_OP_Conv) {
        cnt = L->nw / ws->dim[0];
        start = c * cnt;
        step = 1;
    } else if (ir_attr_i(nd, OQ_A_Gemm_transB)) {      /* [N, K]: row c */
        cnt = ws->dim[1];
        start = c * cnt;
        step = 1;
    } else {                                         /* [K, N]: column c */
        cnt = ws->dim[0];
        start = c;
        step = ws->dim[1];
    }
    for (int64_t i = 0, k = start; i < cnt; i++, k += step) {
        if (f != 1.0f)
            L->w[k] *= f;
        r = fmax(r, fabs((double)L->w[k]));
    }
    if (L->b && f != 1.0f)
        L->b[c] *= f;
    return r;
}

/* Input channel c of layer L (features c*inner .. (c+1)*inner - 1 for a Gemm after Flatten):
 * multiplies the weights reading it by f and returns their max |w| afterwards. */
static double in_apply(const oq_graph *g, layer *L, int64_t c, int64_t inner, float f)
{
    const oq_node *nd = &g->nodes[L->node];
    const oq_shape *ws = &g->values[nd->in[1]].shape;
    double r = 0;
    if (nd->op == OQ_OP_Conv) {        /* [N, Cg, k...], group G: channel c in group c / Cg */
        int64_t N = ws->dim[0], Cg = ws->dim[1], G = ir_attr_i(nd, OQ_A_Conv_group);
        int64_t ksz = L->nw / (N * Cg), per = N / G, grp = c / Cg, j = c % Cg;
        for (int64_t n = grp * per; n < (grp + 1) * per; n++) {
            float *w = L->w + (n * Cg + j) * ksz;
            for (int64_t k = 0; k < ksz; k++) {
                if (f != 1.0f)
                    w[k] *= f;
                r = fmax(r, fabs((double)w[k]));
            }
        }
        return r;
    }
    bool tb = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
    int64_t K = ws->dim[tb ? 1 : 0], N = ws->dim[tb ? 0 : 1];
    for (int64_t fi = c * inner; fi < (c + 1) * inner; fi++)
        for (int64_t n = 0; n < N; n++) {
            float *w = tb ? &L->w[n * K + fi] : &L->w[fi * N + n];
            if (f != 1.0f)
                *w *= f;
            r = fmax(r, fabs((double)*w));
        }
    return r;
}

/* Layer index of node n, creating the working copies on first use; OQ_NONE on NOMEM. */
static uint32_t get_layer(eq *e, uint32_t n)
{
    if (e->lix[n] != OQ_NONE)
        return e->lix[n];
    const oq_graph *g = e->g;
    const oq_node *nd = &g->nodes[n];
    layer *L = &e->l[e->nl];
    memset(L, 0, sizeof *L);
    L->node = n;
    L->nw = oq_shape_numel(&g->values[nd->in[1]].shape);
    L->w = malloc((size_t)L->nw * sizeof *L->w);
    if (!L->w)
        return OQ_NONE;
    memcpy(L->w, g->values[nd->in[1]].data, (size_t)L->nw * sizeof *L->w);
    uint32_t bv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    if (bv != OQ_NONE) {
        int64_t nb = g->values[bv].shape.dim[0];
        L->b = malloc((size_t)nb * sizeof *L->b);
        if (!L->b) {
            free(L->w);
            return OQ_NONE;
        }
        memcpy(L->b, g->values[bv].data, (size_t)nb * sizeof *L->b);
    }
    e->lix[n] = e->nl;
    return e->nl++;
}

/* One sweep over pair pr; returns max |s_c - 1|. r1/r2 are scratch [C]. Data mode: a channel
 * whose Clip fired keeps s = 1; the others keep S_c >= cap_c. */
static double rescale(eq *e, const pair *pr, double *r1, double *r2)
{
    layer *L1 = &e->l[pr->l1], *L2 = &e->l[pr->l2];
    double dev = 0;
    for (int64_t c = 0; c < pr->C; c++) {
        r1[c] = out_apply(e->g, L1, c, 1.0f);
        r2[c] = in_apply(e->g, L2, c, pr->inner, 1.0f);
        if (!(r1[c] > 0) || !(r2[c] > 0))
            continue;
        double s = sqrt(r1[c] * r2[c]) / r2[c];
        if (pr->cap) {
            if (isinf(pr->cap[c]))
                continue;
            if (pr->S[c] * s < pr->cap[c])
                s = pr->cap[c] / pr->S[c];
        }
        if (!isfinite(s) || fabs(s - 1.0) < 1e-7)
            continue;
        if (pr->S)
            pr->S[c] *= s;
        out_apply(e->g, L1, c, (float)(1.0 / s));
        in_apply(e->g, L2, c, pr->inner, (float)s);
        dev = fmax(dev, fabs(s - 1.0));
        L1->touched = L2->touched = true;
    }
    return dev;
}

/* Data mode: a channel is rescaled only if its largest calibration input m_c is at most
 * hi / CLIP_MARGIN, and only while m_c / S_c stays there too: inputs up to CLIP_MARGIN times
 * the calibration maximum then give the same output before and after. Channels never positive on
 * the samples are not amplified (S_c >= 1). */
#define CLIP_MARGIN 2.0

/* Data mode: per clip input value, the running per-channel max over the samples. */
typedef struct capctx {
    eq *e;
    uint32_t *slot;            /* value id -> index into mx, OQ_NONE if not a clip input */
    double **mx;               /* per clip input: [C] running max (-inf until seen) */
    oq_interp *it;             /* float interpreter over the graph, made on the first sample */
} capctx;

/* Interpreter hook: folds each clip input into its per-channel max (max over dims != 1). */
static bool cap_hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    capctx *k = ctx;
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nout; i++) {
        uint32_t v = nd->out[i];
        if (v == OQ_NONE || k->slot[v] == OQ_NONE || outs[i].dtype != OQ_DT_FLOAT)
            continue;
        const oq_shape *s = &outs[i].shape;
        const float *x = outs[i].data;
        int64_t C = s->dim[1], inner = oq_shape_numel(s) / (s->dim[0] * C);
        double *mx = k->mx[k->slot[v]];
        for (int64_t b = 0; b < s->dim[0]; b++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t j = 0; j < inner; j++)
                    mx[c] = fmax(mx[c], x[(b * C + c) * inner + j]);
    }
    return true;
}

/* Sample callback: one float run with cap_hook. */
static oq_status cap_feed(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    capctx *k = ctx;
    oq_status st = k->it ? OQ_OK : oq_interp_new(g, &k->it, d);
    oq_rt_tensor outs[64];
    oq_rt_tensor *op = g->noutput <= 64 ? outs : malloc(g->noutput * sizeof *op);
    if (st == OQ_OK && !op)
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK)
        st = oq_interp_run(k->it, in, op, cap_hook, k, d);
    if (op != outs)
        free(op);
    return st;
}

/* Data mode: runs the float graph on o->samples and fills cap[] of every pair with clips
 * (S[] = 1). No-op when no pair needs it. */
static oq_status clip_caps(eq *e, const oq_options *o, oq_diag *d)
{
    oq_graph *g = e->g;
    uint32_t nclip = 0;
    for (uint32_t i = 0; i < e->np; i++)
        nclip += e->p[i].cap ? e->p[i].nclip : 0;
    if (!nclip)
        return OQ_OK;
    capctx k = {.e = e};
    k.slot = malloc(g->nvalue * sizeof *k.slot);
    k.mx = calloc(nclip, sizeof *k.mx);
    oq_status st = OQ_OK;
    if (!k.slot || !k.mx) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory equalizing");
        goto out;
    }
    for (uint32_t v = 0; v < g->nvalue; v++)
        k.slot[v] = OQ_NONE;
    uint32_t j = 0;
    for (uint32_t i = 0; i < e->np; i++)
        for (uint32_t c = 0; e->p[i].cap && c < e->p[i].nclip; c++, j++) {
            uint32_t v = g->nodes[e->p[i].clips[c]].in[0];
            k.mx[j] = malloc((size_t)e->p[i].C * sizeof **k.mx);
            if (!k.mx[j]) {
                st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory equalizing");
                goto out;
            }
            for (int64_t ch = 0; ch < e->p[i].C; ch++)
                k.mx[j][ch] = -INFINITY;
            k.slot[v] = j;
        }
    if ((st = oq_for_each_sample(g, o->samples, o->calib_limit, NULL, NULL, cap_feed, &k,
                                 d)) != OQ_OK)
        goto out;
    j = 0;
    for (uint32_t i = 0; i < e->np; i++) {
        pair *pr = &e->p[i];
        for (int64_t ch = 0; pr->cap && ch < pr->C; ch++) {
            pr->cap[ch] = 0;
            pr->S[ch] = 1.0;
        }
        for (uint32_t c = 0; pr->cap && c < pr->nclip; c++, j++) {
            const oq_node *a = &g->nodes[pr->clips[c]];
            const float *hi = a->nin > 2 ? const_f32(g, a->in[2]) : NULL;
            for (int64_t ch = 0; hi && ch < pr->C; ch++)
                pr->cap[ch] = CLIP_MARGIN * k.mx[j][ch] > *hi ? INFINITY
                            : k.mx[j][ch] <= 0 ? fmax(pr->cap[ch], 1.0)   /* never active: */
                            : fmax(pr->cap[ch], CLIP_MARGIN * k.mx[j][ch] / *hi); /* no gain */
        }
    }
out:
    oq_interp_free(k.it);
    for (uint32_t i = 0; k.mx && i < nclip; i++)
        free(k.mx[i]);
    free(k.mx);
    free(k.slot);
    return st;
}

/* Writes the working copies of touched layers back as new constants. */
static oq_status write_back(eq *e, oq_diag *d)
{
    oq_graph *g = e->g;
    for (uint32_t i = 0; i < e->nl; i++) {
        layer *L = &e->l[i];
        if (!L->touched)
            continue;
        oq_node *nd = &g->nodes[L->node];
        char base[300];
        snprintf(base, sizeof base, "%.240s_cle", g->values[nd->in[1]].name);
        uint32_t wv = oq_add_const(g, base, OQ_DT_FLOAT, &g->values[nd->in[1]].shape, L->w);
        uint32_t bv = OQ_NONE;
        nd = &g->nodes[L->node];
        if (L->b) {
            snprintf(base, sizeof base, "%.240s_cle", g->values[nd->in[2]].name);
            bv = oq_add_const(g, base, OQ_DT_FLOAT, &g->values[nd->in[2]].shape, L->b);
        }
        if (wv == OQ_NONE || (L->b && bv == OQ_NONE))
            return oq_errorf(d, g, L->node, OQ_ERR_NOMEM, "out of memory equalizing");
        nd = &g->nodes[L->node];
        nd->in[1] = wv;
        if (L->b)
            nd->in[2] = bv;
    }
    return OQ_OK;
}

/* Requires a graph after bnfold (biases folded); keeps topological order. No-op unless
 * o->equalize. */
oq_status pass_equalize(oq_graph *g, const oq_options *o, oq_diag *d)
{
    if (!o || !(o->equalize || o->equalize_relu6))
        return OQ_OK;
    ir_fill_uses(g);
    eq e = {.g = g};
    uint32_t nn = g->nnode;
    oq_status st = OQ_OK;
    e.l = malloc((size_t)(2 * nn + 1) * sizeof *e.l);
    e.lix = malloc((size_t)(nn + 1) * sizeof *e.lix);
    e.p = malloc((size_t)(nn + 1) * sizeof *e.p);
    double *r = NULL;
    int64_t maxC = 1;
    if (!e.l || !e.lix || !e.p)
        goto nomem;
    for (uint32_t n = 0; n < nn; n++)
        e.lix[n] = OQ_NONE;
    for (uint32_t n = 0; n < nn; n++) {
        int64_t M;
        if (!weight_layer(g, n, &M) || M <= 0)
            continue;
        pair pr;
        bool data = o->samples && !o->equalize_relu6 && g->ninput == 1;
        uint32_t n2 = find_l2(g, n, M, o->equalize_relu6 || data, &pr);
        if (n2 == OQ_NONE)
            continue;
        pr.C = M;
        pr.l1 = get_layer(&e, n);
        pr.l2 = pr.l1 == OQ_NONE ? OQ_NONE : get_layer(&e, n2);
        if (pr.l2 == OQ_NONE)
            goto nomem;
        if (data && pr.nclip) {
            pr.cap = malloc(2 * (size_t)M * sizeof *pr.cap);
            if (!pr.cap)
                goto nomem;
            pr.S = pr.cap + M;
        }
        e.p[e.np++] = pr;
        maxC = M > maxC ? M : maxC;
    }
    if ((st = clip_caps(&e, o, d)) != OQ_OK)
        goto out;
    r = malloc(2 * (size_t)maxC * sizeof *r);
    if (!r)
        goto nomem;
    for (int it = 0; it < 100; it++) {
        double dev = 0;
        for (uint32_t i = 0; i < e.np; i++)
            dev = fmax(dev, rescale(&e, &e.p[i], r, r + maxC));
        if (dev < 1e-4)
            break;
    }
    uint32_t nclip = 0;
    for (uint32_t i = 0; i < e.np && o->equalize_relu6; i++)
        for (uint32_t k = 0; k < e.p[i].nclip && e.l[e.p[i].l1].touched; k++) {
            oq_node *a = &g->nodes[e.p[i].clips[k]];
            a->op = OQ_OP_Relu;
            a->op_type = "Relu";
            a->nin = 1;
            nclip++;
        }
    if (nclip)
        oq_warnf(d, g, OQ_NONE, "equalize: %u Clip(x, 0, max) activations (Relu6) between "
                 "equalized layers became Relu (Nagel et al. 2019); the float model differs where "
                 "they clipped", nclip);
    st = write_back(&e, d);
    goto out;
nomem:
    st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory equalizing");
out:
    for (uint32_t i = 0; e.l && i < e.nl; i++) {
        free(e.l[i].w);
        free(e.l[i].b);
    }
    for (uint32_t i = 0; e.p && i < e.np; i++)
        free(e.p[i].cap);
    free(e.l);
    free(e.lix);
    free(e.p);
    free(r);
    return st == OQ_OK ? oq_pass_finish(g, o, d) : st;
}
