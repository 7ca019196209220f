/* lib/report.c: onnxq_report, the accuracy report of onnxq.h: the float passes and the
 * calibration of the quantization pipeline, then analysis/report.c's per-layer figures,
 * rendered as a text table (output callback), HTML and JSON (atomic files). */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "internal.h"

#if defined(OQ_REPORT_HAVE_HTML) && defined(OQ_REPORT_HAVE_JSON) && defined(OQ_REPORT_HAVE_TEXT)
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

/* The float graph after the passes and its calibration, as onnxq_session_quantize would
 * quantize them; with bias correction, *ref is the graph before the biases were corrected
 * (the reference the figures compare against), else NULL. */
static oq_status prepare(onnxq_session *s, const char *path, oq_graph **g, oq_graph **ref,
                         oq_calib **c)
{
    oq_diag *d = &s->d;
    oq_options *o = &s->opt;
    oq_status st = lib_prepare(s, path, g, NULL);
    if (st != OQ_OK)
        return st;
    if (!lib_has_samples(s))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "report measures on the --calib samples: give --calib DATA");
    if (o->bias_correct) {
        if (!(*ref = oq_graph_clone(*g)))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        if ((st = oq_bias_correct(*g, &s->calib, o, d)))
            return st;
    }
    st = oq_calib_new(*g, o, c, d);
    if (st == OQ_OK && s->o.load_calib)
        st = oq_calib_load(*c, *g, s->o.load_calib, d);
    if (st == OQ_OK)
        st = oq_calibrate(*c, *g, &s->calib, o, d);
    if (st == OQ_OK && s->o.save_calib)
        st = oq_calib_save(*c, *g, s->o.save_calib, d);
    return st;
}

/* True when the inputs and outputs of o are g's: names, types, sizes; input ranks and every
 * input dim that o declares (a symbolic one takes g's). */
static bool same_io(const oq_graph *g, const oq_graph *o, bool *symbolic)
{
    bool same = o->ninput == g->ninput && o->noutput == g->noutput;
    *symbolic = false;
    for (uint32_t i = 0; same && i < g->ninput + g->noutput; i++) {
        bool in = i < g->ninput;
        const oq_value *a = in ? &g->values[g->inputs[i]] : &g->values[g->outputs[i - g->ninput]];
        const oq_value *b = in ? &o->values[o->inputs[i]] : &o->values[o->outputs[i - g->ninput]];
        same = strcmp(a->name, b->name) == 0 && a->dtype == b->dtype &&
               a->shape.rank == b->shape.rank;
        for (int k = 0; same && k < a->shape.rank; k++) {
            *symbolic |= b->shape.dim[k] < 0;
            same = b->shape.dim[k] < 0 || b->shape.dim[k] == a->shape.dim[k];
        }
    }
    return same;
}

/* The --compare model: imported as it is (no passes), its symbolic input dims fixed to the float
 * graph g's; refused unless its inputs and outputs are g's and it is a QDQ model. */
static oq_status load_other(onnxq_session *s, const oq_graph *g, const char *path,
                           oq_graph **og)
{
    oq_diag *d = &s->d;
    oq_input_shape sh[64];
    if (g->ninput > 64)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "--compare: more than 64 inputs");
    oq_import_opts io = {0};
    bool symbolic = false;
    oq_status st = oq_import_onnx(path, &io, og, d);
    if (st == OQ_OK && !same_io(g, *og, &symbolic))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--compare %s: its graph inputs and "
                         "outputs (names, types, shapes) differ from the model's", path);
    if (st == OQ_OK && symbolic) {
        for (uint32_t i = 0; i < g->ninput; i++)
            sh[i] = (oq_input_shape){g->values[g->inputs[i]].name,
                                     g->values[g->inputs[i]].shape};
        io = (oq_import_opts){.shapes = sh, .nshapes = g->ninput};
        oq_graph_free(*og);
        *og = NULL;
        st = oq_import_onnx(path, &io, og, d);
    }
    if (st != OQ_OK)
        return st;
    if (!ir_has_op(*og, OQ_OP_DequantizeLinear))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--compare %s: not a QDQ model (no "
                         "DequantizeLinear node)", path);
    if ((st = ir_require_static(*og, d)) == OQ_OK && !same_io(g, *og, &symbolic))
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--compare %s: its graph inputs and "
                       "outputs (names, types, shapes) differ from the model's", path);
    return st;
}

ONNXQ_API onnxq_status onnxq_report(onnxq_session *s, const char *model_path,
                                    const char *html_path, const char *json_path)
{
    lib_begin(s);
    lib_drop_model(s);
    oq_diag *d = &s->d;
#ifndef OQ_REPORT_DOCS
    if (html_path || json_path)
        return lib_end(s, oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO,
                                    "this build has no HTML / JSON report renderer"));
#endif
    const onnxq_options *u = &s->o;
    if (u->target_sqnr_set || u->max_drop_set || u->stop_after || u->dump_after ||
        u->mode != ONNXQ_MODE_STATIC || (!u->eval_data != !u->eval_labels))
        return lib_end(s, oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--eval and --labels go "
                                    "together; --target-sqnr, --max-accuracy-drop, --stop-after, "
                                    "--dump-after and --mode dynamic do not apply to a report"));
    oq_graph *g = NULL, *ref = NULL, *og = NULL;
    oq_calib *c = NULL;
    oq_samples sm = {0}, e = {0};
    oq_report r = {0};
    char *text = NULL;
    size_t ntext = 0;
    oq_status st = prepare(s, model_path, &g, &ref, &c);
    if (st == OQ_OK && u->compare_model)
        st = load_other(s, g, u->compare_model, &og);
    if (st == OQ_OK)
        st = oq_samples_load_calib(g, &s->calib, s->opt.calib_limit, &sm, d);
    if (st == OQ_OK && u->eval_data)
        st = oq_samples_load_eval(g, u->eval_data, u->eval_labels, u->eval_limit, &e, d);
    s->stage = "sensitivity";
    if (st == OQ_OK)
        st = oq_report_build(g, ref, c, &s->opt, &sm, u->eval_data ? &e : NULL, model_path, og,
                             u->compare_model, &r, d);
    s->stage = NULL;
#ifdef OQ_REPORT_DOCS
    FILE *f = NULL;
    if (st == OQ_OK && !(f = open_memstream(&text, &ntext)))
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK)
        st = oq_report_write_text(&r, f, d);
    if (f)
        fclose(f);
    if (st == OQ_OK)
        lib_output(s, text, ntext);
    const char *protect[5] = {model_path, u->eval_data, u->eval_labels, u->load_calib,
                              u->compare_model};
    rep_out ho = {&r, oq_report_write_html}, jo = {&r, oq_report_write_json};
    if (st == OQ_OK && html_path)
        st = oq_write_file_atomic(html_path, protect, 5, write_doc, &ho, d);
    if (st == OQ_OK && json_path)
        st = oq_write_file_atomic(json_path, protect, 5, write_doc, &jo, d);
#endif
    free(text);
    oq_report_free(&r);
    oq_samples_free(&sm);
    oq_samples_free(&e);
    oq_calib_free(c);
    oq_graph_free(g);
    oq_graph_free(ref);
    oq_graph_free(og);
    return lib_end(s, st);
}
