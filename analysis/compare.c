/* onnxq report --compare OTHER_QDQ.onnx: the same layers as another tool quantized them. A
 * report layer (a node of the float graph) is matched to the other model's node of the same
 * name and op (ONNX Runtime, NNCF and Quark keep node names); layers left unmatched are paired
 * by order when both graphs have as many nodes of that op (exporters that rename, e.g. PyTorch's
 * QDQ export). The other model's figures are measured as onnxq's: weight SQNR against the
 * dequantized constant weight, output-quantization SQNR of the layer's float output with its
 * QuantizeLinear's qparams, cumulative SQNR of its own run (analysis/report.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Per-tensor qparams of Q/DQ node n (scale input 1, zero point input 2); scale NAN when they
 * are not constant, per-axis, or of a type other than (u)int8 / (u)int16. */
static oq_act_qp node_qp(const oq_graph *g, const oq_node *n)
{
    oq_act_qp q = {NAN, 0, 0, 255};
    if (n->nin < 2 || n->in[1] == OQ_NONE)
        return q;
    const oq_value *s = &g->values[n->in[1]];
    if (!s->data || s->dtype != OQ_DT_FLOAT || oq_shape_numel(&s->shape) != 1)
        return q;
    float scale = ((const float *)s->data)[0];
    if (n->nin > 2 && n->in[2] != OQ_NONE) {
        const oq_value *z = &g->values[n->in[2]];
        if (!z->data || oq_shape_numel(&z->shape) != 1)
            return q;
        switch (z->dtype) {
        case OQ_DT_UINT8: q.zero_point = ((const uint8_t *)z->data)[0]; break;
        case OQ_DT_INT8:
            q = (oq_act_qp){NAN, ((const int8_t *)z->data)[0], -128, 127};
            break;
        case OQ_DT_UINT16:
            q = (oq_act_qp){NAN, ((const uint16_t *)z->data)[0], 0, 65535};
            break;
        case OQ_DT_INT16:
            q = (oq_act_qp){NAN, ((const int16_t *)z->data)[0], -32768, 32767};
            break;
        default: return q;
        }
    }
    q.scale = isfinite(scale) && scale > 0 ? scale : NAN;
    return q;
}

/* First live node of op `op` reading value v as input 0, OQ_NONE if none; *count = readers. */
static uint32_t reader(const oq_graph *g, uint32_t v, oq_op op, uint32_t *count)
{
    uint32_t found = OQ_NONE, n = 0;
    for (uint32_t i = 0; i < g->nnode; i++) {
        const oq_node *nd = &g->nodes[i];
        if (nd->dead)
            continue;
        for (uint32_t k = 0; k < nd->nin; k++)
            if (nd->in[k] == v) {
                n++;
                if (k == 0 && found == OQ_NONE && (op == OQ_OP_COUNT || nd->op == op))
                    found = i;
                break;
            }
    }
    if (count)
        *count = n;
    return found;
}

/* The value of og holding the output of layer node m (matched to float-graph layer L): the
 * float layer's output name when og has it, else m's output, through one fused activation
 * (an activation flagged FUSEACT in ir/ops.def reading it alone) when the float layer fused one. */
static uint32_t layer_value(const oq_graph *fg, const oq_layer *L, const oq_graph *og, uint32_t m)
{
    uint32_t v = ir_find_value(og, fg->values[L->output].name);
    if (v != OQ_NONE && og->values[v].dtype == OQ_DT_FLOAT)
        return v;
    v = og->nodes[m].nout ? og->nodes[m].out[0] : OQ_NONE;
    if (v == OQ_NONE || fg->nodes[L->node].nout < 1 || fg->nodes[L->node].out[0] == L->output)
        return v;
    uint32_t cnt = 0, a = reader(og, v, OQ_OP_COUNT, &cnt);
    if (cnt == 1 && a != OQ_NONE &&
        (oq_op_info(og->nodes[a].op)->flags & OQ_OPF_FUSEACT) && og->nodes[a].nout == 1)
        return og->nodes[a].out[0];
    return v;
}

/* Live node of g named name with op `op` (OQ_NONE if none or unnamed). */
static uint32_t named(const oq_graph *g, const char *name, oq_op op)
{
    if (!name || !name[0])
        return OQ_NONE;
    for (uint32_t i = 0; i < g->nnode; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op && g->nodes[i].name &&
            strcmp(g->nodes[i].name, name) == 0)
            return i;
    return OQ_NONE;
}

/* Pairs still unmatched layers with og's nodes of the same op by order, op by op, when the
 * float graph's layers and og's nodes of that op are as many. */
static void match_by_order(const oq_graph *fg, const oq_graph *og, const oq_layer *layers,
                           const uint32_t *keep, uint32_t nk, uint32_t *onode)
{
    for (uint32_t k = 0; k < nk; k++) {
        oq_op op = fg->nodes[layers[keep[k]].node].op;
        bool first = true;
        for (uint32_t j = 0; j < k; j++)
            first = first && fg->nodes[layers[keep[j]].node].op != op;
        if (!first)
            continue;          /* this op's layers were handled at its first layer */
        uint32_t nf = 0, no = 0;
        for (uint32_t j = k; j < nk; j++)
            nf += fg->nodes[layers[keep[j]].node].op == op;
        for (uint32_t i = 0; i < og->nnode; i++)
            no += !og->nodes[i].dead && og->nodes[i].op == op;
        if (nf != no)
            continue;
        uint32_t i = 0;
        for (uint32_t j = k; j < nk; j++) {
            if (fg->nodes[layers[keep[j]].node].op != op)
                continue;
            while (og->nodes[i].dead || og->nodes[i].op != op)
                i++;
            if (onode[j] == OQ_NONE)
                onode[j] = i;
            i++;
        }
    }
}

/* The qparams value v of g is quantized with: those of the DequantizeLinear writing it, else
 * of the QuantizeLinear reading it (scale NAN when neither). */
static oq_act_qp q_after(const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE)
        return (oq_act_qp){NAN, 0, 0, 255};
    uint32_t p = g->values[v].producer;
    if (p != OQ_NONE && g->nodes[p].op == OQ_OP_DequantizeLinear)
        return node_qp(g, &g->nodes[p]);
    uint32_t q = reader(g, v, OQ_OP_QuantizeLinear, NULL);
    return q == OQ_NONE ? (oq_act_qp){NAN, 0, 0, 255} : node_qp(g, &g->nodes[q]);
}

void oq_compare_match(const oq_graph *fg, const oq_graph *qg, const oq_graph *og,
                      const oq_layer *layers, const uint32_t *keep, uint32_t nk, oq_report *r,
                      uint32_t *ovalue, oq_act_qp *qp, oq_act_qp *oqp)
{
    uint32_t *onode = ovalue;  /* node ids first, values afterwards */
    for (uint32_t k = 0; k < nk; k++) {
        const oq_node *f = &fg->nodes[layers[keep[k]].node];
        oq_layer_report *L = &r->layers[k];
        float wmin, wmean;
        oq_dq_weight_figures(fg, layers[keep[k]].node, qg, named(qg, f->name, f->op), &wmin,
                             &wmean, &L->w_scale_min, &L->w_scale_max);
        uint32_t y = ir_find_value(qg, L->output);
        uint32_t p = y != OQ_NONE ? qg->values[y].producer : OQ_NONE;
        qp[k] = p != OQ_NONE && qg->nodes[p].op == OQ_OP_DequantizeLinear
                    ? node_qp(qg, &qg->nodes[p]) : (oq_act_qp){NAN, 0, 0, 255};
        L->cmp = (oq_layer_compare){.scale = NAN, .w_scale_min = NAN, .w_scale_max = NAN,
                                    .weight_sqnr_min = NAN, .weight_sqnr_mean = NAN,
                                    .out_sqnr = NAN, .cum_sqnr = NAN};
        oqp[k] = (oq_act_qp){NAN, 0, 0, 255};
        onode[k] = og ? named(og, f->name, f->op) : OQ_NONE;
        if (onode[k] != OQ_NONE)
            snprintf(L->cmp.how, sizeof L->cmp.how, "name");
    }
    r->cmp_matched = 0;
    if (!og)
        return;
    match_by_order(fg, og, layers, keep, nk, onode);
    for (uint32_t k = 0; k < nk; k++) {
        uint32_t m = onode[k];
        oq_layer_compare *c = &r->layers[k].cmp;
        if (m == OQ_NONE) {
            ovalue[k] = OQ_NONE;
            continue;
        }
        if (!c->how[0])
            snprintf(c->how, sizeof c->how, "order");
        snprintf(c->node, sizeof c->node, "%s", og->nodes[m].name ? og->nodes[m].name : "");
        oq_dq_weight_figures(fg, layers[keep[k]].node, og, m, &c->weight_sqnr_min,
                             &c->weight_sqnr_mean, &c->w_scale_min, &c->w_scale_max);
        ovalue[k] = layer_value(fg, &layers[keep[k]], og, m);
        oqp[k] = q_after(og, ovalue[k]);
        c->scale = oqp[k].scale;
        c->zero_point = oqp[k].zero_point;
        r->cmp_matched++;
    }
}

void oq_fakequant_sqnr_add(oq_sqnr_acc *a, const float *x, int64_t n, const oq_act_qp *q)
{
    if (!(q->scale > 0))
        return;
    float y[256];
    for (int64_t i = 0; i < n; i += 256) {
        int64_t m = n - i < 256 ? n - i : 256;
        for (int64_t j = 0; j < m; j++) {
            float v = nearbyintf(x[i + j] / q->scale) + (float)q->zero_point;
            v = v < (float)q->lo ? (float)q->lo : v > (float)q->hi ? (float)q->hi : v;
            y[j] = (v - (float)q->zero_point) * q->scale;
        }
        oq_sqnr_add(a, x + i, y, m);
    }
}
