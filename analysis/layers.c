/* Layers as the quantizer sees them, and quantized copies of the float graph: the full graph
 * (with more layers left float, for mixed precision) and the graph where one layer alone is
 * quantized (for one-at-a-time sensitivity). A layer is a node with its own activation qparams
 * (the quantizer's list: Conv, ConvTranspose, Gemm, MatMul, Add, Mul, Concat, activations); an
 * activation fused into its producer is part of the producer's layer, whose --exclude name
 * also leaves the activation float (passes/quantize.c decide()). */
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Ops whose output the quantizer gives its own qparams (ops.def flag OWNQ). */
static bool own_qparams_op(oq_op op) { return oq_op_info(op)->flags & OQ_OPF_OWNQ; }

/* Node n is the producer of a fused pattern (onnxq_fused). */
static bool fused(const oq_graph *g, uint32_t n)
{
    return ir_attr_i(&g->nodes[n], OQ_A_ANY_onnxq_fused) != 0;
}

/* Scans fg in order; a fused producer's output is its activation's. */
oq_status oq_find_layers(const oq_graph *fg, oq_layer **out, uint32_t *n, oq_diag *d)
{
    *out = NULL;
    *n = 0;
    oq_layer *l = malloc((fg->nnode + 1) * sizeof *l);
    if (!l)
        return oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    uint32_t k = 0;
    for (uint32_t i = 0; i < fg->nnode; i++) {
        const oq_node *nd = &fg->nodes[i];
        if (nd->dead || !own_qparams_op(nd->op) || nd->nin < 1 || nd->nout < 1 ||
            nd->in[0] == OQ_NONE || nd->out[0] == OQ_NONE ||
            fg->values[nd->out[0]].dtype != OQ_DT_FLOAT)
            continue;
        uint32_t p = fg->values[nd->in[0]].producer;
        if (p != OQ_NONE && fused(fg, p))
            continue;          /* the activation of a fused pattern: its producer's layer */
        uint32_t y = nd->out[0];
        if (fused(fg, i)) {    /* output = the activation reading y */
            uint32_t act = OQ_NONE;
            for (uint32_t j = i + 1; j < fg->nnode && act == OQ_NONE; j++)
                if (!fg->nodes[j].dead && fg->nodes[j].nin && fg->nodes[j].in[0] == y)
                    act = j;
            if (act == OQ_NONE || fg->nodes[act].out[0] == OQ_NONE)
                continue;
            y = fg->nodes[act].out[0];
        }
        l[k++] = (oq_layer){i, y};
    }
    *out = l;
    *n = k;
    return OQ_OK;
}

oq_status oq_diag_forward(oq_diag *d, const oq_diag *from)
{
    if (d->status == OQ_OK) {
        d->status = from->status;
        memcpy(d->msg, from->msg, sizeof d->msg);
    }
    return from->status;
}

/* Quantizes a copy of fg with options op. Overrides naming a tensor the quantizer no longer
 * computes qparams for (its layer and every consumer left float) are dropped and the copy
 * redone, so leaving layers float never turns a user's --override into an error. */
static oq_status quantize_dropping_overrides(const oq_graph *fg, const oq_calib *c,
                                             oq_options *op, oq_graph **out, oq_diag *d)
{
    oq_override *ov = malloc((op->noverride + 1) * sizeof *ov);
    if (!ov)
        return oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (op->noverride)
        memcpy(ov, op->overrides, op->noverride * sizeof *ov);
    op->overrides = ov;
    oq_status st;
    for (;;) {
        oq_graph *g = oq_graph_clone(fg);
        if (!g) {
            st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory copying the graph");
            break;
        }
        oq_diag tmp = {.file = d->file, .warn = d->warn, .warn_ctx = d->warn_ctx};
        st = oq_quantize(g, c, op, &tmp);
        if (st == OQ_OK) {
            *out = g;
            break;
        }
        oq_graph_free(g);
        uint32_t drop = OQ_NONE;
        for (uint32_t i = 0; st == OQ_ERR_USAGE && i < op->noverride && drop == OQ_NONE; i++) {
            char pat[300];
            snprintf(pat, sizeof pat, "--override: '%.256s' is not a tensor", ov[i].tensor);
            if (strstr(tmp.msg, pat))
                drop = i;
        }
        if (drop == OQ_NONE) {
            oq_diag_forward(d, &tmp);
            break;
        }
        ov[drop] = ov[--op->noverride];
    }
    free(ov);
    op->overrides = NULL;
    return st;
}

/* Quantizes a clone of fg with o's excludes plus extra[]; fg is untouched. */
oq_status oq_quantize_copy(const oq_graph *fg, const oq_calib *c, const oq_options *o,
                           const char *const *extra, uint32_t nextra, oq_graph **out, oq_diag *d)
{
    *out = NULL;
    oq_options op = *o;
    const char **ex = malloc((o->nexclude + nextra + 1) * sizeof *ex);
    if (!ex)
        return oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory copying the graph");
    for (uint32_t i = 0; i < o->nexclude; i++)
        ex[i] = o->exclude[i];
    for (uint32_t i = 0; i < nextra; i++)
        ex[o->nexclude + i] = extra[i];
    op.exclude = ex;
    op.nexclude = o->nexclude + nextra;
    op.progress = NULL;
    op.dump_after = op.stop_after = NULL;
    oq_status st;
    if (nextra == 0) {         /* the user's own setting: its errors are the user's */
        oq_graph *g = oq_graph_clone(fg);
        st = g ? oq_quantize(g, c, &op, d)
               : oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory copying the graph");
        if (st == OQ_OK)
            *out = g;
        else
            oq_graph_free(g);
    } else {
        st = quantize_dropping_overrides(fg, c, &op, out, d);
    }
    free(ex);
    return st;
}

/* Looks the value up by name: quantized outputs are DequantizeLinear results. */
bool oq_layer_quantized(const oq_graph *qg, const char *name)
{
    uint32_t v = ir_find_value(qg, name);
    if (v == OQ_NONE || qg->values[v].producer == OQ_NONE)
        return false;
    return qg->nodes[qg->values[v].producer].op == OQ_OP_DequantizeLinear;
}

/* True if tensor name is an input of layer node n or the layer's output y. */
static bool names_layer_tensor(const oq_graph *fg, uint32_t n, uint32_t y, const char *name)
{
    const oq_node *nd = &fg->nodes[n];
    for (uint32_t i = 0; i < nd->nin; i++)
        if (nd->in[i] != OQ_NONE && strcmp(fg->values[nd->in[i]].name, name) == 0)
            return true;
    return strcmp(fg->values[y].name, name) == 0;
}

/* Excludes every other layer by name; keeps the overrides of this layer's tensors. */
oq_status oq_quantize_only(const oq_graph *fg, const oq_calib *c, const oq_options *o,
                           const oq_layer *layers, uint32_t nlayers, uint32_t which,
                           oq_graph **out, oq_diag *d)
{
    *out = NULL;
    oq_options op = *o;
    const char **ex = malloc((nlayers + 1) * sizeof *ex);
    oq_override *ov = malloc((o->noverride + 1) * sizeof *ov);
    if (!ex || !ov) {
        free(ex);
        free(ov);
        return oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < nlayers; i++)
        if (i != which)
            ex[k++] = fg->nodes[layers[i].node].name;
    uint32_t nov = 0;
    for (uint32_t i = 0; i < o->noverride; i++)
        if (names_layer_tensor(fg, layers[which].node, layers[which].output,
                               o->overrides[i].tensor))
            ov[nov++] = o->overrides[i];   /* tensor keeps pointing at o's name */
    op.exclude = ex;
    op.nexclude = k;
    op.op_types = NULL;
    op.nop_types = 0;
    op.overrides = ov;
    op.noverride = nov;
    oq_graph *g = NULL;
    op.progress = NULL;
    op.dump_after = op.stop_after = NULL;
    oq_diag quiet = {.file = d->file};   /* warnings belong to the user's own graph */
    oq_status st = quantize_dropping_overrides(fg, c, &op, &g, &quiet);
    free(ex);
    free(ov);
    if (st != OQ_OK)
        return oq_diag_forward(d, &quiet);
    if (!oq_layer_quantized(g, fg->values[layers[which].output].name)) {
        oq_graph_free(g);
        return OQ_OK;
    }
    *out = g;
    return OQ_OK;
}
