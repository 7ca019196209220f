/* onnxq quantize: float ONNX -> quantized ONNX (QDQ or QOperator) for ONNX Runtime & co. */
#include <string.h>

#include "qopts.h"

int cmd_quantize(int argc, char **argv)
{
    qflow q;
    qflow_init(&q);
    const char *path = NULL, *outp = NULL, *v;
    onnxq_format fmt = ONNXQ_FORMAT_QDQ;
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
                fmt = ONNXQ_FORMAT_QDQ;
            else if (strcmp(v, "qop") == 0)
                fmt = ONNXQ_FORMAT_QOP;
            else if (strcmp(v, "int") == 0)     /* lowered for the C backend, com.microsoft ops */
                fmt = ONNXQ_FORMAT_INT;
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
    if (!path || (!outp && !q.o.stop_after)) {
        cli_usage_error("quantize", "needs MODEL and -o OUT.onnx");
        goto done;
    }
    onnxq_session *s = NULL;
    if (onnxq_session_new(qflow_finish(&q), &s) != ONNXQ_OK ||
        onnxq_session_quantize(s, path) != ONNXQ_OK) {
        rc = s ? qflow_fail(s, true) : CLI_ERR;
    } else if (q.o.stop_after) {
        rc = CLI_OK;
    } else if (onnxq_session_write_onnx(s, outp, fmt) != ONNXQ_OK) {
        rc = qflow_fail(s, true);
    } else {
        printf("wrote %s (%s)\n", outp, fmt == ONNXQ_FORMAT_INT ? "integer ops incl. com.microsoft"
                                        : fmt == ONNXQ_FORMAT_QOP ? "QOperator" : "QDQ");
        rc = CLI_OK;
    }
    onnxq_session_free(s);
done:
    qflow_free(&q);
    return rc;
}
