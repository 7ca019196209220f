/* lib/inspect.c: onnxq_inspect (a model's inputs, outputs, op histogram, parameters, MACs and
 * content hash, or its IR as text) and the supported-operator table (onnxq_op_*), generated from
 * ir/ops.def (the only op list), the interpreter's dispatch table and the C backend. */
#include <stdlib.h>
#include <string.h>

#include "backends/c/c_emit.h"
#include "internal.h"
#include "runtime/interp/interp.h"

static void print_shape(FILE *f, const oq_shape *s)
{
    if (s->rank < 0) {
        fprintf(f, "[?]");
        return;
    }
    fprintf(f, "[");
    for (int i = 0; i < s->rank; i++)
        fprintf(f, s->dim[i] < 0 ? "%s?" : "%s%lld", i ? "," : "", (long long)s->dim[i]);
    fprintf(f, "]");
}

static void print_count(FILE *f, const char *label, double v)
{
    const char *unit = "";
    double x = v;
    if (v >= 1e9)
        x = v / 1e9, unit = " G";
    else if (v >= 1e6)
        x = v / 1e6, unit = " M";
    else if (v >= 1e3)
        x = v / 1e3, unit = " k";
    fprintf(f, "%s%.3g%s (%.0f)\n", label, x, unit, v);
}

/* Multiply-accumulates of one node (0 for ops that do not multiply weights). */
static double node_macs(const oq_graph *g, const oq_node *n)
{
    if (n->nout == 0 || n->out[0] == OQ_NONE || n->nin < 2 || n->in[1] == OQ_NONE)
        return 0;
    const oq_shape *y = &g->values[n->out[0]].shape, *w = &g->values[n->in[1]].shape;
    double ny = 1;  /* per sample: unknown (symbolic) dims count as 1 */
    for (int i = 0; i < y->rank; i++)
        ny *= y->dim[i] > 0 ? (double)y->dim[i] : 1;
    if (y->rank < 0 || w->rank < 0)
        return 0;
    switch (n->op) {
    case OQ_OP_Conv:
    case OQ_OP_ConvInteger:
    case OQ_OP_QLinearConv: {
        const oq_shape *ws = n->op == OQ_OP_QLinearConv ? &g->values[n->in[3]].shape : w;
        double k = 1;
        for (int i = 1; i < ws->rank; i++)
            k *= (double)ws->dim[i];
        return ny * k;
    }
    case OQ_OP_ConvTranspose: {
        const oq_shape *x = &g->values[n->in[0]].shape;
        double k = 1;
        for (int i = 1; i < w->rank; i++)
            k *= (double)w->dim[i];
        double nx = 1;
        for (int i = 0; i < x->rank; i++)
            nx *= x->dim[i] > 0 ? (double)x->dim[i] : 1;
        return nx * k;
    }
    case OQ_OP_Gemm: {
        const oq_shape *a = &g->values[n->in[0]].shape;
        int64_t kdim = ir_attr_i(n, OQ_A_Gemm_transA) ? a->dim[0] : a->dim[1];
        return ny * (double)kdim;
    }
    case OQ_OP_MatMul:
    case OQ_OP_MatMulInteger:
        return ny * (double)(w->rank >= 2 ? w->dim[w->rank - 2] : w->dim[0]);
    case OQ_OP_QLinearMatMul: {
        const oq_shape *b = &g->values[n->in[3]].shape;
        return ny * (double)(b->rank >= 2 ? b->dim[b->rank - 2] : b->dim[0]);
    }
    default:
        return 0;
    }
}

/* The summary of g (path as given) or, with dump, its IR text, to f. */
static void describe(FILE *f, const oq_graph *g, const char *path, bool dump)
{
    if (dump) {
        ir_print(g, f, false);
        return;
    }
    fprintf(f, "model: %s\n", path);
    fprintf(f, "  producer: %s, ir_version %lld, opset %lld\n",
           g->producer_name && g->producer_name[0] ? g->producer_name : "?",
           (long long)g->ir_version, (long long)g->opset);
    fprintf(f, "  hash: xxh3:%016llx\n", (unsigned long long)ir_hash_graph(g));
    fprintf(f, "inputs:\n");
    for (uint32_t i = 0; i < g->ninput; i++) {
        const oq_value *val = &g->values[g->inputs[i]];
        fprintf(f, "  %-24s %-8s ", val->name, oq_dtype_name(val->dtype));
        print_shape(f, &val->shape);
        fprintf(f, "\n");
    }
    fprintf(f, "outputs:\n");
    for (uint32_t i = 0; i < g->noutput; i++) {
        const oq_value *val = &g->values[g->outputs[i]];
        fprintf(f, "  %-24s %-8s ", val->name, oq_dtype_name(val->dtype));
        print_shape(f, &val->shape);
        fprintf(f, "\n");
    }
    /* op histogram, in order of first appearance, by op_type as written in the file */
    const char **types = calloc(g->nnode + 1, sizeof *types);
    uint32_t *counts = calloc(g->nnode + 1, sizeof *counts);
    uint32_t ntypes = 0, nunknown = 0;
    double macs = 0;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        uint32_t t = 0;
        while (t < ntypes && strcmp(types[t], nd->op_type) != 0)
            t++;
        if (t == ntypes)
            types[ntypes++] = nd->op_type;
        counts[t]++;
        if (nd->op == OQ_OP_UNKNOWN)
            nunknown++;
        macs += node_macs(g, nd);
    }
    fprintf(f, "ops (%u nodes):\n", g->nnode);
    for (uint32_t t = 0; t < ntypes; t++)
        fprintf(f, "  %-24s %u%s\n", types[t], counts[t],
               oq_op_lookup(types[t]) == OQ_OP_UNKNOWN ? "   (unsupported)" : "");
    free(types);
    free(counts);
    double params = 0, bytes = 0;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *val = &g->values[v];
        if (val->data && val->producer == OQ_NONE && !val->is_input) {
            params += (double)oq_shape_numel(&val->shape);
            bytes += (double)ir_value_nbytes(g, v);
        }
    }
    print_count(f, "parameters: ", params);
    print_count(f, "parameter bytes: ", bytes);
    print_count(f, "MACs (per sample; symbolic dims as 1): ", macs);
    if (nunknown)
        fprintf(f, "unsupported: %u node(s) use ops onnxq does not support; quantize and run will "
               "refuse this model\n", nunknown);
}

ONNXQ_API onnxq_status onnxq_inspect(onnxq_session *s, const char *model_path, int dump)
{
    lib_begin(s);
    oq_import_opts io = {.shapes = s->shapes, .nshapes = s->o.ninput_shapes,
                         .allow_unknown_ops = true};
    oq_graph *g = NULL;
    oq_status st = oq_import_onnx(model_path, &io, &g, &s->d);
    char *text = NULL;
    size_t ntext = 0;
    FILE *f = NULL;
    if (st == OQ_OK && !(f = open_memstream(&text, &ntext)))
        st = oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK) {
        describe(f, g, model_path, dump);
        fclose(f);
        lib_output(s, text, ntext);
    }
    free(text);
    oq_graph_free(g);
    return lib_end(s, st);
}

ONNXQ_API uint32_t onnxq_op_count(void)
{
    return OQ_OP_COUNT;
}

ONNXQ_API int onnxq_op_info(uint32_t i, onnxq_op_support *out)
{
    if (i >= OQ_OP_COUNT)
        return 0;
    out->name = oq_op_info((oq_op)i)->name;
    out->interpreter = oq_interp_supports((oq_op)i);
    out->emitted_c = oq_csup_text(oq_op_info((oq_op)i)->csup); /* ops.def column */
    return 1;
}
