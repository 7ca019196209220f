/* Graph builder for backend tests: hand-built graphs through the IR API (ir_add_value,
 * ir_add_node), with dtypes and shapes set by hand so no inference is needed. */
#ifndef OQ_TESTS_GB_H
#define OQ_TESTS_GB_H
#include <string.h>

#include "ir/ir.h"

static inline oq_shape gb_shape(int32_t rank, const int64_t *dims)
{
    oq_shape s = {.rank = rank};
    for (int32_t i = 0; i < rank; i++)
        s.dim[i] = dims[i];
    return s;
}
#define GB_SHAPE(...) gb_shape((int32_t)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), \
                               (int64_t[]){__VA_ARGS__})
#define GB_SCALAR gb_shape(0, NULL)

static inline oq_graph *gb_new(int64_t opset)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    g->opset = opset;
    g->ir_version = 7;
    g->name = "gb";
    return g;
}

static inline uint32_t *gb_append(oq_graph *g, const uint32_t *arr, uint32_t n, uint32_t v)
{
    uint32_t *a = oq_arena_alloc(&g->arena, (n + 1) * sizeof *a);
    if (n)
        memcpy(a, arr, n * sizeof *a);
    a[n] = v;
    return a;
}

static inline uint32_t gb_input(oq_graph *g, const char *name, oq_dtype dt, oq_shape s)
{
    uint32_t v = ir_add_value(g, name, dt, &s);
    g->values[v].is_input = true;
    g->inputs = gb_append(g, g->inputs, g->ninput, v);
    g->ninput++;
    return v;
}

static inline void gb_output(oq_graph *g, uint32_t v)
{
    g->values[v].is_output = true;
    g->outputs = gb_append(g, g->outputs, g->noutput, v);
    g->noutput++;
}

static inline uint32_t gb_value(oq_graph *g, const char *name, oq_dtype dt, oq_shape s)
{
    return ir_add_value(g, name, dt, &s);
}

static inline uint32_t gb_const(oq_graph *g, const char *name, oq_dtype dt, oq_shape s,
                                const void *data)
{
    uint32_t v = ir_add_value(g, name, dt, &s);
    ir_set_const(g, v, data);
    return v;
}

static inline uint32_t gb_i64(oq_graph *g, const char *name, uint32_t n, const int64_t *vals)
{
    return gb_const(g, name, OQ_DT_INT64, GB_SHAPE((int64_t)n), vals);
}

static inline uint32_t gb_f32(oq_graph *g, const char *name, float v)
{
    return gb_const(g, name, OQ_DT_FLOAT, GB_SCALAR, &v);
}

/* Node with inputs/outputs given as arrays (OQ_NONE for absent). */
static inline uint32_t gb_node(oq_graph *g, oq_op op, const char *name, uint32_t nin,
                               const uint32_t *in, uint32_t nout, const uint32_t *out)
{
    return ir_add_node(g, op, name, in, nin, out, nout);
}
#define GB_NODE(g, op, name, ins, outs) \
    gb_node(g, OQ_OP_##op, name, sizeof((uint32_t[])ins) / sizeof(uint32_t), (uint32_t[])ins, \
            sizeof((uint32_t[])outs) / sizeof(uint32_t), (uint32_t[])outs)
#define GB_L(...) {__VA_ARGS__}

static inline void gb_attr_int(oq_graph *g, uint32_t n, const char *name, int64_t v)
{
    ir_attr_add(g, n, name, OQ_ATTR_INT)->i = v;
}

static inline void gb_attr_ints(oq_graph *g, uint32_t n, const char *name, uint32_t k,
                                const int64_t *v)
{
    oq_attr *a = ir_attr_add(g, n, name, OQ_ATTR_INTS);
    a->ints = oq_arena_dup(&g->arena, v, k * sizeof *v);
    a->n = k;
}

static inline void gb_attr_str(oq_graph *g, uint32_t n, const char *name, const char *s)
{
    ir_attr_add(g, n, name, OQ_ATTR_STRING)->s = oq_arena_strdup(&g->arena, s);
}
#endif
