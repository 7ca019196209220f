/* onnxq eval: top-1 accuracy of a classifier on a labeled .npy set (onnxq_eval, with the
 * reference interpreter: fp32 or quantized graphs alike). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_eval(int argc, char **argv)
{
    const char *path = NULL, *data = NULL, *labels = NULL, *v;
    long batch = 100, limit = -1;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--data", &v)) > 0)
            data = v;
        else if (r == 0 && (r = cli_opt(argc, argv, &i, "--labels", &v)) > 0)
            labels = v;
        else if (r == 0 && (r = cli_opt(argc, argv, &i, "--batch", &v)) > 0)
            batch = strtol(v, NULL, 10);
        else if (r == 0 && (r = cli_opt(argc, argv, &i, "--limit", &v)) > 0)
            limit = strtol(v, NULL, 10);
        else if (r < 0)
            return CLI_USAGE;
        else if (argv[i][0] == '-')
            return cli_usage_error("eval", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("eval", "more than one model given");
    }
    if (!path || !data || !labels)
        return cli_usage_error("eval", "needs MODEL --data X.npy --labels Y.npy");
    if (batch < 1 || batch > 4096)
        return cli_usage_error("eval", "--batch must be in 1..4096");

    onnxq_options o;
    onnxq_options_init(&o);
    o.log_fn = cli_log;
    onnxq_session *s = NULL;
    onnxq_eval_result r;
    uint32_t lim = limit > 0 ? (limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit) : 0;
    int rc = CLI_OK;
    if (onnxq_session_new(&o, &s) != ONNXQ_OK ||
        onnxq_eval(s, path, data, labels, (uint32_t)batch, lim, &r) != ONNXQ_OK)
        rc = cli_fail(s);
    else
        printf("top-1: %.2f%% (%llu/%llu) in %.2f s (%.0f samples/s)\n",
               100.0 * (double)r.correct / (double)r.total, (unsigned long long)r.correct,
               (unsigned long long)r.total, r.seconds, (double)r.total / r.seconds);
    onnxq_session_free(s);
    return rc;
}
