/* analysis/render_json.c: `onnxq report --json`: the report's figures as one JSON object (RFC 8259).
 * Strings are escaped (control characters as \u00XX, invalid UTF-8 bytes as U+FFFD); floats are
 * "%.9g" (doubles "%.17g"), so they read back bit-exact; NAN and +-inf are written as null (JSON
 * has no infinity), and an object whose SQNR figures include +inf (zero error) also lists them:
 * "exact": ["act_sqnr", ...]. Layout: {"model", "observer", "samples", "model_sqnr", "acc_fp32",
 * "acc_int8", "eval_samples", "observers": [names], ["exact"], "layers": [{name, op, output,
 * quantized, *_sqnr, sens_acc, scale, zero_point, hist_lo, hist_hi, hist: [counts],
 * ranges: {observer: [lo, hi]}, ["exact"]}]}. */
#include <math.h>
#include <stdio.h>

#include "report.h"
#include "svg.h"

/* Observer names (the CLI's), indexed by oq_obs_kind. */
static const char *const obs_names[] = {
#define OQ_X(id, str, vt) str,
    OQ_OBSERVER_LIST(OQ_X)
#undef OQ_X
};

/* Length of the valid UTF-8 sequence at p (1..4), 0 when invalid. */
static int utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4
                                                                                               : 0;
    if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3) {
        unsigned cp = ((c & 0x0f) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    if (n == 4) {
        unsigned cp = ((c & 0x07) << 18) | ((p[1] & 0x3fu) << 12);
        if (cp < 0x10000 || cp > 0x10ffff)
            return 0;
    }
    return n;
}

/* A JSON string literal. */
static void jstr(oq_w *w, const char *s)
{
    oq_w_printf(w, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            oq_w_printf(w, "\\%c", c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            oq_w_printf(w, "\\u%04x", c);
            p++;
        } else {
            int n = utf8_len(p);
            if (n == 0) {
                oq_w_printf(w, "\\ufffd");
                p++;
            } else {
                oq_w_printf(w, "%.*s", n, (const char *)p);
                p += n;
            }
        }
    }
    oq_w_printf(w, "\"");
}

/* A float (9 significant digits) or null when not finite. */
static void jnum(oq_w *w, float v)
{
    if (isfinite(v))
        oq_w_printf(w, "%.9g", (double)v);
    else
        oq_w_printf(w, "null");
}

/* A double (17 significant digits) or null when not finite. */
static void jdbl(oq_w *w, double v)
{
    if (isfinite(v))
        oq_w_printf(w, "%.17g", v);
    else
        oq_w_printf(w, "null");
}

/* "key": float, */
static void kv_num(oq_w *w, const char *indent, const char *key, float v)
{
    oq_w_printf(w, "%s\"%s\": ", indent, key);
    jnum(w, v);
    oq_w_printf(w, ",\n");
}

/* `"exact": [names]` (with indent and a leading ",\n") for the figures that are +inf; nothing
 * when none is. */
static void exact_list(oq_w *w, const char *indent, const char *const *names, const float *v,
                       int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!(isinf(v[i]) && v[i] > 0))
            continue;
        oq_w_printf(w, k++ ? ", " : ",\n%s\"exact\": [", indent);
        oq_w_printf(w, "\"%s\"", names[i]);
    }
    if (k)
        oq_w_printf(w, "]");
}

/* The layer's "compare" object (--compare), a comma and newline after it. */
static void write_cmp(oq_w *w, const oq_layer_compare *C)
{
    const char *in = "        ";
    oq_w_printf(w, "      \"compare\": {\n%s\"node\": ", in);
    jstr(w, C->node);
    oq_w_printf(w, ",\n%s\"matched_by\": ", in);
    jstr(w, C->how);
    oq_w_printf(w, ",\n");
    kv_num(w, in, "scale", C->scale);
    oq_w_printf(w, "%s\"zero_point\": %d,\n", in, (int)C->zero_point);
    kv_num(w, in, "w_scale_min", C->w_scale_min);
    kv_num(w, in, "w_scale_max", C->w_scale_max);
    kv_num(w, in, "weight_sqnr_min", C->weight_sqnr_min);
    kv_num(w, in, "weight_sqnr_mean", C->weight_sqnr_mean);
    kv_num(w, in, "out_sqnr", C->out_sqnr);
    oq_w_printf(w, "%s\"cum_sqnr\": ", in);
    jnum(w, C->cum_sqnr);
    oq_w_printf(w, "\n      },\n");
}

/* One element of "layers" (a comma after it unless last). */
static void write_layer(oq_w *w, const oq_layer_report *L, bool cmp, bool last)
{
    const char *in = "      ";
    oq_w_printf(w, "    {\n%s\"name\": ", in);
    jstr(w, L->name);
    oq_w_printf(w, ",\n%s\"op\": ", in);
    jstr(w, L->op);
    oq_w_printf(w, ",\n%s\"output\": ", in);
    jstr(w, L->output);
    oq_w_printf(w, ",\n%s\"quantized\": %s,\n", in, L->quantized ? "true" : "false");
    kv_num(w, in, "weight_sqnr_min", L->weight_sqnr_min);
    kv_num(w, in, "weight_sqnr_mean", L->weight_sqnr_mean);
    kv_num(w, in, "act_sqnr", L->act_sqnr);
    kv_num(w, in, "cum_sqnr", L->cum_sqnr);
    kv_num(w, in, "sens_sqnr", L->sens_sqnr);
    kv_num(w, in, "sens_acc", L->sens_acc);
    kv_num(w, in, "scale", L->scale);
    oq_w_printf(w, "%s\"zero_point\": %d,\n", in, (int)L->zero_point);
    kv_num(w, in, "w_scale_min", L->w_scale_min);
    kv_num(w, in, "w_scale_max", L->w_scale_max);
    kv_num(w, in, "out_sqnr", L->out_sqnr);
    if (cmp)
        write_cmp(w, &L->cmp);
    kv_num(w, in, "hist_lo", L->hist_lo);
    kv_num(w, in, "hist_hi", L->hist_hi);
    oq_w_printf(w, "%s\"hist\": [", in);
    for (int b = 0; b < OQ_REPORT_BINS; b++) {
        oq_w_printf(w, "%s", b ? ", " : "");
        jdbl(w, L->hist[b]);
    }
    oq_w_printf(w, "],\n%s\"ranges\": {", in);
    for (int k = 0; k < OQ_OBS_COUNT; k++) {
        oq_w_printf(w, "%s\"%s\": [", k ? ", " : "", obs_names[k]);
        jnum(w, L->range_lo[k]);
        oq_w_printf(w, ", ");
        jnum(w, L->range_hi[k]);
        oq_w_printf(w, "]");
    }
    oq_w_printf(w, "}");
    static const char *const sq[] = {"weight_sqnr_min", "weight_sqnr_mean", "act_sqnr",
                                     "cum_sqnr", "sens_sqnr"};
    const float v[] = {L->weight_sqnr_min, L->weight_sqnr_mean, L->act_sqnr, L->cum_sqnr,
                       L->sens_sqnr};
    exact_list(w, in, sq, v, 5);
    oq_w_printf(w, "\n    }%s\n", last ? "" : ",");
}

oq_status oq_report_write_json(const oq_report *r, FILE *f, oq_diag *d)
{
    oq_w w;
    oq_w_begin(&w, f);
    const char *in = "  ";
    oq_w_printf(&w, "{\n%s\"model\": ", in);
    jstr(&w, r->model);
    oq_w_printf(&w, ",\n%s\"observer\": ", in);
    jstr(&w, r->observer);
    oq_w_printf(&w, ",\n%s\"samples\": %u,\n", in, r->samples);
    kv_num(&w, in, "model_sqnr", r->model_sqnr);
    kv_num(&w, in, "acc_fp32", r->acc_fp32);
    kv_num(&w, in, "acc_int8", r->acc_int8);
    if (r->compare[0]) {
        oq_w_printf(&w, "%s\"compare\": ", in);
        jstr(&w, r->compare);
        oq_w_printf(&w, ",\n%s\"compare_matched\": %u,\n", in, r->cmp_matched);
        kv_num(&w, in, "compare_model_sqnr", r->cmp_model_sqnr);
        kv_num(&w, in, "compare_acc", r->acc_cmp);
    }
    oq_w_printf(&w, "%s\"eval_samples\": %u,\n%s\"observers\": [", in, r->eval_samples, in);
    for (int k = 0; k < OQ_OBS_COUNT; k++)
        oq_w_printf(&w, "%s\"%s\"", k ? ", " : "", obs_names[k]);
    oq_w_printf(&w, "]");
    static const char *const sq[] = {"model_sqnr"};
    exact_list(&w, in, sq, &r->model_sqnr, 1);
    oq_w_printf(&w, ",\n%s\"layers\": [%s", in, r->nlayers ? "\n" : "");
    for (uint32_t i = 0; i < r->nlayers; i++)
        write_layer(&w, &r->layers[i], r->compare[0] != 0, i + 1 == r->nlayers);
    oq_w_printf(&w, "%s]\n}\n", r->nlayers ? in : "");
    return oq_w_finish(&w, d, "JSON report");
}
