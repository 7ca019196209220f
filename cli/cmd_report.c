/* onnxq report: where a model loses accuracy in int8. Runs the float passes and calibration of
 * `onnxq quantize` (same options), then analysis/report.c's per-layer figures; prints the text
 * table on stdout, writes the self-contained HTML (-o) and JSON (--json) atomically. */
#include <math.h>
#include <string.h>

#include "analysis/analysis.h"
#include "backends/onnx/atomic_file.h"
#include "quantflow.h"

#if defined(OQ_REPORT_HAVE_HTML) && defined(OQ_REPORT_HAVE_JSON)
#define OQ_REPORT_DOCS 1
typedef struct rep_out {
    const oq_report *r;
    oq_status (*fn)(const oq_report *, FILE *, oq_diag *);
} rep_out;

/* oq_file_writer calling one renderer. */
static bool write_doc(void *ctx, FILE *f, oq_diag *d)
{
    const rep_out *o = ctx;
    return o->fn(o->r, f, d) == OQ_OK;
}
#endif

#ifndef OQ_REPORT_HAVE_TEXT
/* Minimal table until the renderers are in (analysis/render_text.c replaces it). */
static oq_status text_table(const oq_report *r, FILE *f, oq_diag *d)
{
    (void)d;
    fprintf(f, "%s: %u samples, observer %s, output SQNR %.2f dB\n", r->model, r->samples,
            r->observer, r->model_sqnr);
    fprintf(f, "%-24s %-8s %8s %8s %8s %8s %8s %8s\n", "layer", "op", "w.min", "w.mean", "act",
            "cum", "sens", "sens.acc");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *l = &r->layers[i];
        fprintf(f, "%-24.24s %-8.8s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f%s\n", l->name, l->op,
                l->weight_sqnr_min, l->weight_sqnr_mean, l->act_sqnr, l->cum_sqnr, l->sens_sqnr,
                l->sens_acc, l->quantized ? "" : " (float)");
    }
    return ferror(f) ? OQ_ERR_IO : OQ_OK;
}
#else
#define text_table oq_report_write_text
#endif

/* The float graph after the passes and its calibration, as qflow_run would quantize them;
 * with --bias-correct, *ref is the graph before the biases were corrected (the reference the
 * figures compare against), else NULL. */
static oq_status prepare(qflow *q, const char *path, oq_graph **g, oq_graph **ref, oq_calib **c,
                         oq_diag *d)
{
    const char *const *p = oq_pass_names();
    while (p[0] && p[1])
        p++;
    q->opt.stop_after = p[0];              /* qflow_run stops before calibration */
    oq_status st = qflow_run(q, path, g, d);
    q->opt.stop_after = NULL;
    if (st != OQ_OK)
        return st;
    if (!q->ncalib)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "report measures on the --calib samples: give --calib DATA");
    if (q->opt.bias_correct) {
        oq_calib_data data = {q->calib, q->ncalib};
        if (!(*ref = oq_graph_clone(*g)))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        if ((st = oq_bias_correct(*g, &data, &q->opt, d)))
            return st;
    }
    st = oq_calib_new(*g, &q->opt, c, d);
    if (st == OQ_OK && q->load_calib)
        st = oq_calib_load(*c, *g, q->load_calib, d);
    if (st == OQ_OK && q->ncalib) {
        oq_calib_data data = {q->calib, q->ncalib};
        st = oq_calibrate(*c, *g, &data, &q->opt, d);
    }
    if (st == OQ_OK && q->save_calib)
        st = oq_calib_save(*c, *g, q->save_calib, d);
    return st;
}

/* onnxq report: exit 0, 1 (model / data error) or 2 (usage). */
int cmd_report(int argc, char **argv)
{
    qflow q;
    memset(&q, 0, sizeof q);
    const char *path = NULL, *html = NULL, *json = NULL, *v;
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
    if (!path || !q.ncalib) {
        cli_usage_error("report", "needs MODEL and --calib DATA");
        goto done;
    }
    if (q.mp_sqnr || q.mp_acc || q.opt.stop_after || q.opt.dump_after ||
        q.opt.mode != OQ_MODE_STATIC || (!q.eval_x != !q.eval_labels)) {
        cli_usage_error("report", "--eval and --labels go together; --target-sqnr, "
                        "--max-accuracy-drop, --stop-after, --dump-after and --mode dynamic "
                        "do not apply to a report");
        goto done;
    }
#ifndef OQ_REPORT_DOCS
    if (html || json) {
        fprintf(stderr, "onnxq: this build has no HTML / JSON report renderer\n");
        rc = CLI_ERR;
        goto done;
    }
#endif
    oq_diag d = {0};
    d.warn = cli_warn;
    oq_graph *g = NULL, *ref = NULL;
    oq_calib *c = NULL;
    oq_samples s = {0}, e = {0};
    oq_report r = {0};
    rc = CLI_ERR;
    oq_status st = prepare(&q, path, &g, &ref, &c, &d);
    if (st == OQ_OK) {
        oq_calib_data data = {q.calib, q.ncalib};
        st = oq_samples_load_calib(g, &data, q.opt.calib_limit, &s, &d);
    }
    if (st == OQ_OK && q.eval_x)
        st = oq_samples_load_eval(g, q.eval_x, q.eval_labels, q.eval_limit, &e, &d);
    if (st == OQ_OK) {
        q.opt.exclude = q.exclude;
        st = oq_report_build(g, ref, c, &q.opt, &s, q.eval_x ? &e : NULL, path, &r, &d);
    }
    if (st == OQ_OK)
        st = text_table(&r, stdout, &d);
#ifdef OQ_REPORT_DOCS
    const char *protect[4] = {path, q.eval_x, q.eval_labels, q.load_calib};
    rep_out ho = {&r, oq_report_write_html}, jo = {&r, oq_report_write_json};
    if (st == OQ_OK && html)
        st = oq_write_file_atomic(html, protect, 4, write_doc, &ho, &d);
    if (st == OQ_OK && json)
        st = oq_write_file_atomic(json, protect, 4, write_doc, &jo, &d);
#endif
    if (st == OQ_OK) {
        if (html)
            fprintf(stderr, "wrote %s\n", html);
        if (json)
            fprintf(stderr, "wrote %s\n", json);
        rc = CLI_OK;
    } else {
        rc = d.status == OQ_ERR_USAGE ? CLI_USAGE : CLI_ERR;
        cli_fail(&d);
    }
    oq_report_free(&r);
    oq_samples_free(&s);
    oq_samples_free(&e);
    oq_calib_free(c);
    oq_graph_free(g);
    oq_graph_free(ref);
done:
    qflow_free(&q);
    return rc;
}
