/* Dead-code elimination: a node is live if one of its outputs reaches a graph output
 * (walked backwards from the outputs, so whole unused subgraphs go at once). */
#include <stdlib.h>

#include "passes.h"

/* Requires toposorted nodes; keeps the order. */
oq_status pass_dce(oq_graph *g, const oq_options *o, oq_diag *d)
{
    bool *live = calloc(g->nvalue + 1, sizeof *live);
    if (!live)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory in dce");
    for (uint32_t i = 0; i < g->noutput; i++)
        live[g->outputs[i]] = true;
    for (uint32_t n = g->nnode; n-- > 0;) {
        oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        bool used = false;
        for (uint32_t i = 0; i < nd->nout; i++)
            used |= nd->out[i] != OQ_NONE && live[nd->out[i]];
        if (!used) {
            nd->dead = true;
            continue;
        }
        for (uint32_t i = 0; i < nd->nin; i++)
            if (nd->in[i] != OQ_NONE)
                live[nd->in[i]] = true;
    }
    free(live);
    return oq_pass_finish(g, o, d);
}
