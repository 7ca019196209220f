/* lnfuse: the decomposed LayerNormalization (PyTorch's export below opset 17, and most
 * converters) becomes one LayerNormalization node:
 *   m = ReduceMean(x, axes), d = Sub(x, m), v = ReduceMean(Pow(d, 2), axes),
 *   y = Div(d, Sqrt(Add(v, eps)))  [, y = Mul(y, gamma)]  [, y = Add(y, beta)]
 * with axes the trailing dims of x from some axis on (keepdims=1), eps, 2, gamma and beta
 * float constants (gamma and beta of X[axis:]'s shape, leading 1s allowed), and every
 * intermediate used only inside the pattern. The last node of the pattern becomes the
 * LayerNormalization (keeping its output and name); a missing gamma is a constant of ones.
 * The fused op computes its statistics in double (runtime/f32/ops/norm.c), so results differ
 * from the float chain in the last bits, as ONNX Runtime's own fusion does. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

/* The float constant scalar (one element) v into *f. */
static bool const_scalar(const oq_graph *g, uint32_t v, float *f)
{
    if (v == OQ_NONE || !g->values[v].data || g->values[v].dtype != OQ_DT_FLOAT ||
        oq_shape_numel(&g->values[v].shape) != 1)
        return false;
    *f = *(const float *)g->values[v].data;
    return true;
}

/* The one live node using v, if it has op `op` and v is not a graph output; else OQ_NONE. */
static uint32_t sole_user(const oq_graph *g, uint32_t v, oq_op op)
{
    const oq_value *x = &g->values[v];
    if (x->is_output || oq_use_count(g, v) != 1)
        return OQ_NONE;
    for (uint32_t i = 0; i < x->nuse; i++) {
        const oq_node *u = &g->nodes[x->uses[i]];
        if (!u->dead)
            return u->op == op ? x->uses[i] : OQ_NONE;
    }
    return OQ_NONE;
}

/* The input of binary node n that is not v (OQ_NONE unless exactly one of them is v). */
static uint32_t other(const oq_node *n, uint32_t v)
{
    if (n->nin != 2 || (n->in[0] == v) == (n->in[1] == v))
        return OQ_NONE;
    return n->in[0] == v ? n->in[1] : n->in[0];
}

/* The first reduced axis of ReduceMean node n when it reduces the trailing dims of its input
 * from that axis on with keepdims=1; -1 otherwise. */
static int trailing_axis(const oq_graph *g, const oq_node *n)
{
    const oq_value *x = &g->values[n->in[0]];
    int r = x->shape.rank;
    uint32_t a = n->nin > 1 ? n->in[1] : OQ_NONE;
    if (r < 1 || !ir_attr_i(n, OQ_A_ReduceMean_keepdims) || a == OQ_NONE || !g->values[a].data)
        return -1;
    int64_t na = oq_shape_numel(&g->values[a].shape);
    bool red[OQ_MAX_RANK] = {false};
    for (int64_t i = 0; i < na; i++) {
        int64_t ax = oq_elem_i64(g->values[a].data, g->values[a].dtype, i);
        ax += ax < 0 ? r : 0;
        if (ax < 0 || ax >= r || red[ax])
            return -1;
        red[ax] = true;
    }
    if (na < 1 || na > r)
        return -1;
    for (int k = r - (int)na; k < r; k++)
        if (!red[k])
            return -1;
    return r - (int)na;
}

/* True if constant float v has the shape of x's dims [axis, rank) (leading 1s allowed). */
static bool param_fits(const oq_graph *g, uint32_t v, uint32_t x, int axis)
{
    const oq_shape *s = &g->values[v].shape, *xs = &g->values[x].shape;
    if (!g->values[v].data || g->values[v].dtype != OQ_DT_FLOAT || s->rank > xs->rank)
        return false;
    for (int i = 0; i < s->rank; i++) {
        int xi = xs->rank - s->rank + i;
        int64_t want = xi >= axis ? xs->dim[xi] : 1;
        if (s->dim[i] != want)
            return false;
    }
    return true;
}

typedef struct ln_match {
    uint32_t x, gamma, beta, last;  /* input, constants (beta OQ_NONE if none), final node */
    uint32_t dead[8];               /* the other nodes of the pattern */
    int ndead, axis;
    float eps;
} ln_match;

/* Matches the pattern starting at ReduceMean node n; true with *m filled. Requires uses. */
static bool match(const oq_graph *g, uint32_t n, ln_match *m)
{
    const oq_node *rm = &g->nodes[n];
    uint32_t x = rm->in[0];
    int axis = trailing_axis(g, rm);
    if (axis < 0 || g->values[x].dtype != OQ_DT_FLOAT)
        return false;
    m->x = x, m->axis = axis, m->ndead = 0, m->beta = OQ_NONE;
    m->dead[m->ndead++] = n;
    uint32_t sub = sole_user(g, rm->out[0], OQ_OP_Sub);
    if (sub == OQ_NONE || g->nodes[sub].in[0] != x || g->nodes[sub].in[1] != rm->out[0])
        return false;
    m->dead[m->ndead++] = sub;
    uint32_t d = g->nodes[sub].out[0], pw = OQ_NONE, dv = OQ_NONE;
    const oq_value *dvv = &g->values[d];
    if (dvv->is_output || oq_use_count(g, d) != 2)
        return false;
    for (uint32_t i = 0; i < dvv->nuse; i++) {
        const oq_node *u = &g->nodes[dvv->uses[i]];
        if (u->dead)
            continue;
        if (u->op == OQ_OP_Pow && u->in[0] == d)
            pw = dvv->uses[i];
        else if (u->op == OQ_OP_Div && u->in[0] == d)
            dv = dvv->uses[i];
    }
    float two, eps;
    if (pw == OQ_NONE || dv == OQ_NONE || !const_scalar(g, g->nodes[pw].in[1], &two) || two != 2.0f)
        return false;
    m->dead[m->ndead++] = pw;
    uint32_t rv = sole_user(g, g->nodes[pw].out[0], OQ_OP_ReduceMean);
    if (rv == OQ_NONE || trailing_axis(g, &g->nodes[rv]) != axis)
        return false;
    m->dead[m->ndead++] = rv;
    uint32_t add = sole_user(g, g->nodes[rv].out[0], OQ_OP_Add);
    if (add == OQ_NONE || !const_scalar(g, other(&g->nodes[add], g->nodes[rv].out[0]), &eps) ||
        !(eps >= 0.0f))
        return false;
    m->dead[m->ndead++] = add;
    uint32_t sq = sole_user(g, g->nodes[add].out[0], OQ_OP_Sqrt);
    if (sq == OQ_NONE || sole_user(g, g->nodes[sq].out[0], OQ_OP_Div) != dv ||
        g->nodes[dv].in[1] != g->nodes[sq].out[0])
        return false;
    m->dead[m->ndead++] = sq;
    m->eps = eps, m->last = dv, m->gamma = OQ_NONE;
    uint32_t mul = sole_user(g, g->nodes[dv].out[0], OQ_OP_Mul);
    if (mul != OQ_NONE) {
        uint32_t gm = other(&g->nodes[mul], g->nodes[dv].out[0]);
        if (gm != OQ_NONE && param_fits(g, gm, x, axis)) {
            m->dead[m->ndead++] = dv;
            m->gamma = gm, m->last = mul;
            uint32_t ab = sole_user(g, g->nodes[mul].out[0], OQ_OP_Add);
            uint32_t b = ab != OQ_NONE ? other(&g->nodes[ab], g->nodes[mul].out[0]) : OQ_NONE;
            if (b != OQ_NONE && param_fits(g, b, x, axis)) {
                m->dead[m->ndead++] = mul;
                m->beta = b, m->last = ab;
            }
        }
    }
    return true;
}

/* A constant holding p (float, x's dims [axis, rank)), dense; OQ_NONE on NOMEM. gamma NULL: ones. */
static uint32_t dense_param(oq_graph *g, uint32_t x, int axis, const char *base, uint32_t p)
{
    const oq_shape *xs = &g->values[x].shape;
    oq_shape s = {xs->rank - axis, {0}};
    for (int i = axis; i < xs->rank; i++)
        s.dim[i - axis] = xs->dim[i];
    int64_t n = oq_shape_numel(&s);
    if (p != OQ_NONE && oq_shape_numel(&g->values[p].shape) == n &&
        g->values[p].shape.rank == s.rank)
        return p;
    float *f = malloc((size_t)(n > 0 ? n : 1) * sizeof *f);
    if (!f)
        return OQ_NONE;
    for (int64_t i = 0; i < n; i++)
        f[i] = p != OQ_NONE ? ((const float *)g->values[p].data)[i] : 1.0f;
    uint32_t r = oq_add_const(g, base, OQ_DT_FLOAT, &s, f);
    free(f);
    return r;
}

/* Rewrites the matched pattern: m->last becomes LayerNormalization(x, gamma[, beta]). */
static oq_status rewrite(oq_graph *g, const ln_match *m, oq_diag *d)
{
    char base[300];
    snprintf(base, sizeof base, "%s_scale", g->nodes[m->last].name);
    uint32_t gm = dense_param(g, m->x, m->axis, base, m->gamma);
    snprintf(base, sizeof base, "%s_bias", g->nodes[m->last].name);
    uint32_t bt = m->beta != OQ_NONE ? dense_param(g, m->x, m->axis, base, m->beta) : OQ_NONE;
    uint32_t *in = oq_arena_alloc(&g->arena, 3 * sizeof *in);
    if (gm == OQ_NONE || (m->beta != OQ_NONE && bt == OQ_NONE) || !in)
        return oq_errorf(d, g, m->last, OQ_ERR_NOMEM, "out of memory");
    oq_node *ln = &g->nodes[m->last];
    in[0] = m->x, in[1] = gm, in[2] = bt;
    ln->in = in;
    ln->nin = bt != OQ_NONE ? 3 : 2;
    ln->op = OQ_OP_LayerNormalization;
    ln->op_type = "LayerNormalization";
    ln->domain = "";
    ln->attr = NULL;
    ln->nattr = 0;
    oq_attr *ax = ir_attr_add(g, m->last, "axis", OQ_ATTR_INT);
    if (!ax)
        return oq_errorf(d, g, m->last, OQ_ERR_NOMEM, "out of memory");
    ax->i = m->axis;
    oq_attr *ep = ir_attr_add(g, m->last, "epsilon", OQ_ATTR_FLOAT);
    if (!ep)
        return oq_errorf(d, g, m->last, OQ_ERR_NOMEM, "out of memory");
    ep->f = m->eps;
    for (int i = 0; i < m->ndead; i++)
        g->nodes[m->dead[i]].dead = true;
    return OQ_OK;
}

oq_status pass_lnfuse(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    for (uint32_t n = 0; n < g->nnode; n++) {
        ln_match m;
        if (g->nodes[n].dead || g->nodes[n].op != OQ_OP_ReduceMean || !match(g, n, &m))
            continue;
        oq_status st = rewrite(g, &m, d);
        if (st != OQ_OK)
            return st;
        ir_fill_uses(g);
    }
    return oq_pass_finish(g, o, d);
}
