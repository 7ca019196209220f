/* onnxq quantize: float ONNX -> quantized ONNX (QDQ or QOperator) for ONNX Runtime & co. */
#include <string.h>

#include "backends/onnx/onnx_write.h"
#include "quantflow.h"

int cmd_quantize(int argc, char **argv)
{
    qflow q;
    memset(&q, 0, sizeof q);
    const char *path = NULL, *outp = NULL, *v;
    oq_write_opts wo = {0};
    bool fmt_int = false;       /* --format int: lowered graph with com.microsoft ops */
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        int r = qflow_opt(&q, argc, argv, &i);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        if ((r = cli_opt(argc, argv, &i, "-o", &v)) || (r = cli_opt(argc, argv, &i, "--output", &v))) {
            if (r < 0)
                goto done;
            outp = v;
        } else if ((r = cli_opt(argc, argv, &i, "--format", &v))) {
            if (r < 0)
                goto done;
            if (strcmp(v, "qdq") == 0)
                wo.format = OQ_FORMAT_QDQ;
            else if (strcmp(v, "qop") == 0)
                wo.format = OQ_FORMAT_QOP;
            else if (strcmp(v, "int") == 0)     /* lowered for the C backend, com.microsoft ops */
                wo.format = OQ_FORMAT_QDQ, q.opt.contrib_ops = fmt_int = true;
            else {
                cli_usage_error("quantize", "--format is qdq, qop or int, not '%s'", v);
                goto done;
            }
        } else if (argv[i][0] == '-') {
            cli_usage_error("quantize", "unknown option '%s'", argv[i]);
            goto done;
        } else if (!path)
            path = argv[i];
        else {
            cli_usage_error("quantize", "more than one model given");
            goto done;
        }
    }
    if (!path || (!outp && !q.opt.stop_after)) {
        cli_usage_error("quantize", "needs MODEL and -o OUT.onnx");
        goto done;
    }
    oq_diag d = {0};
    d.warn = cli_warn;
    oq_graph *g = NULL;
    rc = CLI_ERR;
    if (qflow_run(&q, path, &g, &d) != OQ_OK) {
        rc = d.status == OQ_ERR_USAGE ? CLI_USAGE : CLI_ERR;
        cli_fail(&d);
        goto done;
    }
    if (q.opt.stop_after) {
        rc = CLI_OK;
        oq_graph_free(g);
        goto done;
    }
    if ((wo.format == OQ_FORMAT_QOP || fmt_int) && pass_lower_int(g, &q.opt, &d) != OQ_OK) {
        cli_fail(&d);
        oq_graph_free(g);
        goto done;
    }
    wo.input_path = path;
    /* keep the model's symbolic dims (dynamic batch); intermediate shapes were computed with
     * them set to 1, so value_info is left out */
    qflow_restore_symbolic(&q, g);
    for (uint32_t i = 0; i < 64; i++)
        if (q.sym_in[i] || q.sym_out[i])
            wo.no_value_info = true;
    if (oq_write_onnx(g, outp, &wo, &d) != OQ_OK) {
        cli_fail(&d);
        oq_graph_free(g);
        goto done;
    }
    printf("wrote %s (%s)\n", outp, fmt_int ? "integer ops incl. com.microsoft" : wo.format == OQ_FORMAT_QOP ? "QOperator" : "QDQ");
    oq_graph_free(g);
    rc = CLI_OK;
done:
    qflow_free(&q);
    return rc;
}
