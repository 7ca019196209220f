/* Common-subexpression elimination: two live nodes with the same op, attributes and inputs
 * compute the same outputs; the later one's uses move to the earlier one. Equal small
 * constants (same dtype, shape and bytes; exporters repeat them) are merged first, so nodes
 * over duplicated constants also meet. Hashing is local (FNV-1a over op, inputs and
 * attributes); candidates are confirmed by a full comparison. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

#define MAX_CONST_BYTES 4096   /* only small constants are compared byte-wise */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static bool attr_eq(const oq_attr *a, const oq_attr *b)
{
    if (strcmp(a->name, b->name) || a->type != b->type)
        return false;
    switch (a->type) {
    case OQ_ATTR_INT: return a->i == b->i;
    case OQ_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case OQ_ATTR_STRING: return strcmp(a->s, b->s) == 0;
    case OQ_ATTR_INTS: return a->n == b->n && (!a->n || !memcmp(a->ints, b->ints, a->n * 8));
    case OQ_ATTR_FLOATS: return a->n == b->n && (!a->n || !memcmp(a->floats, b->floats, a->n * 4));
    default: return false;     /* tensors, string lists: never merged */
    }
}

static bool node_eq(const oq_node *a, const oq_node *b)
{
    if (a->op != b->op || a->op == OQ_OP_UNKNOWN || a->nin != b->nin || a->nout != b->nout ||
        a->nattr != b->nattr || strcmp(a->domain, b->domain))
        return false;
    if (a->nin && memcmp(a->in, b->in, a->nin * sizeof *a->in))
        return false;
    for (uint32_t i = 0; i < a->nattr; i++) {
        const oq_attr *m = ir_attr(b, a->attr[i].name);
        if (!m || !attr_eq(&a->attr[i], m))
            return false;
    }
    return true;
}

static uint64_t node_hash(const oq_node *n)
{
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, &n->op, sizeof n->op);
    h = fnv(h, n->in, n->nin * sizeof *n->in);
    for (uint32_t i = 0; i < n->nattr; i++) /* order-independent: sum of attribute name hashes */
        h += fnv(1469598103934665603ull, n->attr[i].name, strlen(n->attr[i].name));
    return h;
}

/* Merges equal small constants into their first occurrence. Requires uses filled. */
static void merge_consts(oq_graph *g)
{
    uint32_t nv = g->nvalue;
    for (uint32_t a = 0; a < nv; a++) {
        const oq_value *va = &g->values[a];
        size_t nb = ir_value_nbytes(g, a);
        if (!va->data || va->producer != OQ_NONE || va->is_output || nb == 0 || nb > MAX_CONST_BYTES ||
            va->q.n || va->nuse == 0)
            continue;
        for (uint32_t b = a + 1; b < nv; b++) {
            const oq_value *vb = &g->values[b];
            if (!vb->data || vb->producer != OQ_NONE || vb->is_output || vb->dtype != va->dtype ||
                vb->q.n || vb->nuse == 0 || vb->shape.rank != va->shape.rank ||
                memcmp(vb->shape.dim, va->shape.dim, va->shape.rank * sizeof(int64_t)) ||
                ir_value_nbytes(g, b) != nb || memcmp(vb->data, va->data, nb))
                continue;
            for (uint32_t n = 0; n < g->nnode; n++)
                for (uint32_t i = 0; i < g->nodes[n].nin; i++)
                    if (g->nodes[n].in[i] == b)
                        g->nodes[n].in[i] = a;
            g->values[b].nuse = 0;   /* no longer referenced; uses refilled at the end */
        }
    }
}

/* Requires toposorted nodes; keeps the first of equal nodes. */
oq_status pass_cse(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    merge_consts(g);
    ir_fill_uses(g);
    uint32_t cap = 16;
    while (cap < 2 * g->nnode)
        cap *= 2;
    uint32_t *tab = malloc(cap * sizeof *tab);
    if (!tab)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory in cse");
    memset(tab, 0xff, cap * sizeof *tab);
    for (uint32_t n = 0; n < g->nnode; n++) {
        oq_node *nd = &g->nodes[n];
        if (nd->dead || nd->nout == 0)
            continue;
        uint32_t slot = (uint32_t)node_hash(nd) & (cap - 1), found = OQ_NONE;
        while (tab[slot] != OQ_NONE) {
            if (node_eq(&g->nodes[tab[slot]], nd)) {
                found = tab[slot];
                break;
            }
            slot = (slot + 1) & (cap - 1);
        }
        if (found == OQ_NONE) {
            tab[slot] = n;
            continue;
        }
        const oq_node *m = &g->nodes[found];
        bool ok = true;        /* graph outputs keep their node; both must have each output */
        for (uint32_t i = 0; i < nd->nout; i++)
            ok &= nd->out[i] == OQ_NONE ||
                  (!g->values[nd->out[i]].is_output && m->out[i] != OQ_NONE);
        if (!ok)
            continue;
        for (uint32_t i = 0; i < nd->nout; i++)
            if (nd->out[i] != OQ_NONE)
                for (uint32_t k = n + 1; k < g->nnode; k++)
                    for (uint32_t j = 0; j < g->nodes[k].nin; j++)
                        if (g->nodes[k].in[j] == nd->out[i])
                            g->nodes[k].in[j] = m->out[i];
        nd->dead = true;
    }
    free(tab);
    return oq_pass_finish(g, o, d);
}
