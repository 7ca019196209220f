/* analysis/render_html.c: `onnxq report -o report.html`: one self-contained HTML5 file (inline
 * CSS and inline SVG; no <script>, no external URL, a Content-Security-Policy that forbids
 * both). Contents: a summary, a grouped bar chart of per-layer SQNR, a table of the figures, and
 * per layer a histogram of its output with each observer's clipping range, affine and symmetric.
 * Chart count contract (tests rely on it): exactly 1 + nlayers <svg class="oq-chart"> elements
 * and no other <svg>. +inf SQNR (exact) bars run to the axis end with an infinity marker; NAN
 * figures draw no bar ("n/a"). A CSS-only checkbox switches histogram counts linear / log. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "svg.h"

/* Observer names (the CLI's), indexed by oq_obs_kind. */
static const char *const obs_names[] = {
#define OQ_X(id, str, vt) str,
    OQ_OBSERVER_LIST(OQ_X)
#undef OQ_X
};
/* Okabe-Ito colours (colour-blind safe) and dash patterns, per observer kind. */
static const char *const obs_color[] = {"#D55E00", "#E69F00", "#0072B2", "#009E73", "#CC79A7",
                                        "#56B4E9"};
static const char *const obs_dash[] = {"", "6 3", "2 2", "8 2 2 2", "4 4", "1 3"};
#define NSTYLE ((int)(sizeof obs_color / sizeof obs_color[0]))

enum { S_WEIGHT, S_ACT, S_CUM, S_SENS, NSERIES };
static const char *const series_name[NSERIES] = {"weight (mean)", "activation (own error)",
                                                 "cumulative (int8 up to here)",
                                                 "sensitivity (only this layer int8)"};
static const char *const series_short[NSERIES] = {"weight", "activation", "cumulative",
                                                  "sensitivity"};
static const char *const series_color[NSERIES] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7"};

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1000px;padding:0 16px;color:#222;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #ccc}h3{font-size:15px;margin:22px 0 2px}\n"
    "table{border-collapse:collapse;font-size:13px}th,td{padding:2px 8px;"
    "border-bottom:1px solid #e2e2e2;text-align:left}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}tr.float td{color:#888}\n"
    "table.figures{font-size:12px}table.figures td.name{min-width:14ch}"
    "div.scroll{overflow-x:auto}\n"
    "table.summary th{font-weight:600;padding-right:16px}\n"
    "svg.oq-chart{display:block;margin:6px 0 18px;font-family:system-ui,sans-serif;"
    "font-size:11px;background:#fff}\n"
    ".oq-axis-line{stroke:#444;stroke-width:1}.oq-grid{stroke:#e6e6e6;stroke-width:1}\n"
    ".oq-tick{fill:#444;font-size:10px}.oq-axis-label{fill:#333;font-size:11px}\n"
    ".oq-label{fill:#222;font-size:11px}.oq-sub{fill:#777;font-size:10px}\n"
    ".oq-float{fill:#999;font-style:italic}.oq-na{fill:#aaa;font-size:9px}\n"
    ".oq-inf{font-size:12px;font-weight:700}.oq-title{fill:#111;font-size:13px;"
    "font-weight:600}\n"
    ".oq-row{fill:#f6f6f6}.oq-hist{stroke:#555;stroke-width:1}.oq-wmin{stroke:#111;"
    "stroke-width:2}\n"
    ".oq-obs{stroke-width:1.6}.oq-model{stroke:#c00;stroke-width:1.2}\n"
    ".oq-toggle{margin:4px 6px 4px 0}.note{color:#666;font-size:12px}\n"
    "#oq-log:checked~main .oq-lin{display:none}"
    "#oq-log:not(:checked)~main .oq-log{display:none}\n";

/* Display text of an SQNR figure for tips: "12.34 dB", "+inf dB (exact)", "n/a". */
static void fmt_db(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "n/a");
    else if (isinf(v))
        snprintf(buf, n, "%sinf dB (%s)", v > 0 ? "+" : "-", v > 0 ? "exact" : "no signal");
    else
        snprintf(buf, n, "%.2f dB", v);
}

/* Index of the run's observer in obs_names (case-insensitive), -1 when unknown. */
static int used_observer(const oq_report *r)
{
    for (int k = 0; k < OQ_OBS_COUNT; k++)
        if (strcasecmp(r->observer, obs_names[k]) == 0)
            return k;
    return -1;
}

/* Escaped text with a line-break opportunity (<wbr>) after each '/' (long ONNX node paths). */
static void xml_wbr(oq_w *w, const char *s)
{
    char part[256];
    while (*s) {
        size_t n = strcspn(s, "/");
        n += s[n] == '/';
        if (n >= sizeof part)
            n = sizeof part - 1;
        memcpy(part, s, n);
        part[n] = 0;
        oq_w_xml(w, part);
        if (part[n - 1] == '/' && s[n])
            oq_w_printf(w, "<wbr>");
        s += n;
    }
}

/* A quantization scale: "%.6g", or an em dash when not finite. */
static void scale_text(oq_w *w, float v)
{
    if (isfinite(v))
        oq_w_printf(w, "%.6g", (double)v);
    else
        oq_w_printf(w, "\xe2\x80\x94");
}

/* Table cell with an SQNR or percentage figure (NAN: em dash, inf: infinity sign). */
static void td_num(oq_w *w, double v)
{
    oq_w_printf(w, "<td class=\"n\">");
    oq_w_num(w, v, "\xe2\x80\x94", "\xe2\x88\x9e");
    oq_w_printf(w, "</td>");
}

/* ---------------------------------------------------------------- summary */

/* The summary table: model, observer, samples, model SQNR, accuracy, most sensitive layer. */
static void write_summary(oq_w *w, const oq_report *r)
{
    uint32_t nq = 0;
    int worst = -1;
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        nq += L->quantized;
        if (!isnan(L->sens_sqnr) &&
            (worst < 0 || L->sens_sqnr < r->layers[worst].sens_sqnr))
            worst = (int)i;
    }
    oq_w_printf(w, "<table class=\"summary\">\n<tr><th>Model</th><td>");
    oq_w_xml(w, r->model);
    oq_w_printf(w, "</td></tr>\n<tr><th>Observer</th><td>");
    oq_w_xml(w, r->observer);
    oq_w_printf(w, "</td></tr>\n<tr><th>Calibration samples</th><td>%u</td></tr>\n", r->samples);
    oq_w_printf(w, "<tr><th>Model output SQNR</th><td>");
    oq_w_num(w, r->model_sqnr, "\xe2\x80\x94", "\xe2\x88\x9e");
    oq_w_printf(w, " dB</td></tr>\n");
    if (r->eval_samples > 0 || !isnan(r->acc_fp32) || !isnan(r->acc_int8)) {
        oq_w_printf(w, "<tr><th>Top-1 accuracy</th><td>fp32 ");
        oq_w_num(w, r->acc_fp32, "\xe2\x80\x94", "\xe2\x88\x9e");
        oq_w_printf(w, " %%, int8 ");
        oq_w_num(w, r->acc_int8, "\xe2\x80\x94", "\xe2\x88\x9e");
        oq_w_printf(w, " %%");
        if (isfinite(r->acc_fp32) && isfinite(r->acc_int8)) {
            oq_w_printf(w, " (drop ");
            oq_w_num(w, (double)r->acc_fp32 - r->acc_int8, "", "");
            oq_w_printf(w, " points)");
        }
        oq_w_printf(w, " on %u samples</td></tr>\n", r->eval_samples);
    }
    oq_w_printf(w, "<tr><th>Layers</th><td>%u (%u quantized, %u float)</td></tr>\n", r->nlayers,
                nq, r->nlayers - nq);
    if (worst >= 0) {
        oq_w_printf(w, "<tr><th>Most sensitive layer</th><td><a href=\"#act-%d\">", worst);
        oq_w_xml(w, r->layers[worst].name);
        oq_w_printf(w, "</a> (model SQNR ");
        oq_w_num(w, r->layers[worst].sens_sqnr, "\xe2\x80\x94", "\xe2\x88\x9e");
        oq_w_printf(w, " dB with only it in int8)</td></tr>\n");
    }
    oq_w_printf(w, "</table>\n");
}

/* ---------------------------------------------------------------- SQNR bar chart */

/* The figure of series s (S_*) for layer L. */
static double series_value(const oq_layer_report *L, int s)
{
    switch (s) {
    case S_WEIGHT: return L->weight_sqnr_mean;
    case S_ACT: return L->act_sqnr;
    case S_CUM: return L->cum_sqnr;
    default: return L->sens_sqnr;
    }
}

/* Widens [*lo, *hi] by v when finite. */
static void span_add(double v, double *lo, double *hi, bool *any)
{
    if (!isfinite(v))
        return;
    if (!*any || v < *lo)
        *lo = v;
    if (!*any || v > *hi)
        *hi = v;
    *any = true;
}

/* Chart 1: horizontal grouped bars, one group of 4 series per layer, dB axis from min(0, lowest)
 * to the highest finite figure; +-inf bars end at the axis with a marker, NAN draws "n/a". */
static void write_sqnr_chart(oq_w *w, const oq_report *r)
{
    const bool top_axis = r->nlayers > 10; /* tall chart: tick labels above it too */
    const double W = 960, bar_h = 7, row_h = 4 * (bar_h + 1) + 10, top = top_axis ? 78 : 64;
    int maxlab = 8;
    for (uint32_t i = 0; i < r->nlayers; i++) {
        int n = oq_utf8_width(r->layers[i].name);
        if (n > maxlab)
            maxlab = n;
    }
    double x0 = 16 + 6.5 * (maxlab < 40 ? maxlab : 40);
    if (x0 < 120)
        x0 = 120;
    const double x1 = W - 48;
    double plot_bottom = top + (r->nlayers ? r->nlayers : 1) * row_h;
    double H = plot_bottom + 44;

    double lo = 0, hi = 0;
    bool any = false;
    span_add(0, &lo, &hi, &any);
    span_add(r->model_sqnr, &lo, &hi, &any);
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        span_add(L->weight_sqnr_min, &lo, &hi, &any);
        for (int s = 0; s < NSERIES; s++)
            span_add(series_value(L, s), &lo, &hi, &any);
    }
    if (hi - lo < 10)
        hi = lo + 10;
    double ticks[32];
    int nt = oq_svg_ticks(&lo, &hi, 8, true, ticks, 32);
    oq_svg_scale sx = {lo, hi, x0, x1, false};

    oq_svg_open(w, "oq-chart oq-sqnr", W, H, "Per-layer SQNR in dB (higher is better)");
    oq_svg_text(w, 8, 18, "start", "oq-title", "Per-layer SQNR (dB, higher is better)");
    /* legend */
    double lx = 8;
    for (int s = 0; s < NSERIES; s++) {
        oq_svg_rect(w, lx, 30, 12, 8, NULL, series_color[s], NULL);
        oq_svg_text(w, lx + 16, 38, "start", "oq-label", series_name[s]);
        lx += 16 + 6.2 * (double)strlen(series_name[s]) + 18;
    }
    oq_svg_line(w, 8, 52, 8, 44, "oq-wmin", NULL, NULL);
    oq_svg_text(w, 14, 52, "start", "oq-sub", "weight: worst channel");
    oq_svg_line(w, 150, 48, 170, 48, "oq-model", NULL, "4 3");
    oq_svg_text(w, 174, 52, "start", "oq-sub", "model output SQNR (all layers int8)");
    oq_svg_text(w, 390, 52, "start", "oq-sub",
                "\xe2\x88\x9e = exact (zero error), n/a = not applicable");

    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        double ry = top + i * row_h;
        if (i % 2 == 0)
            oq_svg_rect(w, 0, ry, W, row_h, "oq-row", NULL, NULL);
        oq_w_printf(w, "<a href=\"#act-%u\">", i);
        oq_w_printf(w, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"oq-label%s\">",
                    x0 - 8, ry + row_h / 2 - 1, L->quantized ? "" : " oq-float");
        oq_w_xml_tail(w, L->name, 40);
        oq_w_printf(w, "<title>");
        oq_w_xml(w, L->name);
        oq_w_printf(w, "</title></text></a>\n");
        char sub[96];
        snprintf(sub, sizeof sub, "%s%s", L->op, L->quantized ? "" : " (float)");
        oq_svg_text(w, x0 - 8, ry + row_h / 2 + 11, "end", "oq-sub", sub);
        for (int s = 0; s < NSERIES; s++) {
            double v = series_value(L, s);
            double by = ry + 5 + s * (bar_h + 1);
            char tip[256], db[48];
            fmt_db(db, sizeof db, v);
            snprintf(tip, sizeof tip, "%s: %s SQNR %s", L->name, series_short[s], db);
            if (isnan(v)) {
                oq_svg_text(w, oq_svg_map(&sx, 0) + 3, by + bar_h - 0.5, "start", "oq-na", "n/a");
                continue;
            }
            double xa = oq_svg_map(&sx, 0);
            double xb = isinf(v) ? (v > 0 ? x1 : x0) : oq_svg_map(&sx, v);
            oq_svg_rect(w, xa, by, xb - xa, bar_h, NULL, series_color[s], tip);
            if (isinf(v))
                oq_w_printf(w, "<text x=\"%.1f\" y=\"%.1f\" class=\"oq-inf\" fill=\"%s\""
                               "%s>\xe2\x88\x9e</text>\n",
                            v > 0 ? x1 + 3 : x0 - 3, by + bar_h, series_color[s],
                            v > 0 ? "" : " text-anchor=\"end\"");
            if (s == S_WEIGHT && isfinite(L->weight_sqnr_min)) {
                double xm = oq_svg_map(&sx, L->weight_sqnr_min);
                char t2[256];
                fmt_db(db, sizeof db, L->weight_sqnr_min);
                snprintf(t2, sizeof t2, "%s: worst weight channel SQNR %s", L->name, db);
                oq_w_printf(w, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "class=\"oq-wmin\"><title>",
                            xm, by - 1, xm, by + bar_h + 1);
                oq_w_xml(w, t2);
                oq_w_printf(w, "</title></line>\n");
            }
        }
    }
    if (r->nlayers == 0)
        oq_svg_text(w, (x0 + x1) / 2, top + row_h / 2, "middle", "oq-na", "no quantizable layers");
    oq_svg_axis_x(w, &sx, plot_bottom, ticks, nt, top, "SQNR (dB)");
    for (int t = 0; top_axis && t < nt; t++) {
        char buf[32];
        oq_svg_tick_label(buf, sizeof buf, ticks[t], nt > 1 ? ticks[1] - ticks[0] : 1);
        oq_svg_text(w, oq_svg_map(&sx, ticks[t]), top - 4, "middle", "oq-tick", buf);
    }
    oq_svg_line(w, oq_svg_map(&sx, 0), top, oq_svg_map(&sx, 0), plot_bottom, "oq-axis-line",
                NULL, NULL);
    if (isfinite(r->model_sqnr)) {
        double xm = oq_svg_map(&sx, r->model_sqnr);
        oq_svg_line(w, xm, top - 4, xm, plot_bottom, "oq-model", NULL, "4 3");
    }
    oq_svg_close(w);
}

/* ---------------------------------------------------------------- table */

/* The figures as a table, one row per layer (names link to their histogram, which also names
 * the output). */
static void write_table(oq_w *w, const oq_report *r)
{
    oq_w_printf(w, "<div class=\"scroll\"><table class=\"figures\">\n<tr><th>#</th><th>layer</th><th>op</th>"
                   "<th class=\"n\">weight min</th><th class=\"n\">weight mean"
                   "</th><th class=\"n\">activation</th><th class=\"n\">cumulative</th>"
                   "<th class=\"n\">sensitivity</th><th class=\"n\">sens. top-1 %%</th>"
                   "<th class=\"n\">scale</th><th class=\"n\">zero point</th></tr>\n");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        oq_w_printf(w, "<tr%s><td class=\"n\">%u</td><td class=\"name\"><a href=\"#act-%u\">",
                    L->quantized ? "" : " class=\"float\"", i, i);
        xml_wbr(w, L->name);
        oq_w_printf(w, "</a>%s</td><td>", L->quantized ? "" : " (float)");
        oq_w_xml(w, L->op);
        oq_w_printf(w, "</td>");
        td_num(w, L->weight_sqnr_min);
        td_num(w, L->weight_sqnr_mean);
        td_num(w, L->act_sqnr);
        td_num(w, L->cum_sqnr);
        td_num(w, L->sens_sqnr);
        td_num(w, L->sens_acc);
        oq_w_printf(w, "<td class=\"n\">");
        scale_text(w, L->scale);
        oq_w_printf(w, "</td><td class=\"n\">%d</td></tr>\n", (int)L->zero_point);
    }
    oq_w_printf(w, "</table></div>\n");
}

/* --compare: per layer onnxq's qparams and SQNR beside the other model's (two rows a layer). */
static void write_compare(oq_w *w, const oq_report *r)
{
    oq_w_printf(w, "<h2>Compared with ");
    oq_w_xml(w, r->compare);
    oq_w_printf(w, "</h2>\n<p class=\"note\">%u of %u layers matched (by node name, else by "
                "order of the op). Model output SQNR: onnxq ", r->cmp_matched, r->nlayers);
    oq_w_num(w, r->model_sqnr, "\xe2\x80\x94", "\xe2\x88\x9e");
    oq_w_printf(w, " dB, compared model ");
    oq_w_num(w, r->cmp_model_sqnr, "\xe2\x80\x94", "\xe2\x88\x9e");
    oq_w_printf(w, " dB.");
    if (r->eval_samples > 0) {
        oq_w_printf(w, " Top-1: onnxq ");
        oq_w_num(w, r->acc_int8, "\xe2\x80\x94", "\xe2\x88\x9e");
        oq_w_printf(w, " %%, compared model ");
        oq_w_num(w, r->acc_cmp, "\xe2\x80\x94", "\xe2\x88\x9e");
        oq_w_printf(w, " %%.");
    }
    oq_w_printf(w, " Output: the layer's float output quantized with that tool's scale and "
                "zero point.</p>\n<div class=\"scroll\"><table class=\"figures\">\n<tr>"
                "<th>layer</th><th>tool</th><th>node</th><th class=\"n\">scale</th>"
                "<th class=\"n\">zero point</th><th class=\"n\">weight scales</th>"
                "<th class=\"n\">weight min</th><th class=\"n\">weight mean</th>"
                "<th class=\"n\">output</th><th class=\"n\">cumulative</th></tr>\n");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        const oq_layer_compare *C = &L->cmp;
        for (int t = 0; t < 2; t++) {
            oq_w_printf(w, "<tr>");
            if (t == 0) {
                oq_w_printf(w, "<td class=\"name\" rowspan=\"2\">");
                xml_wbr(w, L->name);
                oq_w_printf(w, "</td><td>onnxq</td><td>");
                xml_wbr(w, L->name);
            } else {
                oq_w_printf(w, "<td>compared (%s)</td><td>", C->how[0] ? C->how : "no match");
                xml_wbr(w, C->node);
            }
            float sc = t ? C->scale : L->quantized ? L->scale : NAN;
            oq_w_printf(w, "</td><td class=\"n\">");
            scale_text(w, sc);
            oq_w_printf(w, "</td><td class=\"n\">");
            if (isfinite(sc))
                oq_w_printf(w, "%d", (int)(t ? C->zero_point : L->zero_point));
            else
                oq_w_printf(w, "\xe2\x80\x94");
            oq_w_printf(w, "</td><td class=\"n\">");
            scale_text(w, t ? C->w_scale_min : L->w_scale_min);
            oq_w_printf(w, " &ndash; ");
            scale_text(w, t ? C->w_scale_max : L->w_scale_max);
            oq_w_printf(w, "</td>");
            td_num(w, t ? C->weight_sqnr_min : L->weight_sqnr_min);
            td_num(w, t ? C->weight_sqnr_mean : L->weight_sqnr_mean);
            td_num(w, t ? C->out_sqnr : L->out_sqnr);
            td_num(w, t ? C->cum_sqnr : L->cum_sqnr);
            oq_w_printf(w, "</tr>\n");
        }
    }
    oq_w_printf(w, "</table></div>\n");
}

/* ---------------------------------------------------------------- histograms */

typedef struct panel {
    double top, bottom;        /* pixel rows of the plot area */
    double x0, x1;             /* pixel columns */
    bool symmetric;            /* symmetric ranges [-m, m] instead of [lo, hi] */
} panel;

/* The observer range of kind k as drawn in a panel; false when not finite. */
static bool obs_range(const oq_layer_report *L, int k, bool symmetric, double *lo, double *hi)
{
    double a = L->range_lo[k], b = L->range_hi[k];
    if (!isfinite(a) || !isfinite(b))
        return false;
    if (symmetric) {
        double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
        a = -m;
        b = m;
    }
    *lo = a;
    *hi = b;
    return true;
}

/* The step outline of the histogram (filled), counts linear or log1p. */
static void hist_path(oq_w *w, const oq_layer_report *L, const oq_svg_scale *sx,
                      const oq_svg_scale *sy, const char *cls)
{
    double xe[OQ_REPORT_BINS + 1], ys[OQ_REPORT_BINS];
    double bw = ((double)L->hist_hi - L->hist_lo) / OQ_REPORT_BINS;
    for (int b = 0; b <= OQ_REPORT_BINS; b++)
        xe[b] = oq_svg_map(sx, b == OQ_REPORT_BINS ? L->hist_hi : L->hist_lo + b * bw);
    for (int b = 0; b < OQ_REPORT_BINS; b++)
        ys[b] = oq_svg_map(sy, isfinite(L->hist[b]) && L->hist[b] > 0 ? L->hist[b] : 0);
    oq_svg_steps(w, xe, ys, OQ_REPORT_BINS, oq_svg_map(sy, 0), cls, "#c9c9c9");
}

/* One histogram panel: counts (linear and log paths), axes, every observer's range as two
 * vertical lines, the used observer's range shaded; x covers the data and all ranges. */
static void write_panel(oq_w *w, const oq_layer_report *L, const panel *p, int used,
                        double cmax)
{
    /* x domain: the histogram and every observer range drawn in this panel */
    double lo = L->hist_lo, hi = L->hist_hi;
    for (int k = 0; k < OQ_OBS_COUNT; k++) {
        double a, b;
        if (obs_range(L, k, p->symmetric, &a, &b)) {
            lo = a < lo ? a : lo;
            hi = b > hi ? b : hi;
        }
    }
    if (p->symmetric) {
        double m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        lo = -m;
        hi = m;
    }
    double pad = (hi - lo) * 0.03;
    if (!(pad > 0))
        pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
    double xt[32];
    int nxt = oq_svg_ticks(&lo, &hi, 8, false, xt, 32);
    oq_svg_scale sx = {lo, hi, p->x0, p->x1, false};

    /* chosen range of the run's observer: shaded */
    double a, b;
    if (used >= 0 && obs_range(L, used, p->symmetric, &a, &b))
        oq_w_printf(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                       "fill-opacity=\"0.12\"/>\n",
                    oq_svg_map(&sx, a), p->top, oq_svg_map(&sx, b) - oq_svg_map(&sx, a),
                    p->bottom - p->top, obs_color[used % NSTYLE]);

    /* counts, linear and log (a CSS checkbox shows one) */
    double lt = 0, lh = cmax, yt[32];
    int nyt = oq_svg_ticks(&lt, &lh, 4, true, yt, 32);
    oq_svg_scale sy_lin = {0, lh, p->bottom, p->top, false};
    oq_svg_scale sy_log = {0, cmax, p->bottom, p->top, true};
    double ylog[16];
    int nyl = oq_svg_log_ticks(cmax, ylog, 16);
    hist_path(w, L, &sx, &sy_lin, "oq-hist oq-lin");
    hist_path(w, L, &sx, &sy_log, "oq-hist oq-log");
    oq_svg_axis_y(w, &sy_lin, p->x0, yt, nyt, "oq-lin");
    oq_svg_axis_y(w, &sy_log, p->x0, ylog, nyl, "oq-log");
    oq_svg_axis_x(w, &sx, p->bottom, xt, nxt, p->bottom, NULL);
    oq_svg_text(w, p->x0 - 6, p->top - 5, "end", "oq-sub", "count");

    /* every observer's clipping range */
    for (int k = 0; k < OQ_OBS_COUNT; k++) {
        if (!obs_range(L, k, p->symmetric, &a, &b))
            continue;
        const char *dash = obs_dash[k % NSTYLE][0] ? obs_dash[k % NSTYLE] : NULL;
        oq_svg_line(w, oq_svg_map(&sx, a), p->top, oq_svg_map(&sx, a), p->bottom, "oq-obs",
                    obs_color[k % NSTYLE], dash);
        oq_svg_line(w, oq_svg_map(&sx, b), p->top, oq_svg_map(&sx, b), p->bottom, "oq-obs",
                    obs_color[k % NSTYLE], dash);
    }
    oq_svg_text(w, p->x1, p->top - 5, "end", "oq-sub",
                p->symmetric ? "symmetric: [-max|x|, max|x|]" : "affine: [min, max]");
}

/* Legend: one row per observer with its affine range and symmetric bound. */
static void write_legend(oq_w *w, const oq_layer_report *L, double x, double y, int used)
{
    oq_svg_text(w, x, y, "start", "oq-label", "observer: affine range / symmetric bound");
    for (int k = 0; k < OQ_OBS_COUNT; k++) {
        double ry = y + 20 + k * 30, a, b;
        const char *dash = obs_dash[k % NSTYLE][0] ? obs_dash[k % NSTYLE] : NULL;
        if (k == used)
            oq_w_printf(w, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"12\" fill=\"%s\" "
                           "fill-opacity=\"0.25\"/>\n",
                        x, ry - 10, obs_color[k % NSTYLE]);
        oq_svg_line(w, x, ry - 4, x + 22, ry - 4, "oq-obs", obs_color[k % NSTYLE], dash);
        char t[160];
        snprintf(t, sizeof t, "%s%s", obs_names[k], k == used ? " (used)" : "");
        oq_svg_text(w, x + 28, ry, "start", "oq-label", t);
        if (obs_range(L, k, false, &a, &b)) {
            double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
            snprintf(t, sizeof t, "[%.4g, %.4g]  \xc2\xb1%.4g", a, b, m);
        } else {
            snprintf(t, sizeof t, "n/a");
        }
        oq_svg_text(w, x + 28, ry + 12, "start", "oq-sub", t);
    }
}

/* Heading plus chart i + 1: the affine and symmetric panels and the legend (or a message when
 * there is no histogram), always exactly one <svg class="oq-chart">. */
static void write_histogram(oq_w *w, const oq_layer_report *L, uint32_t i, int used)
{
    const double W = 960, H = 392;
    double cmax = 0, total = 0;
    for (int b = 0; b < OQ_REPORT_BINS; b++) {
        double c = L->hist[b];
        if (isfinite(c) && c > 0) {
            total += c;
            cmax = c > cmax ? c : cmax;
        }
    }
    bool ok = total > 0 && isfinite(L->hist_lo) && isfinite(L->hist_hi) &&
              L->hist_hi > L->hist_lo;
    oq_w_printf(w, "<h3 id=\"act-%u\">", i);
    oq_w_xml(w, L->name);
    oq_w_printf(w, " <span class=\"note\">(");
    oq_w_xml(w, L->op);
    oq_w_printf(w, ") output ");
    oq_w_xml(w, L->output);
    oq_w_printf(w, ", scale ");
    scale_text(w, L->scale);
    oq_w_printf(w, ", zero point %d%s</span></h3>\n", (int)L->zero_point,
                L->quantized ? "" : ", left in float");

    char title[400];
    snprintf(title, sizeof title, "Histogram of %s (output of %s) with observer ranges",
             L->output, L->name);
    oq_svg_open(w, "oq-chart oq-hist-chart", W, H, title);
    if (!ok) {
        char msg[96];
        if (total > 0 && isfinite(L->hist_lo) && L->hist_lo == L->hist_hi)
            snprintf(msg, sizeof msg, "constant output: every value is %.6g", L->hist_lo);
        else
            snprintf(msg, sizeof msg, "no histogram (not observed)");
        oq_svg_text(w, W / 2, H / 2, "middle", "oq-na", msg);
        oq_svg_close(w);
        return;
    }
    char sub[200];
    snprintf(sub, sizeof sub, "observed [%.4g, %.4g], %.0f values, %d bins", L->hist_lo,
             L->hist_hi, total, OQ_REPORT_BINS);
    oq_svg_text(w, 64, 16, "start", "oq-sub", sub);
    panel pa = {28, 158, 64, 640, false}, ps = {214, 344, 64, 640, true};
    write_panel(w, L, &pa, used, cmax);
    write_panel(w, L, &ps, used, cmax);
    oq_svg_text(w, 352, 382, "middle", "oq-axis-label", "value");
    write_legend(w, L, 668, 36, used);
    oq_svg_close(w);
}

/* ---------------------------------------------------------------- document */

oq_status oq_report_write_html(const oq_report *r, FILE *f, oq_diag *d)
{
    oq_w w;
    oq_w_begin(&w, f);
    int used = used_observer(r);
    oq_w_printf(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width\">\n"
                    "<meta name=\"generator\" content=\"onnxq %s\">\n<title>onnxq report: ",
                OQ_VERSION);
    oq_w_xml(&w, r->model);
    oq_w_printf(&w, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
    oq_w_printf(&w, "<input type=\"checkbox\" id=\"oq-log\" class=\"oq-toggle\" checked>"
                    "<label for=\"oq-log\">log-scale histogram counts</label>\n<main>\n");
    oq_w_printf(&w, "<h1>onnxq quantization report: ");
    oq_w_xml(&w, r->model);
    oq_w_printf(&w, "</h1>\n");
    write_summary(&w, r);

    oq_w_printf(&w, "<h2>Per-layer SQNR</h2>\n<p class=\"note\">Signal-to-quantization-noise "
                    "ratio, 10&middot;log<sub>10</sub>(&Sigma;x&sup2; / &Sigma;(x&minus;x"
                    "<sub>q</sub>)&sup2;) over the calibration data. Weight: float vs "
                    "dequantized weights (bar: mean over output channels, tick: worst channel). "
                    "Activation: the layer's own error with float inputs. Cumulative: the int8 "
                    "graph up to this layer. Sensitivity: model output with only this layer in "
                    "int8.</p>\n");
    write_sqnr_chart(&w, r);
    oq_w_printf(&w, "<h2>Figures</h2>\n<p class=\"note\">SQNR columns in dB (&infin;: exact, "
                    "&mdash;: not applicable); sens. top-1: accuracy with only this layer in "
                    "int8; scale and zero point: the activation qparams this run chose.</p>\n");
    write_table(&w, r);
    if (r->compare[0])
        write_compare(&w, r);

    oq_w_printf(&w, "<h2>Activation histograms and observer ranges</h2>\n<p class=\"note\">"
                    "Each layer's float output over the calibration data, with the clipping "
                    "range each observer would choose (lines) and the range this run used "
                    "(shaded). Top: affine ranges; bottom: symmetric ranges. Counts are on a "
                    "log scale unless the box at the top is cleared. Values outside a "
                    "range are clipped; a wider range means a coarser step.</p>\n");
    for (uint32_t i = 0; i < r->nlayers; i++)
        write_histogram(&w, &r->layers[i], i, used);
    oq_w_printf(&w, "</main>\n</body>\n</html>\n");
    return oq_w_finish(&w, d, "HTML report");
}
