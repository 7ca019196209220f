/* onnxq compile: float ONNX -> standalone C (int8 kernels, no malloc) in an output folder. */
#include <string.h>

#include "qopts.h"

int cmd_compile(int argc, char **argv)
{
    qflow q;
    qflow_init(&q);
    const char *path = NULL, *out_dir = NULL, *v;
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
            out_dir = v;
        } else if ((r = cli_opt(argc, argv, &i, "--name", &v))) {
            if (r < 0)
                goto done;
            q.o.name = v;
        } else if ((r = cli_opt(argc, argv, &i, "--target", &v))) {
            if (r < 0)
                goto done;
            q.o.target = v;
        } else if (strcmp(argv[i], "--debug-dump") == 0) {
            q.o.debug_dump = 1;
        } else if (strcmp(argv[i], "--profile") == 0) {
            q.o.profile = 1;
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
    if (!path || !out_dir) {
        cli_usage_error("compile", "needs MODEL and --emit-c OUTDIR");
        goto done;
    }
    onnxq_session *s = NULL;
    onnxq_compile_info ci;
    if (onnxq_session_new(qflow_finish(&q), &s) != ONNXQ_OK ||
        onnxq_session_quantize(s, path) != ONNXQ_OK) {
        rc = s ? qflow_fail(s, true) : CLI_ERR;
    } else if (onnxq_session_emit_c(s, out_dir, &ci) != ONNXQ_OK) {
        rc = qflow_fail(s, true);
    } else {
        printf("wrote %s: %u kernel calls, %.3g M MACs, weights %zu bytes, workspace %zu bytes "
               "(lower bound %zu), %u node(s) in float\n", out_dir, ci.kernel_calls,
               ci.macs / 1e6, ci.weight_bytes, ci.workspace_bytes, ci.workspace_lower_bound,
               ci.float_nodes);
        rc = CLI_OK;
    }
    onnxq_session_free(s);
done:
    qflow_free(&q);
    return rc;
}
