/* Recurrent ops: LSTM (float, runtime/f32/ops/rnn.c; parameters from oq_kparams_lstm, which the
 * C emitter uses too). */
#include "kparams.h"
#include "ops.h"

typedef struct lstm_state {
    oq_ws_hdr h;               /* first: the shared scratch */
    oq_f32_lstm p;
} lstm_state;

oq_status oq_prep_lstm(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nin; i++)
        if (i != 4 && nd->in[i] != OQ_NONE && g->values[nd->in[i]].dtype != OQ_DT_FLOAT)
            return oq_bad_dtype(g, node, d, g->values[nd->in[i]].dtype);
    lstm_state *s = calloc(1, sizeof *s);
    if (!s)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    oq_status st = oq_kparams_lstm(g, node, &s->p, d);
    if (st) {
        free(s);
        return st;
    }
    s->h.size = oq_f32_lstm_workspace_size(&s->p);
    *state = s;
    return OQ_OK;
}

/* Input k's data, or NULL when the node leaves it out. */
static const float *opt_in(const oq_node *nd, const oq_rt_tensor *in, uint32_t k)
{
    return k < nd->nin && nd->in[k] != OQ_NONE ? in[k].data : NULL;
}

/* Output k's buffer, or NULL when the node leaves it out. */
static float *opt_out(const oq_node *nd, oq_rt_tensor *out, uint32_t k)
{
    return k < nd->nout && nd->out[k] != OQ_NONE ? out[k].data : NULL;
}

oq_status oq_exec_lstm(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                       oq_rt_tensor *out, void *state, oq_diag *d)
{
    const lstm_state *s = state;
    const oq_node *nd = &g->nodes[node];
    oq_f32_lstm__scalar(&s->p, in[0].data, in[1].data, in[2].data, opt_in(nd, in, 3),
                        opt_in(nd, in, 5), opt_in(nd, in, 6), opt_in(nd, in, 7),
                        opt_out(nd, out, 0), opt_out(nd, out, 1), opt_out(nd, out, 2), s->h.ws);
    return OQ_OK;
}
