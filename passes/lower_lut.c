/* Lookup-table lowering (part of lower_int): DQ(xq) -> element-wise region -> Q  =>
 * QLinearLookup(xq, table, s_y, z_y). The region is one of eltregion.c (a tail and the members
 * it reads through the region's inside), its source the output of an activation
 * DequantizeLinear; scales and zero points per tensor, xq and y 8-bit. The table is computed
 * here by the interpreter itself: a small graph DQ -> the region's nodes -> Q over the 256
 * codes, so each entry is exactly what the QDQ graph gives for that code in `onnxq run`. The
 * region's nodes are left to dead-code elimination (another tail may still read them). The
 * quantizer asks the same machinery where the regions from a source are not constant, to
 * quantize that source only over that range (oq_elt_active_range). */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

typedef struct lut_ctx {
    oq_graph *g;
    oq_diag *d;
    const uint32_t *src;       /* eltregion.c: per node */
    const uint8_t *role;
    uint32_t *set;             /* nodes of the region being lowered, ascending */
    uint32_t nset;
    uint32_t *map;             /* g value -> value of the table graph (OQ_NONE) */
} lut_ctx;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The members tail t reads through the inside of its region (t included), sorted: topological. */
static void collect(lut_ctx *c, uint32_t t)
{
    c->nset = 0;
    c->set[c->nset++] = t;
    for (uint32_t k = 0; k < c->nset; k++) {
        const oq_node *nd = &c->g->nodes[c->set[k]];
        for (uint32_t i = 0; i < nd->nin; i++) {
            uint32_t v = nd->in[i], p = v == OQ_NONE ? OQ_NONE : c->g->values[v].producer;
            if (p == OQ_NONE || c->src[p] != c->src[t] || c->role[p] != OQ_ELT_INNER)
                continue;
            bool seen = false;
            for (uint32_t j = 0; j < c->nset && !seen; j++)
                seen = c->set[j] == p;
            if (!seen)
                c->set[c->nset++] = p;
        }
    }
    qsort(c->set, c->nset, sizeof *c->set, cmp_u32);
}

/* Value v of g in the table graph m: a constant shares g's data; a computed value must have been
 * mapped already. */
static uint32_t map_in(lut_ctx *c, oq_graph *m, uint32_t v)
{
    if (v == OQ_NONE)
        return OQ_NONE;
    if (c->map[v] != OQ_NONE)
        return c->map[v];
    const oq_value *x = &c->g->values[v];
    if (!x->data)
        return OQ_NONE;
    uint32_t id = ir_add_value(m, NULL, x->dtype, &x->shape);
    if (id != OQ_NONE)
        m->values[id].data = x->data;          /* borrowed: m dies first */
    c->map[v] = id;
    return id;
}

/* Adds a copy of node n of g to m (inputs mapped, output of shape s); false on NOMEM or an
 * input that cannot be mapped. */
static bool copy_node(lut_ctx *c, oq_graph *m, uint32_t n, const oq_shape *s, oq_dtype ydt)
{
    const oq_node *nd = &c->g->nodes[n];
    uint32_t in[8], y;
    if (nd->nin > 8)
        return false;
    for (uint32_t i = 0; i < nd->nin; i++) {
        in[i] = map_in(c, m, nd->in[i]);
        if (in[i] == OQ_NONE && nd->in[i] != OQ_NONE)
            return false;
    }
    if ((y = ir_add_value(m, NULL, ydt, s)) == OQ_NONE)
        return false;
    uint32_t k = ir_add_node(m, nd->op, nd->name, in, nd->nin, &y, 1);
    if (k == OQ_NONE)
        return false;
    nd = &c->g->nodes[n];
    m->nodes[k].attr = nd->attr;               /* borrowed, read-only */
    m->nodes[k].nattr = nd->nattr;
    m->nodes[k].op_type = nd->op_type;
    c->map[nd->out[0]] = y;
    return true;
}

/* Runs DQ -> c->set -> Q on the 256 codes into table; *ok false when the interpreter cannot
 * (the region then stays as it is). */
static oq_status build_table(lut_ctx *c, uint32_t dq, uint32_t q, uint8_t table[256], bool *ok)
{
    oq_graph *g = c->g;
    *ok = false;
    int32_t rank = 1;
    for (uint32_t k = 0; k < c->nset; k++) {
        const oq_node *nd = &g->nodes[c->set[k]];
        for (uint32_t i = 0; i < nd->nin; i++)
            if (nd->in[i] != OQ_NONE && g->values[nd->in[i]].shape.rank > rank)
                rank = g->values[nd->in[i]].shape.rank;
    }
    oq_shape s = {.rank = rank};
    for (int32_t i = 0; i < rank; i++)
        s.dim[i] = i == rank - 1 ? 256 : 1;
    uint8_t codes[256];
    for (int i = 0; i < 256; i++)
        codes[i] = (uint8_t)i;                 /* byte i: code i (uint8) or (int8_t)i */
    for (uint32_t v = 0; v < g->nvalue; v++)
        c->map[v] = OQ_NONE;
    oq_graph *m = oq_graph_new(NULL, NULL);
    oq_interp *it = NULL;
    if (!m)
        return oq_errorf(c->d, g, q, OQ_ERR_NOMEM, "out of memory building a lookup table");
    m->opset = g->opset;
    bool built = false;
    uint32_t xq = g->nodes[dq].in[0];
    uint32_t xv = ir_add_value(m, NULL, g->values[xq].dtype, &s);
    if (xv != OQ_NONE) {
        m->values[xv].data = codes;
        c->map[xq] = xv;
        built = copy_node(c, m, dq, &s, OQ_DT_FLOAT);
        for (uint32_t k = 0; built && k < c->nset; k++)
            built = copy_node(c, m, c->set[k], &s, OQ_DT_FLOAT);
        built = built && copy_node(c, m, q, &s, g->values[g->nodes[q].out[0]].dtype);
    }
    uint32_t y = built ? c->map[g->nodes[q].out[0]] : OQ_NONE;
    if (y != OQ_NONE && (m->outputs = oq_arena_alloc(&m->arena, sizeof(uint32_t)))) {
        m->outputs[m->noutput++] = y;
        m->values[y].is_output = true;
        oq_diag md = {0};
        oq_rt_tensor res;
        if (oq_interp_new(m, &it, &md) == OQ_OK && oq_interp_run(it, NULL, &res, NULL, NULL, &md) == OQ_OK &&
            oq_shape_numel(&res.shape) == 256) {
            memcpy(table, res.data, 256);
            *ok = true;
        }
    }
    oq_interp_free(it);
    oq_graph_free(m);
    return OQ_OK;
}

/* Per-tensor constant scale and zero point of Q/DQ node n (zero point required). */
static bool scalar_qp(const oq_graph *g, uint32_t n)
{
    const oq_node *nd = &g->nodes[n];
    if (nd->nin < 3 || nd->in[2] == OQ_NONE)
        return false;
    for (uint32_t i = 1; i < 3; i++)
        if (!g->values[nd->in[i]].data || oq_shape_numel(&g->values[nd->in[i]].shape) != 1)
            return false;
    return true;
}

static bool is_q8(oq_dtype t) { return t == OQ_DT_UINT8 || t == OQ_DT_INT8; }

/* The QuantizeLinear that alone reads tail t's output, or OQ_NONE. */
static uint32_t tail_q(const oq_graph *g, uint32_t t)
{
    const oq_value *y = &g->values[g->nodes[t].out[0]];
    uint32_t q = OQ_NONE, live = 0;
    for (uint32_t u = 0; u < y->nuse; u++)
        if (!g->nodes[y->uses[u]].dead)
            live++, q = y->uses[u];
    return live == 1 && !y->is_output && g->nodes[q].op == OQ_OP_QuantizeLinear ? q : OQ_NONE;
}

/* Lowers the region ending at tail t, if it sits between a DQ and a Q. */
static oq_status lower_tail(lut_ctx *c, uint32_t t, uint32_t *count)
{
    oq_graph *g = c->g;
    uint32_t q = tail_q(g, t), dq = g->values[c->src[t]].producer;
    if (q == OQ_NONE || dq == OQ_NONE || g->nodes[dq].dead ||
        g->nodes[dq].op != OQ_OP_DequantizeLinear || g->values[g->nodes[dq].in[0]].data ||
        !scalar_qp(g, dq) || !scalar_qp(g, q) || !is_q8(g->values[g->nodes[dq].in[0]].dtype) ||
        !is_q8(g->values[g->nodes[q].out[0]].dtype))
        return OQ_OK;
    collect(c, t);
    uint8_t table[256];
    bool ok;
    oq_status st = build_table(c, dq, q, table, &ok);
    if (st != OQ_OK || !ok)
        return st;
    oq_dtype ydt = g->values[g->nodes[q].out[0]].dtype;
    oq_shape ts = {1, {256}};
    char base[512];
    snprintf(base, sizeof base, "%.400s_table", g->values[g->nodes[q].out[0]].name);
    uint32_t tv = oq_add_const(g, base, ydt, &ts, table);
    if (tv == OQ_NONE)
        return oq_errorf(c->d, g, t, OQ_ERR_NOMEM, "out of memory lowering to a lookup table");
    const oq_node *Q = &g->nodes[q];
    uint32_t in[4] = {g->nodes[dq].in[0], tv, Q->in[1], Q->in[2]}, y = Q->out[0];
    if (ir_add_node(g, OQ_OP_QLinearLookup, g->nodes[t].name, in, 4, &y, 1) == OQ_NONE)
        return oq_errorf(c->d, g, t, OQ_ERR_NOMEM, "out of memory lowering to a lookup table");
    g->nodes[q].dead = true;   /* the region's nodes go with dead-code elimination */
    (*count)++;
    return OQ_OK;
}

/* See passes.h. */
oq_status oq_elt_active_range(oq_graph *g, const uint32_t *src, const uint8_t *role,
                              uint32_t nsrc, uint32_t s, float *lo, float *hi, oq_diag *d)
{
    uint32_t nn = nsrc < g->nnode ? nsrc : g->nnode;   /* nodes added since have no region */
    enum { N = 4096 };
    if (!(*lo < *hi))
        return OQ_OK;
    lut_ctx c = {.g = g, .d = d, .src = src, .role = role};
    c.map = malloc((g->nvalue + 1) * sizeof *c.map);
    float *x = malloc(N * sizeof *x);
    uint32_t *outs = malloc((g->nnode + 1) * sizeof *outs), nout = 0;
    oq_graph *m = oq_graph_new(NULL, NULL);
    oq_interp *it = NULL;
    oq_status st = OQ_OK;
    if (!c.map || !x || !outs || !m) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t v = 0; v < g->nvalue; v++)
        c.map[v] = OQ_NONE;
    for (int i = 0; i < N; i++)
        x[i] = *lo + (*hi - *lo) * (float)i / (float)(N - 1);
    int32_t rank = 1;
    for (uint32_t n = 0; n < nn; n++)
        if (src[n] == s && g->values[g->nodes[n].out[0]].shape.rank > rank)
            rank = g->values[g->nodes[n].out[0]].shape.rank;
    oq_shape sh = {.rank = rank};
    for (int32_t i = 0; i < rank; i++)
        sh.dim[i] = i == rank - 1 ? N : 1;
    m->opset = g->opset;
    uint32_t xv = ir_add_value(m, NULL, OQ_DT_FLOAT, &sh);
    if (xv == OQ_NONE)
        goto done;
    m->values[xv].data = x;
    c.map[s] = xv;
    for (uint32_t n = 0; n < nn; n++) {
        if (src[n] != s || g->nodes[n].dead)
            continue;
        if (!copy_node(&c, m, n, &sh, OQ_DT_FLOAT))
            goto done;         /* not evaluable here: the range stays */
        if (role[n] == OQ_ELT_TAIL)
            outs[nout++] = c.map[g->nodes[n].out[0]];
    }
    if (!nout || !(m->outputs = oq_arena_alloc(&m->arena, nout * sizeof(uint32_t))))
        goto done;
    for (uint32_t i = 0; i < nout; i++) {
        m->outputs[m->noutput++] = outs[i];
        m->values[outs[i]].is_output = true;
    }
    oq_rt_tensor *res = malloc(nout * sizeof *res);
    oq_diag md = {0};
    if (res && oq_interp_new(m, &it, &md) == OQ_OK &&
        oq_interp_run(it, NULL, res, NULL, NULL, &md) == OQ_OK) {
        int a = N - 1, b = 0;  /* every tail is constant on [lo, x[a]] and on [x[b], hi] */
        for (uint32_t k = 0; k < nout; k++) {
            const float *f = res[k].data;
            int i0 = 0, i1 = N - 1;
            while (i0 + 1 < N && f[i0 + 1] == f[0])
                i0++;
            while (i1 > 0 && f[i1 - 1] == f[N - 1])
                i1--;
            a = i0 < a ? i0 : a;
            b = i1 > b ? i1 : b;
        }
        if (a < b) {
            *lo = x[a];
            *hi = x[b];
        }
    }
    free(res);
done:
    oq_interp_free(it);
    oq_graph_free(m);
    free(c.map);
    free(x);
    free(outs);
    return st;
}

/* See passes.h. */
oq_status oq_lower_lut(oq_graph *g, const oq_options *o, uint32_t *count, oq_diag *d)
{
    ir_fill_uses(g);
    uint32_t n0 = g->nnode;
    lut_ctx c = {.g = g, .d = d};
    uint32_t *src = malloc((n0 + 1) * sizeof *src);
    uint8_t *role = malloc(n0 + 1);
    c.set = malloc((n0 + 1) * sizeof *c.set);
    c.map = malloc((g->nvalue + 1) * sizeof *c.map);
    oq_status st = OQ_OK;
    if (!src || !role || !c.set || !c.map)
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK)
        st = oq_elt_regions(g, o, src, role, d);
    c.src = src, c.role = role;
    for (uint32_t n = 0; st == OQ_OK && n < n0; n++)
        if (role[n] == OQ_ELT_TAIL && !g->nodes[n].dead) {
            uint32_t *m = realloc(c.map, (g->nvalue + 1) * sizeof *c.map);
            if (!m) {
                st = oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
                break;
            }
            c.map = m;
            st = lower_tail(&c, n, count);
        }
    free(src);
    free(role);
    free(c.set);
    free(c.map);
    return st;
}
