/* Content hashes (XXH3-64). ir_hash_graph covers a canonical serialization: graph inputs and
 * outputs (with their names: they are the model's interface), live nodes in order (op, domain,
 * attributes sorted by name, input edges as canonical positions, output types), constants
 * (dtype, shape, qparams, bytes) where first used. Internal value and node names do not count,
 * so a renamed or re-parsed graph hashes the same. ir_hash_node keys CSE on op+attrs+input ids. */
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "ir.h"

typedef XXH3_state_t hstate;

static void h_u64(hstate *h, uint64_t x) { XXH3_64bits_update(h, &x, sizeof x); }

static void h_str(hstate *h, const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s);
    h_u64(h, n);
    XXH3_64bits_update(h, s, n);
}

static void h_shape(hstate *h, const oq_shape *s)
{
    h_u64(h, (uint64_t)(int64_t)s->rank);
    for (int i = 0; i < s->rank && i < OQ_MAX_RANK; i++)
        h_u64(h, (uint64_t)s->dim[i]);
}

/* dtype, shape, qparams, and the bytes when constant */
static void h_value(hstate *h, const oq_graph *g, uint32_t v)
{
    const oq_value *val = &g->values[v];
    h_u64(h, (uint64_t)val->dtype);
    h_shape(h, &val->shape);
    h_u64(h, val->q.n);
    if (val->q.n && val->q.scale && val->q.zero_point) {
        h_u64(h, (uint64_t)val->q.dtype);
        h_u64(h, (uint64_t)val->q.axis);
        XXH3_64bits_update(h, val->q.scale, val->q.n * sizeof(float));
        XXH3_64bits_update(h, val->q.zero_point, val->q.n * sizeof(int32_t));
    }
    if (val->data && val->producer == OQ_NONE) {
        size_t nb = ir_value_nbytes(g, v);
        h_u64(h, 0xC0415Eu);
        h_u64(h, nb);
        XXH3_64bits_update(h, val->data, nb);
    }
}

static void h_attr(hstate *h, const oq_attr *a)
{
    h_str(h, a->name);
    h_u64(h, (uint64_t)a->type);
    switch (a->type) {
    case OQ_ATTR_INT: h_u64(h, (uint64_t)a->i); break;
    case OQ_ATTR_FLOAT: XXH3_64bits_update(h, &a->f, sizeof a->f); break;
    case OQ_ATTR_STRING: h_str(h, a->s); break;
    case OQ_ATTR_INTS:
        h_u64(h, a->n);
        if (a->n)
            XXH3_64bits_update(h, a->ints, a->n * sizeof(int64_t));
        break;
    case OQ_ATTR_FLOATS:
        h_u64(h, a->n);
        if (a->n)
            XXH3_64bits_update(h, a->floats, a->n * sizeof(float));
        break;
    case OQ_ATTR_STRINGS:
        h_u64(h, a->n);
        for (uint32_t i = 0; i < a->n; i++)
            h_str(h, a->strings[i]);
        break;
    case OQ_ATTR_TENSOR:
        if (!a->t) {
            h_u64(h, 0);
            break;
        }
        h_u64(h, (uint64_t)a->t->dtype);
        h_shape(h, &a->t->shape);
        int64_t n = oq_shape_numel(&a->t->shape);
        size_t es = oq_dtype_size(a->t->dtype);
        if (a->t->data && n > 0 && es)
            XXH3_64bits_update(h, a->t->data, (size_t)n * es);
        break;
    }
}

/* Attributes in name order (insertion order of the file must not matter). */
static void h_attrs(hstate *h, const oq_node *nd)
{
    h_u64(h, nd->nattr);
    if (nd->nattr > 64) {      /* hostile attribute counts: stored order, linear time */
        for (uint32_t i = 0; i < nd->nattr; i++)
            h_attr(h, &nd->attr[i]);
        return;
    }
    const char *last = NULL;
    for (uint32_t k = 0; k < nd->nattr; k++) {
        /* next smallest name greater than last: O(n^2), attribute lists are short */
        const oq_attr *best = NULL;
        for (uint32_t i = 0; i < nd->nattr; i++) {
            const oq_attr *a = &nd->attr[i];
            if (last && strcmp(a->name, last) <= 0)
                continue;
            if (!best || strcmp(a->name, best->name) < 0)
                best = a;
        }
        if (!best)
            break;             /* duplicate names: the rest were hashed under the first */
        h_attr(h, best);
        last = best->name;
    }
}

static void h_op(hstate *h, const oq_node *nd)
{
    h_u64(h, (uint64_t)nd->op);
    if (nd->op >= OQ_OP_COUNT)
        h_str(h, nd->op_type);
    h_str(h, nd->domain);
}

uint64_t ir_hash_graph(const oq_graph *g)
{
    hstate h;
    XXH3_64bits_reset(&h);
    size_t nb = ((size_t)g->nvalue + 1) * sizeof(uint32_t);
    oq_allocfn af = g->arena.alloc ? g->arena.alloc : oq_default_alloc;
    uint32_t *pos = af(g->arena.alloc_ctx, NULL, 0, nb);
    if (!pos)
        return 0;              /* NOMEM: documented as "no hash" */
    memset(pos, 0xff, nb);
    uint32_t next = 0;
    h_str(&h, "onnxq-ir-1");
    h_u64(&h, (uint64_t)g->opset);
    h_u64(&h, g->ninput);
    for (uint32_t i = 0; i < g->ninput; i++) {
        uint32_t v = g->inputs[i];
        if (v >= g->nvalue)
            continue;
        if (pos[v] == OQ_NONE)
            pos[v] = next++;
        h_str(&h, g->values[v].name);
        h_value(&h, g, v);
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        h_op(&h, nd);
        h_attrs(&h, nd);
        h_u64(&h, nd->nin);
        for (uint32_t i = 0; i < nd->nin; i++) {
            uint32_t v = nd->in[i];
            if (v >= g->nvalue) {
                h_u64(&h, OQ_NONE);
                continue;
            }
            if (pos[v] == OQ_NONE) {   /* a constant (or undefined value) first seen here */
                pos[v] = next++;
                h_u64(&h, 0xDEF);
                h_value(&h, g, v);
            }
            h_u64(&h, pos[v]);
        }
        h_u64(&h, nd->nout);
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t v = nd->out[i];
            if (v >= g->nvalue) {
                h_u64(&h, OQ_NONE);
                continue;
            }
            if (pos[v] == OQ_NONE)
                pos[v] = next++;
            h_u64(&h, pos[v]);
            h_value(&h, g, v);
        }
    }
    h_u64(&h, g->noutput);
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        if (v >= g->nvalue)
            continue;
        if (pos[v] == OQ_NONE) {
            pos[v] = next++;
            h_value(&h, g, v);
        }
        h_u64(&h, pos[v]);
        h_str(&h, g->values[v].name);
    }
    af(g->arena.alloc_ctx, pos, nb, 0);
    return XXH3_64bits_digest(&h);
}

uint64_t ir_hash_bytes(uint64_t seed, const void *p, size_t n)
{
    return XXH3_64bits_withSeed(p, n, seed);
}

uint64_t ir_hash_node(const oq_graph *g, uint32_t node)
{
    const oq_node *nd = &g->nodes[node];
    hstate h;
    XXH3_64bits_reset(&h);
    h_op(&h, nd);
    h_attrs(&h, nd);
    h_u64(&h, nd->nin);
    for (uint32_t i = 0; i < nd->nin; i++)
        h_u64(&h, nd->in[i]);
    h_u64(&h, nd->nout);
    return XXH3_64bits_digest(&h);
}

/* Attribute equality (same type and payload). */
static bool attr_eq(const oq_attr *a, const oq_attr *b)
{
    if (a->type != b->type || strcmp(a->name, b->name) != 0)
        return false;
    switch (a->type) {
    case OQ_ATTR_INT: return a->i == b->i;
    case OQ_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case OQ_ATTR_STRING: return strcmp(a->s ? a->s : "", b->s ? b->s : "") == 0;
    case OQ_ATTR_INTS:
        return a->n == b->n && (!a->n || memcmp(a->ints, b->ints, a->n * sizeof(int64_t)) == 0);
    case OQ_ATTR_FLOATS:
        return a->n == b->n && (!a->n || memcmp(a->floats, b->floats, a->n * sizeof(float)) == 0);
    case OQ_ATTR_STRINGS:
        if (a->n != b->n)
            return false;
        for (uint32_t i = 0; i < a->n; i++)
            if (strcmp(a->strings[i] ? a->strings[i] : "", b->strings[i] ? b->strings[i] : ""))
                return false;
        return true;
    case OQ_ATTR_TENSOR: {
        if (!a->t || !b->t)
            return a->t == b->t;
        if (a->t->dtype != b->t->dtype || a->t->shape.rank != b->t->shape.rank)
            return false;
        for (int i = 0; i < a->t->shape.rank; i++)
            if (a->t->shape.dim[i] != b->t->shape.dim[i])
                return false;
        int64_t n = oq_shape_numel(&a->t->shape);
        size_t es = oq_dtype_size(a->t->dtype);
        if (n <= 0 || !es || !a->t->data || !b->t->data)
            return a->t->data == b->t->data || n == 0;
        return memcmp(a->t->data, b->t->data, (size_t)n * es) == 0;
    }
    }
    return false;
}

bool ir_nodes_equivalent(const oq_graph *g, uint32_t a, uint32_t b)
{
    const oq_node *x = &g->nodes[a], *y = &g->nodes[b];
    if (x->op != y->op || x->nin != y->nin || x->nout != y->nout || x->nattr != y->nattr ||
        strcmp(x->domain ? x->domain : "", y->domain ? y->domain : "") != 0)
        return false;
    if (x->op >= OQ_OP_COUNT && strcmp(x->op_type ? x->op_type : "", y->op_type ? y->op_type : ""))
        return false;
    for (uint32_t i = 0; i < x->nin; i++)
        if (x->in[i] != y->in[i])
            return false;
    for (uint32_t i = 0; i < x->nattr; i++) {
        const oq_attr *o = ir_attr(y, x->attr[i].name);
        if (!o || !attr_eq(&x->attr[i], o))
            return false;
    }
    return true;
}
