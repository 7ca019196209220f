/* onnxq compile: float ONNX -> standalone C (int8 kernels, no malloc) in an output folder. */
#include <string.h>

#include "backends/c/c_emit.h"
#include "quantflow.h"

int cmd_compile(int argc, char **argv)
{
    qflow q;
    memset(&q, 0, sizeof q);
    const char *path = NULL, *v;
    oq_emit_opts eo = {0};
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        int r = qflow_opt(&q, argc, argv, &i);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        if ((r = cli_opt(argc, argv, &i, "--emit-c", &v))) {
            if (r < 0)
                goto done;
            eo.out_dir = v;
        } else if ((r = cli_opt(argc, argv, &i, "--name", &v))) {
            if (r < 0)
                goto done;
            eo.name = v;
        } else if ((r = cli_opt(argc, argv, &i, "--target", &v))) {
            if (r < 0)
                goto done;
            eo.target = v;
        } else if (strcmp(argv[i], "--debug-dump") == 0) {
            eo.debug_dump = true;
        } else if (argv[i][0] == '-') {
            cli_usage_error("compile", "unknown option '%s'", argv[i]);
            goto done;
        } else if (!path)
            path = argv[i];
        else {
            cli_usage_error("compile", "more than one model given");
            goto done;
        }
    }
    if (!path || !eo.out_dir) {
        cli_usage_error("compile", "needs MODEL and --emit-c OUTDIR");
        goto done;
    }
    oq_diag d = {0};
    d.warn = cli_warn;
    oq_graph *g = NULL;
    rc = CLI_ERR;
    q.opt.contrib_ops = true;   /* QLinearAdd / QLinearGlobalAveragePool for the C backend */
    if (qflow_run(&q, path, &g, &d) != OQ_OK || pass_lower_int(g, &q.opt, &d) != OQ_OK) {
        rc = d.status == OQ_ERR_USAGE ? CLI_USAGE : CLI_ERR;
        cli_fail(&d);
        oq_graph_free(g);
        goto done;
    }
    oq_emit_report rep;
    eo.exclude = q.opt.exclude, eo.nexclude = q.opt.nexclude;   /* incl. mixed precision's */
    eo.op_types = q.opt.op_types, eo.nop_types = q.opt.nop_types;
    eo.custom_ops = q.custom_ops, eo.ncustom_ops = q.ncustom_ops;
    if (oq_emit_c(g, &eo, &rep, &d) != OQ_OK) {
        cli_fail(&d);
        oq_graph_free(g);
        goto done;
    }
    printf("wrote %s: %u kernel calls, %.3g M MACs, weights %zu bytes, workspace %zu bytes "
           "(lower bound %zu), %u node(s) in float\n", eo.out_dir, rep.nsteps, rep.macs / 1e6,
           rep.weight_bytes, rep.workspace, rep.lower_bound, rep.nfloat);
    oq_graph_free(g);
    rc = CLI_OK;
done:
    qflow_free(&q);
    return rc;
}
