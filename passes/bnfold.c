/* BatchNormalization folding. y = (x - mean) / sqrt(var + eps) * scale + B = a*x + c per channel
 * (axis 1). When x comes from a Conv, ConvTranspose or Gemm whose only use is this BN (and every
 * BN parameter is constant), a and c go into that node's weight and bias as new constants (the
 * old ones may be shared); otherwise the BN becomes Mul(x, a) then Add(., c) with a, c shaped
 * [C, 1, ...] to broadcast over axis 1. Then scale-and-bias layers fold the same way: a Mul,
 * Div (x / k), Add or Sub by a constant that is a scalar or per channel (axis 1), reading the
 * only use of such a producer's output, goes into its weight and bias (again after the first
 * fold: Conv -> Mul -> Add is one Conv). Numbers are computed in double, stored as float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static bool is_const_f32(const oq_graph *g, uint32_t v)
{
    return v != OQ_NONE && g->values[v].data && g->values[v].dtype == OQ_DT_FLOAT;
}

static bool shape_eq(const oq_shape *a, const oq_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return false;
    return true;
}

/* a[c] and c[c] of BN node n (C channels); false if a parameter is not a constant [C]. */
static bool bn_coeffs(const oq_graph *g, const oq_node *bn, int64_t C, double *a, double *c)
{
    for (int i = 1; i < 5; i++)
        if (!is_const_f32(g, bn->in[i]) || oq_shape_numel(&g->values[bn->in[i]].shape) != C)
            return false;
    const float *sc = g->values[bn->in[1]].data, *b = g->values[bn->in[2]].data;
    const float *mean = g->values[bn->in[3]].data, *var = g->values[bn->in[4]].data;
    double eps = ir_attr_f(bn, OQ_A_BatchNormalization_epsilon);
    for (int64_t k = 0; k < C; k++) {
        a[k] = (double)sc[k] / sqrt((double)var[k] + eps);
        c[k] = (double)b[k] - (double)mean[k] * a[k];
    }
    return true;
}

/* Replaces weight input wi and bias input bi of node p: w'[.. ch ..] = w * a[ch], b' = b*a + c.
 * ch(i) maps flat weight index i to its output channel. */
typedef int64_t (*chan_fn)(const oq_graph *g, const oq_node *p, int64_t i);

static int64_t conv_ch(const oq_graph *g, const oq_node *p, int64_t i)
{
    const oq_shape *s = &g->values[p->in[1]].shape;        /* [M, C/g, k...] */
    int64_t per = oq_shape_numel(s) / s->dim[0];
    return i / per;
}

static int64_t convt_ch(const oq_graph *g, const oq_node *p, int64_t i)
{
    const oq_shape *s = &g->values[p->in[1]].shape;        /* [C, M/g, k...] */
    int64_t grp = ir_attr_i(p, OQ_A_Conv_group);
    int64_t inner = oq_shape_numel(s) / (s->dim[0] * s->dim[1]);
    int64_t cin = i / (s->dim[1] * inner), j = (i / inner) % s->dim[1];
    int64_t per_group_in = s->dim[0] / grp;
    return (cin / per_group_in) * s->dim[1] + j;
}

static int64_t gemm_ch(const oq_graph *g, const oq_node *p, int64_t i)
{
    const oq_shape *s = &g->values[p->in[1]].shape;
    return ir_attr_i(p, OQ_A_Gemm_transB) ? i / s->dim[1] : i % s->dim[1];
}

static oq_status fold_into(oq_graph *g, uint32_t pn, uint32_t bnn, int64_t C, const double *a,
                           const double *c, chan_fn ch, oq_diag *d)
{
    oq_node *p = &g->nodes[pn];
    uint32_t wv = p->in[1];
    int64_t nw = oq_shape_numel(&g->values[wv].shape);
    float *w = malloc((size_t)(nw + C) * sizeof *w);
    if (!w)
        return oq_errorf(d, g, pn, OQ_ERR_NOMEM, "out of memory folding BatchNormalization");
    float *b = w + nw;
    const float *w0 = g->values[wv].data;
    for (int64_t i = 0; i < nw; i++)
        w[i] = (float)((double)w0[i] * a[ch(g, p, i)]);
    uint32_t bv = p->nin > 2 ? p->in[2] : OQ_NONE;
    const float *b0 = bv != OQ_NONE ? g->values[bv].data : NULL;
    double beta = p->op == OQ_OP_Gemm ? ir_attr_f(p, OQ_A_Gemm_beta) : 1.0;
    for (int64_t k = 0; k < C; k++)
        b[k] = (float)((b0 ? beta * b0[k] : 0.0) * a[k] + c[k]);
    oq_shape bs = {.rank = 1, .dim = {C}};
    char base[256];
    snprintf(base, sizeof base, "%s_bnfold", g->values[wv].name);
    uint32_t nwv = oq_add_const(g, base, OQ_DT_FLOAT, &g->values[wv].shape, w);
    snprintf(base, sizeof base, "%s_bnfold_bias", p->name);
    uint32_t nbv = oq_add_const(g, base, OQ_DT_FLOAT, &bs, b);
    free(w);
    if (nwv == OQ_NONE || nbv == OQ_NONE)
        return oq_errorf(d, g, pn, OQ_ERR_NOMEM, "out of memory folding BatchNormalization");
    p = &g->nodes[pn];
    uint32_t in[3] = {p->in[0], nwv, nbv};
    uint32_t *ni = oq_arena_alloc(&g->arena, sizeof in);
    if (!ni)
        return oq_errorf(d, g, pn, OQ_ERR_NOMEM, "out of memory folding BatchNormalization");
    memcpy(ni, in, sizeof in);
    p->in = ni;
    p->nin = 3;
    if (p->op == OQ_OP_Gemm) {
        oq_attr *at = (oq_attr *)ir_attr_get(p, OQ_A_Gemm_beta);
        if (at) {
            at->type = OQ_ATTR_FLOAT;
            at->f = 1.0f;
        }
    }
    /* the BN output now comes from p */
    oq_node *bn = &g->nodes[bnn];
    uint32_t y = bn->out[0], x = p->out[0];
    p->out[0] = y;
    g->values[y].producer = pn;
    bn->dead = true;
    (void)x;                   /* x loses its producer and is dropped with the BN */
    return OQ_OK;
}

/* BN -> Mul + Add over axis 1. */
static oq_status to_mul_add(oq_graph *g, uint32_t bnn, int64_t C, const double *a,
                            const double *c, oq_diag *d)
{
    oq_node *bn = &g->nodes[bnn];
    uint32_t x = bn->in[0], y = bn->out[0];
    int r = g->values[x].shape.rank;
    oq_shape s = {.rank = r - 1};
    s.dim[0] = C;
    for (int i = 1; i < r - 1; i++)
        s.dim[i] = 1;
    float *buf = malloc(2 * (size_t)C * sizeof *buf);
    if (!buf)
        return oq_errorf(d, g, bnn, OQ_ERR_NOMEM, "out of memory lowering BatchNormalization");
    for (int64_t k = 0; k < C; k++) {
        buf[k] = (float)a[k];
        buf[C + k] = (float)c[k];
    }
    char base[256];
    snprintf(base, sizeof base, "%s_scale", bn->name);
    uint32_t av = oq_add_const(g, base, OQ_DT_FLOAT, &s, buf);
    snprintf(base, sizeof base, "%s_shift", bn->name);
    uint32_t cv = oq_add_const(g, base, OQ_DT_FLOAT, &s, buf + C);
    free(buf);
    snprintf(base, sizeof base, "%s_mul", g->nodes[bnn].name);
    const char *tn = ir_unique_name(g, base);
    uint32_t t = tn ? ir_add_value(g, tn, OQ_DT_FLOAT, &g->values[x].shape) : OQ_NONE;
    if (av == OQ_NONE || cv == OQ_NONE || t == OQ_NONE)
        return oq_errorf(d, g, bnn, OQ_ERR_NOMEM, "out of memory lowering BatchNormalization");
    const char *name = g->nodes[bnn].name;
    g->nodes[bnn].dead = true;
    uint32_t min[2] = {x, av}, aout[2] = {t, cv};
    char nm[256];
    snprintf(nm, sizeof nm, "%s_mul", name);
    if (ir_add_node(g, OQ_OP_Mul, nm, min, 2, &t, 1) == OQ_NONE ||
        ir_add_node(g, OQ_OP_Add, name, aout, 2, &y, 1) == OQ_NONE)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory lowering BatchNormalization");
    return OQ_OK;                /* new nodes sit at the end; oq_pass_finish re-sorts */
}

/* The channel map of producer pn of x (C channels on axis 1) when a per-channel affine map of x
 * folds into it (constant float weight, constant [C] bias or none, x its only output use). */
static chan_fn fold_target(const oq_graph *g, uint32_t pn, uint32_t x, int64_t C)
{
    const oq_node *p = pn != OQ_NONE ? &g->nodes[pn] : NULL;
    const oq_shape *xs = &g->values[x].shape;
    if (!p || p->dead || oq_use_count(g, x) != 1 || g->values[x].is_output || p->nin < 2 ||
        !is_const_f32(g, p->in[1]) ||
        !(p->nin < 3 || p->in[2] == OQ_NONE ||
          (is_const_f32(g, p->in[2]) && oq_shape_numel(&g->values[p->in[2]].shape) == C)))
        return NULL;
    const oq_shape *ws = &g->values[p->in[1]].shape;
    if (p->op == OQ_OP_Conv && ws->dim[0] == C)
        return conv_ch;
    if (p->op == OQ_OP_ConvTranspose && ws->dim[1] * ir_attr_i(p, OQ_A_Conv_group) == C)
        return convt_ch;
    if (p->op == OQ_OP_Gemm && ws->rank == 2 &&
        ws->dim[ir_attr_i(p, OQ_A_Gemm_transB) ? 0 : 1] == C && xs->rank == 2)
        return gemm_ch;
    return NULL;
}

/* y = a*x + c per channel for node n = Mul/Div/Add/Sub of activation input xi and a constant k
 * that is a scalar or spans only axis 1 of the output (rank r, C channels); false otherwise. */
static bool affine_of(const oq_graph *g, const oq_node *n, uint32_t xi, int64_t C, double *a,
                      double *c)
{
    uint32_t kv = n->in[1 - xi];
    if (!is_const_f32(g, kv))
        return false;
    const oq_shape *ks = &g->values[kv].shape;
    int r = g->values[n->out[0]].shape.rank;
    int64_t m = oq_shape_numel(ks);
    if (m != 1) {
        if (m != C || ks->rank > r)
            return false;
        bool spans = false;
        for (int i = 0; i < ks->rank; i++) {
            int j = r - ks->rank + i;
            if (ks->dim[i] != (j == 1 ? C : 1))
                return false;
            spans |= j == 1;
        }
        if (!spans)
            return false;
    }
    const float *k = g->values[kv].data;
    for (int64_t ch = 0; ch < C; ch++) {
        double v = k[m == 1 ? 0 : ch];
        switch (n->op) {
        case OQ_OP_Mul: a[ch] = v, c[ch] = 0; break;
        case OQ_OP_Div: a[ch] = 1.0 / v, c[ch] = 0; break;
        case OQ_OP_Add: a[ch] = 1, c[ch] = v; break;
        default: a[ch] = xi == 0 ? 1 : -1, c[ch] = xi == 0 ? -v : v; break;   /* Sub */
        }
        if (!isfinite(a[ch]) || !isfinite(c[ch]))
            return false;
    }
    return true;
}

/* Folds scale-and-bias nodes into their Conv / ConvTranspose / Gemm producer; *changed set. */
static oq_status fold_scale_bias(oq_graph *g, const oq_options *o, bool *changed, oq_diag *d)
{
    *changed = false;
    ir_fill_uses(g);
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead || (nd->op != OQ_OP_Mul && nd->op != OQ_OP_Div && nd->op != OQ_OP_Add &&
                         nd->op != OQ_OP_Sub) || (o && oq_pass_excluded(g, n, o)))
            continue;
        for (uint32_t xi = 0; xi < 2; xi++) {
            uint32_t x = nd->in[xi];
            if ((xi == 1 && nd->op == OQ_OP_Div) || g->values[x].data ||
                g->values[x].shape.rank < 2 || g->values[x].shape.dim[1] <= 0)
                continue;
            int64_t C = g->values[x].shape.dim[1];
            chan_fn ch = fold_target(g, g->values[x].producer, x, C);
            if (!ch || !shape_eq(&g->values[x].shape, &g->values[nd->out[0]].shape))
                continue;
            double *a = malloc(2 * (size_t)C * sizeof *a);
            if (!a)
                return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory folding '%s'", nd->name);
            oq_status st = OQ_OK;
            if (affine_of(g, nd, xi, C, a, a + C)) {
                st = fold_into(g, g->values[x].producer, n, C, a, a + C, ch, d);
                *changed = true;
            }
            free(a);
            if (st != OQ_OK)
                return st;
            break;
        }
        if (*changed)
            return OQ_OK;      /* uses changed: the caller calls again */
    }
    return OQ_OK;
}

oq_status pass_bnfold(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    uint32_t nn = g->nnode;
    for (uint32_t n = 0; n < nn; n++) {
        const oq_node *bn = &g->nodes[n];
        if (bn->dead || bn->op != OQ_OP_BatchNormalization)
            continue;
        for (uint32_t i = 1; i < bn->nout; i++)
            if (bn->out[i] != OQ_NONE && g->values[bn->out[i]].nuse)
                return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                                 "training outputs (running mean/var) are used");
        uint32_t x = bn->in[0];
        const oq_shape *xs = &g->values[x].shape;
        if (xs->rank < 2 || xs->dim[1] <= 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "input '%s' needs a known channel dim 1",
                             g->values[x].name);
        int64_t C = xs->dim[1];
        double *a = malloc(2 * (size_t)C * sizeof *a);
        if (!a)
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory folding BatchNormalization");
        double *c = a + C;
        if (!bn_coeffs(g, bn, C, a, c)) {
            free(a);
            continue;          /* non-constant statistics: the interpreter runs it as is */
        }
        uint32_t pn = g->values[x].producer;
        chan_fn ch = fold_target(g, pn, x, C);
        oq_status st = ch ? fold_into(g, pn, n, C, a, c, ch, d) : to_mul_add(g, n, C, a, c, d);
        free(a);
        if (st != OQ_OK)
            return st;
    }
    oq_status st = oq_pass_finish(g, o, d);
    for (bool changed = true; st == OQ_OK && changed;) {
        st = fold_scale_bias(g, o, &changed, d);
        if (st == OQ_OK && changed)
            st = oq_pass_finish(g, o, d);
    }
    return st;
}
