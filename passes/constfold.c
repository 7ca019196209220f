/* Constant folding: a node whose every input is constant is evaluated once with the reference
 * interpreter (a one-node graph over the same constants and attributes) and replaced by its
 * outputs as constants; nodes whose outputs inference already computed (Shape / Gather / Concat
 * chains of exporters) are simply dropped. Q/DQ ops are never folded (they carry a pre-quantized
 * model's weights), nor graph outputs, nor results above 64 MiB. Repeats until nothing folds. */
#include <string.h>

#include "../runtime/interp/interp.h"
#include "passes.h"

#define MAX_FOLD_BYTES ((size_t)64 << 20)

static bool foldable_op(oq_op op)
{
    return op != OQ_OP_QuantizeLinear && op != OQ_OP_DequantizeLinear &&
           op != OQ_OP_DynamicQuantizeLinear && op != OQ_OP_UNKNOWN && oq_interp_supports(op);
}

/* Evaluates node n of g into constants; sets *done. */
static oq_status eval_node(oq_graph *g, uint32_t n, bool *done, oq_diag *d)
{
    *done = false;
    const oq_node *nd = &g->nodes[n];
    oq_graph *m = oq_graph_new(NULL, NULL);
    if (!m)
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory folding constants");
    oq_status st = OQ_OK;
    uint32_t in[64], out[16];
    oq_interp *it = NULL;
    if (nd->nin > 64 || nd->nout > 16)
        goto done;
    for (uint32_t i = 0; i < nd->nin; i++) {
        in[i] = OQ_NONE;
        if (nd->in[i] == OQ_NONE)
            continue;
        const oq_value *v = &g->values[nd->in[i]];
        in[i] = ir_add_value(m, NULL, v->dtype, &v->shape);
        if (in[i] == OQ_NONE)
            goto nomem;
        m->values[in[i]].data = v->data;       /* borrowed: m dies first */
    }
    for (uint32_t i = 0; i < nd->nout; i++) {
        out[i] = OQ_NONE;
        if (nd->out[i] == OQ_NONE)
            continue;
        const oq_value *v = &g->values[nd->out[i]];
        out[i] = ir_add_value(m, v->name, v->dtype, &v->shape);
        if (out[i] == OQ_NONE)
            goto nomem;
    }
    uint32_t k = ir_add_node(m, nd->op, nd->name, in, nd->nin, out, nd->nout);
    if (k == OQ_NONE)
        goto nomem;
    m->nodes[k].attr = nd->attr;               /* borrowed, read-only */
    m->nodes[k].nattr = nd->nattr;
    m->nodes[k].op_type = nd->op_type;
    m->nodes[k].domain = nd->domain;
    m->opset = g->opset;
    m->outputs = oq_arena_alloc(&m->arena, (nd->nout + 1) * sizeof(uint32_t));
    if (!m->outputs)
        goto nomem;
    for (uint32_t i = 0; i < nd->nout; i++)
        if (out[i] != OQ_NONE) {
            m->outputs[m->noutput++] = out[i];
            m->values[out[i]].is_output = true;
        }
    oq_diag md = {0};
    if (oq_interp_new(m, &it, &md) != OQ_OK)
        goto done;             /* not evaluable here (e.g. unsupported attribute): leave it */
    oq_rt_tensor res[16];
    if (oq_interp_run(it, NULL, res, NULL, NULL, &md) != OQ_OK)
        goto done;
    for (uint32_t i = 0, j = 0; i < nd->nout; i++) {
        if (out[i] == OQ_NONE)
            continue;
        if (!ir_set_const(g, nd->out[i], res[j++].data))
            goto nomem;
    }
    *done = true;
    goto done;
nomem:
    st = oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory folding constants");
done:
    oq_interp_free(it);
    oq_graph_free(m);
    return st;
}

oq_status pass_constfold(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t n = 0; n < g->nnode; n++) {
            oq_node *nd = &g->nodes[n];
            if (nd->dead || nd->nout == 0 || !foldable_op(nd->op))
                continue;
            bool out_ok = true, known = true, all_const = true;
            size_t bytes = 0;
            for (uint32_t i = 0; i < nd->nout; i++) {
                uint32_t v = nd->out[i];
                if (v == OQ_NONE)
                    continue;
                out_ok &= !g->values[v].is_output;
                known &= g->values[v].data != NULL;
                size_t b = ir_value_nbytes(g, v);
                out_ok &= b > 0 || oq_shape_numel(&g->values[v].shape) == 0;
                bytes += b;
            }
            if (!out_ok || bytes > MAX_FOLD_BYTES)
                continue;
            if (known) {
                nd->dead = true;
                changed = true;
                continue;
            }
            for (uint32_t i = 0; i < nd->nin; i++)
                all_const &= nd->in[i] == OQ_NONE || g->values[nd->in[i]].data != NULL;
            if (!all_const || nd->nin == 0)
                continue;
            bool done;
            oq_status st = eval_node(g, n, &done, d);
            if (st != OQ_OK)
                return st;
            if (done) {
                g->nodes[n].dead = true;
                changed = true;
            }
        }
        if (changed) {
            oq_status st = oq_pass_finish(g, NULL, d);
            if (st != OQ_OK)
                return st;
        }
    }
    return oq_pass_finish(g, o, d);
}
