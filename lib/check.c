/* lib/check.c: no silent collapse. After quantization, the model output SQNR of the quantized
 * graph against the float one, measured in the interpreter on held-out calibration samples (the
 * ones past --calib-limit) or, when every sample calibrated, on the first ones; logged as INFO.
 * Below OQ_CHECK_WARN_DB a warning names the layers that lose most alone (one-at-a-time
 * sensitivity on a few samples) and the `onnxq report` / mixed-precision options that help. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "internal.h"

#define OQ_CHECK_WARN_DB 20.0f   /* below this output SQNR, quantize and compile warn */
#define OQ_CHECK_SAMPLES 8       /* default samples measured */
#define OQ_CHECK_SENS_SAMPLES 4  /* samples of the sensitivity pass behind the warning */
#define OQ_CHECK_NAMED 3         /* layers named by the warning, at most */
#define OQ_CHECK_NAME_DB 30.0f   /* ... those whose output SQNR alone is below this */

/* The warning's layer list: the (at most OQ_CHECK_NAMED) layers of fg with the lowest output
 * SQNR when quantized alone (over the first samples of sm) below OQ_CHECK_NAME_DB, as
 * "'name' (x dB alone), ..." into buf; "" when no layer alone is that bad. */
static oq_status sensitive_layers(onnxq_session *s, const oq_graph *fg, const oq_calib *c,
                                  const oq_samples *sm, char *buf, size_t cap)
{
    oq_layer *layers = NULL;
    uint32_t nl = 0;
    oq_sensitivity *sens = NULL;
    buf[0] = '\0';
    oq_status st = oq_find_layers(fg, &layers, &nl, &s->d);
    if (st == OQ_OK && !(sens = calloc(nl + 1, sizeof *sens)))
        st = oq_errorf(&s->d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    oq_samples few = *sm;
    few.n = sm->n < OQ_CHECK_SENS_SAMPLES ? sm->n : OQ_CHECK_SENS_SAMPLES;
    s->stage = "sensitivity";
    if (st == OQ_OK)
        st = oq_layer_sensitivity(fg, NULL, c, &s->opt, layers, nl, NULL, &few, NULL, sens,
                                  &s->d);
    s->stage = NULL;
    bool *used = st == OQ_OK ? calloc(nl + 1, sizeof *used) : NULL;
    size_t k = 0;
    for (int n = 0; used && n < OQ_CHECK_NAMED; n++) {
        uint32_t best = OQ_NONE;
        for (uint32_t l = 0; l < nl; l++)
            if (sens[l].quantizable && !used[l] && sens[l].sens_sqnr < OQ_CHECK_NAME_DB &&
                (best == OQ_NONE || sens[l].sens_sqnr < sens[best].sens_sqnr))
                best = l;
        if (best == OQ_NONE)
            break;
        used[best] = true;
        int w = snprintf(buf + k, cap - k, "%s'%s' (%.1f dB alone)", n ? ", " : "",
                         fg->nodes[layers[best].node].name, sens[best].sens_sqnr);
        if (w < 0 || (size_t)w >= cap - k)
            break;
        k += (size_t)w;
    }
    free(used);
    free(sens);
    free(layers);
    return st;
}

oq_status lib_check_quality(onnxq_session *s, const oq_graph *fg, const oq_graph *qg,
                            const oq_calib *c)
{
    const onnxq_options *u = &s->o;
    if (u->skip_check || !lib_has_samples(s))
        return OQ_OK;
    uint32_t want = u->check_samples ? u->check_samples : OQ_CHECK_SAMPLES;
    uint32_t used = u->calib_limit;            /* samples that calibrated (0: all of them) */
    uint64_t lim = used ? (uint64_t)used + want : want;
    oq_samples all = {0};
    oq_status st = oq_samples_load_calib(fg, &s->calib, lim > UINT32_MAX ? UINT32_MAX
                                         : (uint32_t)lim, &all, &s->d);
    if (st != OQ_OK)
        return st;
    oq_samples view = all;
    bool held_out = used && all.n > used;
    if (held_out) {            /* the samples past the calibrating ones */
        view.n = all.n - used;
        view.data = calloc(all.ninput + 1, sizeof *view.data);
        if (!view.data) {
            oq_samples_free(&all);
            return oq_errorf(&s->d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        }
        for (uint32_t i = 0; i < all.ninput; i++)
            view.data[i] = all.data[i] + (size_t)used * all.bytes[i];
    } else if (view.n > want) {
        view.n = want;
    }
    float db = NAN;
    st = oq_measure_sqnr(fg, qg, &view, &db, &s->d);
    if (st == OQ_OK) {
        /* the input was a QDQ model: it is the reference */
        bool preq = ir_has_op(fg, OQ_OP_DequantizeLinear);
        lib_info(s, "output SQNR %.2f dB against %s on %u %s sample%s", db,
                 preq ? "the input model (already partly quantized)" : "fp32", view.n,
                 held_out ? "held-out calibration" : "calibration", view.n == 1 ? "" : "s");
        if (db < OQ_CHECK_WARN_DB) {
            char names[1024];
            names[0] = '\0';
            if (c)             /* static quantization: the layers' qparams are known */
                st = sensitive_layers(s, fg, c, &view, names, sizeof names);
            if (st == OQ_OK)
                oq_warnf(&s->d, fg, OQ_NONE, "the int8 model's output SQNR is %.1f dB against "
                         "the float model (below %.0f dB: accuracy is likely lost)%s%s; see `onnxq report "
                         "MODEL --calib DATA` for every layer, or leave layers in float with "
                         "--exclude / --target-sqnr DB", db, OQ_CHECK_WARN_DB,
                         names[0] ? "; it loses most at " : c ? "; no layer alone loses that "
                         "much (each keeps 30 dB): the error adds up over many" : "", names);
        }
    }
    if (held_out)
        free(view.data);
    oq_samples_free(&all);
    return st;
}
