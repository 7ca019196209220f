/* inline_if.c: If nodes whose condition is a constant (an initializer, or the output of a
 * Constant node, of any scope already seen) are replaced before import by the nodes of the
 * branch the condition picks, plus one Identity per If output (branch output -> If output);
 * branch initializers join the graph's. Nested Ifs inside a taken branch are inlined the same
 * way. An If whose condition is computed stays an If, which the importer refuses by name.
 * The result is a shallow copy of the graph (fe_int.h, oq_fe_inlined): it points into the
 * unpacked model, which must outlive it; oq_fe_inlined_free frees only what it allocated. */
#include <stdlib.h>
#include <string.h>

#include "fe_int.h"

#define MAX_DEPTH 16           /* nesting of inlined Ifs */

typedef struct vec {
    void **p;
    size_t n, cap;
} vec;

static bool push(vec *v, void *x)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 64;
        void **np = realloc(v->p, nc * sizeof *np);
        if (!np)
            return false;
        v->p = np, v->cap = nc;
    }
    v->p[v->n++] = x;
    return true;
}

/* The first element of a bool or integer TensorProto as 0 / 1, or -1 if it has none. */
static int tensor_truth(const Onnx__TensorProto *t)
{
    if (!t || !t->has_data_type)
        return -1;
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        if (t->raw_data.len > 0)
            return t->raw_data.data[0] != 0;
        return t->n_int32_data > 0 ? t->int32_data[0] != 0 : -1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        if (t->raw_data.len >= 8) {
            for (int i = 0; i < 8; i++)
                if (t->raw_data.data[i])
                    return 1;
            return 0;
        }
        return t->n_int64_data > 0 ? t->int64_data[0] != 0 : -1;
    default:
        return -1;
    }
}

typedef struct ictx {
    vec nodes, inits, own;     /* own: blocks this pass allocated (Identity nodes) */
    bool any;                  /* an If was inlined */
} ictx;

/* Value of the constant named s (an initializer or a Constant node's output seen so far):
 * 0 / 1, or -1 if s is not such a constant. */
static int const_truth(const ictx *c, const char *s)
{
    for (size_t i = 0; i < c->inits.n; i++) {
        const Onnx__TensorProto *t = c->inits.p[i];
        if (t->name && strcmp(t->name, s) == 0)
            return tensor_truth(t);
    }
    for (size_t i = c->nodes.n; i-- > 0;) {
        const Onnx__NodeProto *n = c->nodes.p[i];
        if (n->n_output < 1 || !n->output[0] || strcmp(n->output[0], s) != 0)
            continue;
        if (!n->op_type || strcmp(n->op_type, "Constant") != 0)
            return -1;
        for (size_t a = 0; a < n->n_attribute; a++)
            if (n->attribute[a]->name && strcmp(n->attribute[a]->name, "value") == 0)
                return tensor_truth(n->attribute[a]->t);
        return -1;
    }
    return -1;
}

/* The graph attribute of an If node named name, or NULL. */
static const Onnx__GraphProto *branch(const Onnx__NodeProto *n, const char *name)
{
    for (size_t a = 0; a < n->n_attribute; a++)
        if (n->attribute[a]->name && strcmp(n->attribute[a]->name, name) == 0)
            return n->attribute[a]->g;
    return NULL;
}

/* Appends the nodes of list[0..n) to c, inlining Ifs with constant conditions. */
static oq_status expand(ictx *c, Onnx__NodeProto *const *list, size_t n, int depth, oq_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        Onnx__NodeProto *nd = list[i];
        bool is_if = nd->op_type && strcmp(nd->op_type, "If") == 0 &&
                     (!nd->domain || !nd->domain[0] || strcmp(nd->domain, "ai.onnx") == 0);
        int truth = is_if && nd->n_input == 1 && nd->input[0] ? const_truth(c, nd->input[0]) : -1;
        const Onnx__GraphProto *b = truth < 0 ? NULL
                                    : branch(nd, truth ? "then_branch" : "else_branch");
        if (!b || b->n_output != nd->n_output || depth >= MAX_DEPTH) {
            if (!push(&c->nodes, nd))
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
            continue;
        }
        for (size_t k = 0; k < b->n_initializer; k++)
            if (!push(&c->inits, b->initializer[k]))
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        oq_status st = expand(c, b->node, b->n_node, depth + 1, d);
        if (st)
            return st;
        for (size_t k = 0; k < nd->n_output; k++) {
            if (!nd->output[k] || !nd->output[k][0])
                continue;      /* an If output nobody reads */
            /* one block: the node, its input and output arrays */
            Onnx__NodeProto *id = calloc(1, sizeof *id + 2 * sizeof(char *));
            if (!id || !push(&c->own, id)) {
                free(id);
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
            }
            onnx__node_proto__init(id);
            char **io = (char **)(id + 1);
            io[0] = b->output[k]->name;
            io[1] = nd->output[k];
            id->op_type = "Identity";
            id->name = nd->output[k];
            id->n_input = 1, id->input = &io[0];
            id->n_output = 1, id->output = &io[1];
            if (!push(&c->nodes, id))
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        }
        c->any = true;
    }
    return OQ_OK;
}

void oq_fe_inlined_free(oq_fe_inlined *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nown; i++)
        free(r->own[i]);
    free(r->own);
    free(r->g.node);
    free(r->g.initializer);
    free(r);
}

oq_status oq_fe_inline_if(const Onnx__GraphProto *gp, oq_fe_inlined **out, oq_diag *d)
{
    *out = NULL;
    bool has_if = false;
    for (size_t i = 0; i < gp->n_node && !has_if; i++)
        has_if = gp->node[i]->op_type && strcmp(gp->node[i]->op_type, "If") == 0;
    if (!has_if)
        return OQ_OK;
    ictx c = {0};
    oq_status st = OQ_OK;
    for (size_t i = 0; i < gp->n_initializer && !st; i++)
        if (!push(&c.inits, gp->initializer[i]))
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (!st)
        st = expand(&c, gp->node, gp->n_node, 0, d);
    oq_fe_inlined *r = NULL;
    if (!st && c.any && !(r = calloc(1, sizeof *r)))
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st || !c.any) {
        for (size_t i = 0; i < c.own.n; i++)
            free(c.own.p[i]);
        free(c.own.p);
        free(c.nodes.p);
        free(c.inits.p);
        return st;
    }
    r->g = *gp;
    r->g.node = (Onnx__NodeProto **)c.nodes.p, r->g.n_node = c.nodes.n;
    r->g.initializer = (Onnx__TensorProto **)c.inits.p, r->g.n_initializer = c.inits.n;
    r->own = c.own.p, r->nown = c.own.n;
    *out = r;
    return OQ_OK;
}
