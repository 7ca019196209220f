/* analysis/render_text.c: the report as an aligned text table (what `onnxq report` prints on
 * stdout): a few summary lines, then one row per layer with weight SQNR (worst channel / mean),
 * activation, cumulative and sensitivity SQNR in dB and the sensitivity top-1 %. "inf" means
 * exact (zero error), "-" not applicable. Column widths follow the longest name (display width
 * in UTF-8 code points), so the output depends only on the report. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "svg.h"

#define NUMW 8                 /* width of a numeric column */

/* A left-aligned cell of display width `width` (s is UTF-8; control bytes print as '?'). */
static void cell_left(oq_w *w, const char *s, int width)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        oq_w_printf(w, "%c", *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
    for (int n = oq_utf8_width(s); n < width; n++)
        oq_w_printf(w, " ");
}

/* A right-aligned figure: "%.2f" ("%.2e" from 1e6 on), "inf", "-inf" or "-". */
static void cell_num(oq_w *w, double v)
{
    char buf[32];
    if (isnan(v))
        snprintf(buf, sizeof buf, "-");
    else if (isinf(v))
        snprintf(buf, sizeof buf, "%sinf", v < 0 ? "-" : "");
    else if (fabs(v) >= 1e6)
        snprintf(buf, sizeof buf, "%.2e", v); /* at most 9 characters: "-3.40e+38" */
    else
        snprintf(buf, sizeof buf, "%.2f", v == 0 ? 0.0 : v);
    oq_w_printf(w, " %*s", NUMW + 1, buf);
}

/* A right-aligned scale: "%.3e" or "-". */
static void cell_sci(oq_w *w, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, isfinite(v) ? "%.3e" : "-", v);
    oq_w_printf(w, " %*s", NUMW + 2, buf);
}

/* The --compare table: per layer onnxq's figure beside the other model's ("o." columns). */
static void write_compare(oq_w *w, const oq_report *r, int nw)
{
    oq_w_printf(w, "\ncompared with ");
    cell_left(w, r->compare, 0);
    oq_w_printf(w, " (%u of %u layers matched)\nmodel SQNR  ", r->cmp_matched, r->nlayers);
    cell_num(w, r->model_sqnr);
    oq_w_printf(w, " dB onnxq,");
    cell_num(w, r->cmp_model_sqnr);
    oq_w_printf(w, " dB other\n");
    if (r->eval_samples > 0) {
        oq_w_printf(w, "top-1       ");
        cell_num(w, r->acc_int8);
        oq_w_printf(w, " %%  onnxq,");
        cell_num(w, r->acc_cmp);
        oq_w_printf(w, " %%  other\n");
    }
    oq_w_printf(w, "\n");
    cell_left(w, "layer", nw);
    oq_w_printf(w, "  %-5s %*s %*s %6s %6s", "by", NUMW + 2, "scale", NUMW + 2, "o.scale", "zp",
                "o.zp");
    static const char *const heads[] = {"w_min", "o.w_min", "out", "o.out", "cum", "o.cum"};
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        oq_w_printf(w, " %*s", NUMW + 1, heads[c]);
    oq_w_printf(w, "\n");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        const oq_layer_compare *C = &L->cmp;
        char name[160];
        snprintf(name, sizeof name, "%s%s", L->name, L->quantized ? "" : "*");
        cell_left(w, name, nw);
        oq_w_printf(w, "  %-5s", C->how[0] ? C->how : "-");
        cell_sci(w, L->quantized ? L->scale : NAN);
        cell_sci(w, C->scale);
        oq_w_printf(w, " %6d", (int)L->zero_point);
        if (isfinite(C->scale))
            oq_w_printf(w, " %6d", (int)C->zero_point);
        else
            oq_w_printf(w, " %6s", "-");
        cell_num(w, L->weight_sqnr_min);
        cell_num(w, C->weight_sqnr_min);
        cell_num(w, L->out_sqnr);
        cell_num(w, C->out_sqnr);
        cell_num(w, L->cum_sqnr);
        cell_num(w, C->cum_sqnr);
        oq_w_printf(w, "\n");
    }
    oq_w_printf(w, "\nscale/zp = output activation qparams; out = the layer's float output "
                   "quantized with them; o. = the\ncompared model; by = matched by node name "
                   "or by order of the op; - = no match / not quantized.\n");
}

oq_status oq_report_write_text(const oq_report *r, FILE *f, oq_diag *d)
{
    oq_w w;
    oq_w_begin(&w, f);
    oq_w_printf(&w, "model        ");
    cell_left(&w, r->model, 0);
    oq_w_printf(&w, "\nobserver     ");
    cell_left(&w, r->observer, 0);
    oq_w_printf(&w, "\nsamples      %u\nmodel SQNR  ", r->samples);
    cell_num(&w, r->model_sqnr);
    oq_w_printf(&w, " dB\n");
    if (r->eval_samples > 0 || !isnan(r->acc_fp32) || !isnan(r->acc_int8)) {
        oq_w_printf(&w, "top-1 fp32  ");
        cell_num(&w, r->acc_fp32);
        oq_w_printf(&w, " %%\ntop-1 int8  ");
        cell_num(&w, r->acc_int8);
        oq_w_printf(&w, " %%   (%u samples)\n", r->eval_samples);
    }
    oq_w_printf(&w, "\n");

    int nw = (int)strlen("layer"), ow = (int)strlen("op");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        int n = oq_utf8_width(r->layers[i].name) + (r->layers[i].quantized ? 0 : 1);
        nw = n > nw ? n : nw;
        n = oq_utf8_width(r->layers[i].op);
        ow = n > ow ? n : ow;
    }
    static const char *const heads[] = {"w_min", "w_mean", "act", "cum", "sens", "sens_acc"};
    cell_left(&w, "layer", nw);
    oq_w_printf(&w, "  ");
    cell_left(&w, "op", ow);
    for (size_t c = 0; c < sizeof heads / sizeof heads[0]; c++)
        oq_w_printf(&w, " %*s", NUMW + 1, heads[c]);
    oq_w_printf(&w, "\n");
    for (uint32_t i = 0; i < r->nlayers; i++) {
        const oq_layer_report *L = &r->layers[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", L->name, L->quantized ? "" : "*");
        cell_left(&w, name, nw);
        oq_w_printf(&w, "  ");
        cell_left(&w, L->op, ow);
        cell_num(&w, L->weight_sqnr_min);
        cell_num(&w, L->weight_sqnr_mean);
        cell_num(&w, L->act_sqnr);
        cell_num(&w, L->cum_sqnr);
        cell_num(&w, L->sens_sqnr);
        cell_num(&w, L->sens_acc);
        oq_w_printf(&w, "\n");
    }
    oq_w_printf(&w, "\nSQNR in dB (higher is better): w_min/w_mean = weights (worst channel / "
                    "mean), act = the layer's own error,\ncum = int8 up to the layer, sens = "
                    "model output with only this layer int8; sens_acc = top-1 %% then.\n"
                    "inf = exact, - = not applicable, * = left in float.\n");
    if (r->compare[0])
        write_compare(&w, r, nw);
    return oq_w_finish(&w, d, "text report");
}
