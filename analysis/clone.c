/* Deep copy of a graph, so the analyses can quantize one float graph many ways (every layer
 * alone, growing float sets for mixed precision) without re-importing it. Values keep their
 * ids and nodes their order; nothing of the copy points into the original's arena. */
#include <string.h>

#include "analysis.h"

/* Copies attribute a into the arena of g (arrays and strings duplicated). */
static bool copy_attr(oq_graph *g, oq_attr *dst, const oq_attr *a)
{
    oq_arena *ar = &g->arena;
    *dst = *a;
    dst->name = oq_arena_strdup(ar, a->name);
    if (!dst->name)
        return false;
    if (a->s && !(dst->s = oq_arena_strdup(ar, a->s)))
        return false;
    if (a->ints && !(dst->ints = oq_arena_dup(ar, a->ints, (a->n ? a->n : 1) * sizeof *a->ints)))
        return false;
    if (a->floats &&
        !(dst->floats = oq_arena_dup(ar, a->floats, (a->n ? a->n : 1) * sizeof *a->floats)))
        return false;
    if (a->strings) {
        const char **s = oq_arena_alloc(ar, (a->n ? a->n : 1) * sizeof *s);
        if (!s)
            return false;
        for (uint32_t i = 0; i < a->n; i++)
            if (a->strings[i] && !(s[i] = oq_arena_strdup(ar, a->strings[i])))
                return false;
        dst->strings = s;
    }
    if (a->t) {
        oq_tensor_const *t = oq_arena_dup(ar, a->t, sizeof *t);
        if (!t)
            return false;
        int64_t n = oq_shape_numel(&a->t->shape);
        size_t bytes = n > 0 ? (size_t)n * oq_dtype_size(a->t->dtype) : 0;
        if (a->t->data && bytes && !(t->data = oq_arena_dup(ar, a->t->data, bytes)))
            return false;
        dst->t = t;
    }
    return true;
}

/* Values first (same ids), then nodes (same order), then graph inputs / outputs. */
oq_graph *oq_graph_clone(const oq_graph *g)
{
    oq_graph *c = oq_graph_new(g->arena.alloc, g->arena.alloc_ctx);
    if (!c)
        return NULL;
    oq_arena *ar = &c->arena;
    c->ir_version = g->ir_version;
    c->opset = g->opset;
    c->name = oq_arena_strdup(ar, g->name ? g->name : "");
    c->path = g->path ? oq_arena_strdup(ar, g->path) : NULL;
    c->producer_name = g->producer_name ? oq_arena_strdup(ar, g->producer_name) : NULL;
    if (!c->name || (g->path && !c->path) || (g->producer_name && !c->producer_name))
        goto nomem;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *s = &g->values[v];
        uint32_t nv = ir_add_value(c, s->name, s->dtype, &s->shape);
        if (nv != v)
            goto nomem;
        oq_value *t = &c->values[v];
        t->is_input = s->is_input;
        t->is_output = s->is_output;
        if (s->data) {
            size_t n = ir_value_nbytes(g, v);
            if (!(t->data = oq_arena_dup(ar, s->data, n ? n : 1)))
                goto nomem;
        }
        if (s->q.n) {
            t->q = s->q;
            t->q.scale = oq_arena_dup(ar, s->q.scale, s->q.n * sizeof(float));
            t->q.zero_point = oq_arena_dup(ar, s->q.zero_point, s->q.n * sizeof(int32_t));
            if (!t->q.scale || !t->q.zero_point)
                goto nomem;
        }
        for (int k = 0; k < s->shape.rank && k < OQ_MAX_RANK; k++) {
            const char *dp = ir_dim_param(g, v, k);
            if (dp && !ir_set_dim_param(c, v, k, dp))
                goto nomem;
        }
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *s = &g->nodes[n];
        if (ir_add_node(c, s->op, s->name, s->in, s->nin, s->out, s->nout) != n)
            goto nomem;
        oq_node *t = &c->nodes[n];
        t->op_type = oq_arena_strdup(ar, s->op_type ? s->op_type : "");
        t->domain = oq_arena_strdup(ar, s->domain ? s->domain : "");
        t->dead = s->dead;
        if (!t->op_type || !t->domain)
            goto nomem;
        if (s->nattr) {
            t->attr = oq_arena_alloc(ar, s->nattr * sizeof *t->attr);
            if (!t->attr)
                goto nomem;
            for (uint32_t i = 0; i < s->nattr; i++)
                if (!copy_attr(c, &t->attr[i], &s->attr[i]))
                    goto nomem;
            t->nattr = s->nattr;
        }
    }
    /* producers as in the original (dead nodes may have left stale ones) */
    for (uint32_t v = 0; v < g->nvalue; v++) {
        c->values[v].producer = g->values[v].producer;
        c->values[v].producer_out = g->values[v].producer_out;
    }
    c->inputs = oq_arena_dup(ar, g->inputs, (g->ninput ? g->ninput : 1) * sizeof *g->inputs);
    c->outputs = oq_arena_dup(ar, g->outputs, (g->noutput ? g->noutput : 1) * sizeof *g->outputs);
    if (!c->inputs || !c->outputs)
        goto nomem;
    c->ninput = g->ninput;
    c->noutput = g->noutput;
    ir_fill_uses(c);
    return c;
nomem:
    oq_graph_free(c);
    return NULL;
}
