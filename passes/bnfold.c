/* BatchNormalization folding. y = (x - mean) / sqrt(var + eps) * scale + B = a*x + c per channel
 * (axis 1). When x comes from a Conv, ConvTranspose or Gemm whose only use is this BN (and every
 * BN parameter is constant), a and c go into that node's weight and bias as new constants (the
 * old ones may be shared); otherwise the BN becomes Mul(x, a) then Add(., c) with a, c shaped
 * [C, 1, ...] to broadcast over axis 1. Numbers are computed in double, stored as float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static bool is_const_f32(const oq_graph *g, uint32_t v)
{
    return v != OQ_NONE && g->values[v].data && g->values[v].dtype == OQ_DT_FLOAT;
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
        const oq_node *p = pn != OQ_NONE ? &g->nodes[pn] : NULL;
        chan_fn ch = NULL;
        if (p && !p->dead && oq_use_count(g, x) == 1 && p->nin >= 2 && is_const_f32(g, p->in[1]) &&
            (p->nin < 3 || p->in[2] == OQ_NONE ||
             (is_const_f32(g, p->in[2]) && oq_shape_numel(&g->values[p->in[2]].shape) == C))) {
            const oq_shape *ws = &g->values[p->in[1]].shape;
            if (p->op == OQ_OP_Conv && ws->dim[0] == C)
                ch = conv_ch;
            else if (p->op == OQ_OP_ConvTranspose &&
                     ws->dim[1] * ir_attr_i(p, OQ_A_Conv_group) == C)
                ch = convt_ch;
            else if (p->op == OQ_OP_Gemm && ws->rank == 2 &&
                     ws->dim[ir_attr_i(p, OQ_A_Gemm_transB) ? 0 : 1] == C && xs->rank == 2)
                ch = gemm_ch;
        }
        oq_status st = ch ? fold_into(g, pn, n, C, a, c, ch, d) : to_mul_add(g, n, C, a, c, d);
        free(a);
        if (st != OQ_OK)
            return st;
    }
    return oq_pass_finish(g, o, d);
}
