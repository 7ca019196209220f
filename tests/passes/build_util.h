/* Helpers for hand-built test graphs of the equalization and bias-correction tests: inputs,
 * constants, nodes with INT / INTS attributes, a deterministic random generator, and running a
 * graph on one float input. Header-only (static functions), one copy per test binary. */
#ifndef OQ_BUILD_UTIL_H
#define OQ_BUILD_UTIL_H
#include "pt_util.h"

static inline uint32_t bu_input(oq_graph *g, const char *name, int r, const int64_t *dims)
{
    oq_shape s = {.rank = r};
    for (int i = 0; i < r; i++)
        s.dim[i] = dims[i];
    uint32_t v = ir_add_value(g, name, OQ_DT_FLOAT, &s);
    g->values[v].is_input = true;
    uint32_t *in = oq_arena_alloc(&g->arena, (g->ninput + 1) * sizeof *in);
    if (g->ninput)
        memcpy(in, g->inputs, g->ninput * sizeof *in);
    in[g->ninput++] = v;
    g->inputs = in;
    return v;
}

static inline uint32_t bu_const(oq_graph *g, const char *name, int r, const int64_t *dims,
                                const float *x)
{
    oq_shape s = {.rank = r};
    for (int i = 0; i < r; i++)
        s.dim[i] = dims[i];
    return oq_add_const(g, name, OQ_DT_FLOAT, &s, x);
}

static inline void bu_output(oq_graph *g, uint32_t v)
{
    uint32_t *o = oq_arena_alloc(&g->arena, (g->noutput + 1) * sizeof *o);
    if (g->noutput)
        memcpy(o, g->outputs, g->noutput * sizeof *o);
    o[g->noutput++] = v;
    g->outputs = o;
    g->values[v].is_output = true;
}

/* Adds node op(in[0..nin)) -> new value named after the node; returns the output value. */
static inline uint32_t bu_node(oq_graph *g, oq_op op, const char *name, const uint32_t *in,
                               uint32_t nin)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s_out", name);
    uint32_t y = ir_add_value(g, buf, OQ_DT_FLOAT, NULL);
    cr_assert(ir_add_node(g, op, name, in, nin, &y, 1) != OQ_NONE);
    return y;
}

static inline void bu_attr_int(oq_graph *g, const char *node, const char *name, int64_t v)
{
    for (uint32_t n = 0; n < g->nnode; n++)
        if (strcmp(g->nodes[n].name, node) == 0) {
            oq_attr *a = ir_attr_add(g, n, name, OQ_ATTR_INT);
            cr_assert_not_null(a);
            a->i = v;
            return;
        }
    cr_assert_fail("no node %s", node);
}

static inline void bu_attr_ints(oq_graph *g, const char *node, const char *name,
                                const int64_t *v, uint32_t n)
{
    for (uint32_t k = 0; k < g->nnode; k++)
        if (strcmp(g->nodes[k].name, node) == 0) {
            oq_attr *a = ir_attr_add(g, k, name, OQ_ATTR_INTS);
            cr_assert_not_null(a);
            a->ints = oq_arena_dup(&g->arena, v, n * sizeof *v);
            a->n = n;
            return;
        }
    cr_assert_fail("no node %s", node);
}

static inline uint32_t bu_find(const oq_graph *g, const char *name)
{
    for (uint32_t n = 0; n < g->nnode; n++)
        if (!g->nodes[n].dead && strcmp(g->nodes[n].name, name) == 0)
            return n;
    cr_assert_fail("no node %s", name);
    return OQ_NONE;
}

static inline void bu_finish(oq_graph *g)
{
    oq_diag d = {0};
    ir_fill_uses(g);
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
}

/* Deterministic uniform [lo, hi) (xorshift32). */
static inline float bu_rand(uint32_t *s, float lo, float hi)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return lo + (hi - lo) * (float)(*s >> 8) / 16777216.0f;
}

static inline void bu_fill(float *x, int64_t n, uint32_t *s, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = bu_rand(s, lo, hi);
}
#endif
