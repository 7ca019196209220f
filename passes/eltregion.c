/* Element-wise regions: maximal groups of element-wise float nodes that compute their output
 * from one activation tensor (the region's source) and constants, so that the whole group is a
 * function of each source element alone: a 256-entry table once the source is int8. The
 * quantizer quantizes a region at its source and its tails only; lower_int turns
 * DQ -> region -> Q into one QLinearLookup. Members: ops flagged UNARY (extra inputs, e.g. Clip
 * bounds, constant) or BINARY whose other operands are scalar constants or tensors of the output's
 * shape from the same region (x * sigmoid(x), x * Clip(x + 3, 0, 6) / 6), float in and out, run
 * by the interpreter, not excluded, not the activation fused into its producer. A value inside a
 * region is read only by the region and is not a graph output; a member whose output leaves the
 * region is a tail. Analysis only: the graph is not changed. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static bool is_const(const oq_graph *g, uint32_t v) { return g->values[v].data != NULL; }

static bool same_shape(const oq_shape *a, const oq_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int32_t i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i] || a->dim[i] < 0)
            return false;
    return true;
}

/* Is node n a possible member (see the file comment)? */
static bool member_op(const oq_graph *g, uint32_t n, const oq_options *o)
{
    const oq_node *nd = &g->nodes[n];
    unsigned fl = oq_op_info(nd->op)->flags;
    if (nd->dead || nd->op == OQ_OP_UNKNOWN || !(fl & (OQ_OPF_UNARY | OQ_OPF_BINARY)) ||
        !oq_interp_supports(nd->op) || nd->nout < 1 || nd->out[0] == OQ_NONE ||
        (o && oq_pass_excluded(g, n, o)))
        return false;
    for (uint32_t i = 1; i < nd->nout; i++)
        if (nd->out[i] != OQ_NONE)
            return false;
    const oq_value *y = &g->values[nd->out[0]];
    if (y->dtype != OQ_DT_FLOAT || oq_shape_numel(&y->shape) <= 0)
        return false;
    uint32_t nact = 0;
    for (uint32_t i = 0; i < nd->nin; i++) {
        uint32_t v = nd->in[i];
        if (v == OQ_NONE)
            continue;
        const oq_value *x = &g->values[v];
        if (is_const(g, v)) {
            if ((fl & OQ_OPF_BINARY) && oq_shape_numel(&x->shape) != 1)
                return false;  /* per-channel operands are not element-wise in one tensor */
            continue;
        }
        if (((fl & OQ_OPF_UNARY) && i > 0) || x->dtype != OQ_DT_FLOAT ||
            !same_shape(&x->shape, &y->shape))
            return false;
        uint32_t p = x->producer;
        if (i == 0 && p != OQ_NONE && ir_attr_i(&g->nodes[p], OQ_A_ANY_onnxq_fused))
            return false;      /* the activation of a fused producer belongs to it */
        nact++;
    }
    return nact > 0;
}

/* The source node n reads through input value v: the region source of v's producer when v is
 * inside a region, else v itself. */
static uint32_t source_through(const oq_graph *g, const uint32_t *src, const bool *edge,
                               uint32_t v)
{
    uint32_t p = g->values[v].producer;
    return p != OQ_NONE && src[p] != OQ_NONE && !edge[v] ? src[p] : v;
}

/* See passes.h. */
oq_status oq_elt_regions(const oq_graph *g, const oq_options *o, uint32_t *src, uint8_t *role,
                         oq_diag *d)
{
    bool *member = calloc(g->nnode + 1, sizeof *member);
    bool *edge = calloc(g->nvalue + 1, sizeof *edge);   /* value leaves its region */
    if (!member || !edge) {
        free(member);
        free(edge);
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    for (uint32_t n = 0; n < g->nnode; n++)
        member[n] = member_op(g, n, o);
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t n = 0; n < g->nnode; n++) {   /* sources, in topological order */
            src[n] = OQ_NONE;
            if (!member[n])
                continue;
            const oq_node *nd = &g->nodes[n];
            uint32_t s = OQ_NONE;
            bool one = true;
            for (uint32_t i = 0; i < nd->nin && one; i++) {
                uint32_t v = nd->in[i];
                if (v == OQ_NONE || is_const(g, v))
                    continue;
                uint32_t sv = source_through(g, src, edge, v);
                one = s == OQ_NONE || s == sv;
                s = sv;
            }
            src[n] = one ? s : OQ_NONE;
        }
        for (uint32_t n = 0; n < g->nnode; n++) {   /* values read outside their region */
            if (src[n] == OQ_NONE)
                continue;
            uint32_t y = g->nodes[n].out[0];
            const oq_value *vy = &g->values[y];
            if (edge[y])
                continue;
            bool out = vy->is_output, inside = false;
            for (uint32_t u = 0; u < vy->nuse; u++) {
                uint32_t un = vy->uses[u];
                if (g->nodes[un].dead)
                    continue;
                if (src[un] == src[n])
                    inside = true;
                else
                    out = true;
            }
            if (out || !inside) {
                edge[y] = true;
                changed |= inside;   /* readers inside computed their source through y */
            }
        }
    }
    for (uint32_t n = 0; n < g->nnode; n++)
        role[n] = src[n] == OQ_NONE ? OQ_ELT_NONE
                  : edge[g->nodes[n].out[0]] ? OQ_ELT_TAIL : OQ_ELT_INNER;
    free(member);
    free(edge);
    return OQ_OK;
}
