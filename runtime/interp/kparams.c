/* kparams.c: IR node -> runtime/f32 parameters (see kparams.h). */
#include "kparams.h"

#include <string.h>

oq_status oq_kparams_pool(const oq_graph *g, uint32_t node, oq_f32_pool *p, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_shape *x = &g->values[nd->in[0]].shape, *y = &g->values[nd->out[0]].shape;
    if (x->rank < 3 || x->rank > 5)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "only 1D, 2D and 3D pooling is supported (input rank %d)", x->rank);
    oq_conv_geom cg;
    oq_status st = ir_conv_geom(g, node, &cg, d);
    if (st)
        return st;
    memset(p, 0, sizeof *p);
    int off = 3 - cg.nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - off;
        bool real = j >= 0;
        p->in[i] = real ? x->dim[2 + j] : 1;
        p->out[i] = real ? y->dim[2 + j] : 1;
        p->k[i] = real ? cg.k[j] : 1;
        p->s[i] = real ? cg.stride[j] : 1;
        p->dl[i] = real ? cg.dil[j] : 1;
        p->pb[i] = real ? cg.pad[j] : 0;
        p->pe[i] = real ? cg.pad[cg.nsp + j] : 0;
    }
    p->nc = x->dim[0] * x->dim[1];
    p->include_pad = ir_attr_i(nd, OQ_A_AveragePool_count_include_pad) != 0;
    return OQ_OK;
}

oq_status oq_kparams_conv(const oq_graph *g, uint32_t node, oq_f32_conv_params *p, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    bool tr = nd->op == OQ_OP_ConvTranspose;
    const oq_shape *x = &g->values[nd->in[0]].shape, *w = &g->values[nd->in[1]].shape;
    const oq_shape *y = &g->values[nd->out[0]].shape;
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 3)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "only 1D, 2D and 3D convolutions are supported (input rank %d)",
                         x->rank);
    oq_conv_geom cg;
    oq_status st = ir_conv_geom(g, node, &cg, d);
    if (st)
        return st;
    oq_f32_conv_params_init(p);
    p->nspatial = nsp;
    p->N = x->dim[0], p->C = x->dim[1], p->group = cg.group, p->M = y->dim[1];
    for (int i = 0; i < nsp; i++) {
        p->in[i] = x->dim[2 + i], p->k[i] = w->dim[2 + i], p->out[i] = y->dim[2 + i];
        p->stride[i] = cg.stride[i], p->dil[i] = cg.dil[i];
        p->pad_begin[i] = cg.pad[i], p->pad_end[i] = cg.pad[nsp + i];
    }
    /* weights: Conv [M][C/group][k...], ConvTranspose [C][M/group][k...] */
    int64_t wo = tr ? p->C : p->M, wi = tr ? p->M : p->C;
    if (p->C % p->group || p->M % p->group || w->dim[0] != wo || w->dim[1] * p->group != wi)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "weight shape does not match input/groups");
    return OQ_OK;
}
