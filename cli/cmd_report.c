/* onnxq report: where a model loses accuracy in int8 (onnxq_report, same options as
 * `onnxq quantize`): the text table on stdout, the self-contained HTML (-o) and JSON (--json). */
#include <string.h>

#include "qopts.h"

/* onnxq report: exit 0, 1 (model / data error) or 2 (usage). */
int cmd_report(int argc, char **argv)
{
    qflow q;
    qflow_init(&q);
    const char *path = NULL, *html = NULL, *json = NULL, *compare = NULL, *v;
    int rc = CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        int r = qflow_opt(&q, argc, argv, &i);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        if ((r = cli_opt(argc, argv, &i, "-o", &v)) ||
            (r = cli_opt(argc, argv, &i, "--output", &v))) {
            if (r < 0)
                goto done;
            html = v;
        } else if ((r = cli_opt(argc, argv, &i, "--json", &v))) {
            if (r < 0)
                goto done;
            json = v;
        } else if ((r = cli_opt(argc, argv, &i, "--compare", &v))) {
            if (r < 0)
                goto done;
            compare = v;
        } else if (argv[i][0] == '-') {
            cli_usage_error("report", "unknown option '%s'", argv[i]);
            goto done;
        } else if (!path) {
            path = argv[i];
        } else {
            cli_usage_error("report", "more than one model given");
            goto done;
        }
    }
    const onnxq_options *o = &q.o;
    if (!path || !q.ncalib) {
        cli_usage_error("report", "needs MODEL and --calib DATA");
        goto done;
    }
    if (o->target_sqnr_set || o->max_drop_set || o->stop_after || o->dump_after ||
        o->mode != ONNXQ_MODE_STATIC || (!o->eval_data != !o->eval_labels)) {
        cli_usage_error("report", "--eval and --labels go together; --target-sqnr, "
                        "--max-accuracy-drop, --stop-after, --dump-after and --mode dynamic "
                        "do not apply to a report");
        goto done;
    }
    onnxq_session *s = NULL;
    q.o.compare_model = compare;
    if (onnxq_session_new(qflow_finish(&q), &s) != ONNXQ_OK ||
        onnxq_report(s, path, html, json) != ONNXQ_OK) {
        rc = s ? qflow_fail(s, true) : CLI_ERR;
    } else {
        if (html)
            fprintf(stderr, "wrote %s\n", html);
        if (json)
            fprintf(stderr, "wrote %s\n", json);
        rc = CLI_OK;
    }
    onnxq_session_free(s);
done:
    qflow_free(&q);
    return rc;
}
