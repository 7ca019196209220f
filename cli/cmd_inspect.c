/* onnxq inspect: a model's inputs, outputs, op histogram, parameters, MACs and content hash;
 * --dump prints the IR text form. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_shape(const oq_shape *s)
{
    if (s->rank < 0) {
        printf("[?]");
        return;
    }
    printf("[");
    for (int i = 0; i < s->rank; i++)
        printf(s->dim[i] < 0 ? "%s?" : "%s%lld", i ? "," : "", (long long)s->dim[i]);
    printf("]");
}

static void print_count(const char *label, double v)
{
    const char *unit = "";
    double x = v;
    if (v >= 1e9)
        x = v / 1e9, unit = " G";
    else if (v >= 1e6)
        x = v / 1e6, unit = " M";
    else if (v >= 1e3)
        x = v / 1e3, unit = " k";
    printf("%s%.3g%s (%.0f)\n", label, x, unit, v);
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
        int64_t kdim = ir_attr_int(n, "transA", 0) ? a->dim[0] : a->dim[1];
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

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL, *v;
    bool dump = false;
    oq_input_shape shapes[16];
    onnxq_input_shape pshapes[16];
    uint32_t nshapes = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--dump") == 0)
            dump = true;
        else if ((r = cli_opt(argc, argv, &i, "--input-shape", &v))) {
            if (r < 0 || nshapes == 16 || !cli_parse_shape(v, &pshapes[nshapes++]))
                return CLI_USAGE;
        } else if (argv[i][0] == '-')
            return cli_usage_error("inspect", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("inspect", "more than one model given");
    }
    if (!path)
        return cli_usage_error("inspect", "no model given");

    oq_diag d = {0};
    d.warn = cli_warn;
    for (uint32_t k = 0; k < nshapes; k++) {
        shapes[k].name = pshapes[k].name;
        shapes[k].shape.rank = pshapes[k].rank;
        memcpy(shapes[k].shape.dim, pshapes[k].dims, sizeof pshapes[k].dims);
    }
    oq_import_opts io = {.shapes = shapes, .nshapes = nshapes, .allow_unknown_ops = true};
    oq_graph *g = NULL;
    if (oq_import_onnx(path, &io, &g, &d) != OQ_OK)
        return cli_fail(&d);

    if (dump) {
        ir_print(g, stdout, false);
        oq_graph_free(g);
        return CLI_OK;
    }
    printf("model: %s\n", path);
    printf("  producer: %s, ir_version %lld, opset %lld\n",
           g->producer_name && g->producer_name[0] ? g->producer_name : "?",
           (long long)g->ir_version, (long long)g->opset);
    printf("  hash: xxh3:%016llx\n", (unsigned long long)ir_hash_graph(g));
    printf("inputs:\n");
    for (uint32_t i = 0; i < g->ninput; i++) {
        const oq_value *val = &g->values[g->inputs[i]];
        printf("  %-24s %-8s ", val->name, oq_dtype_name(val->dtype));
        print_shape(&val->shape);
        printf("\n");
    }
    printf("outputs:\n");
    for (uint32_t i = 0; i < g->noutput; i++) {
        const oq_value *val = &g->values[g->outputs[i]];
        printf("  %-24s %-8s ", val->name, oq_dtype_name(val->dtype));
        print_shape(&val->shape);
        printf("\n");
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
    printf("ops (%u nodes):\n", g->nnode);
    for (uint32_t t = 0; t < ntypes; t++)
        printf("  %-24s %u%s\n", types[t], counts[t],
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
    print_count("parameters: ", params);
    print_count("parameter bytes: ", bytes);
    print_count("MACs (per sample; symbolic dims as 1): ", macs);
    if (nunknown)
        printf("unsupported: %u node(s) use ops onnxq does not support; quantize and run will "
               "refuse this model\n", nunknown);
    oq_graph_free(g);
    return CLI_OK;
}
