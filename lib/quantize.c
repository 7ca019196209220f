/* lib/quantize.c: the quantization pipeline of onnxq.h. import -> fix symbolic dims -> float
 * passes -> bias correction -> calibration (or saved observer states) -> mixed precision ->
 * quantize (onnxq_session_quantize); then lower to integer ops and write ONNX or C
 * (onnxq_session_write_onnx, onnxq_session_emit_c). Option errors are USAGE; they name the
 * command-line flag, which is also the options field of the same name. */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "analysis/analysis.h"
#include "backends/c/c_emit.h"
#include "backends/onnx/onnx_write.h"
#include "internal.h"
#include "runtime/interp/custom.h"

static oq_status import(onnxq_session *s, const char *path, const oq_input_shape *shapes,
                        uint32_t nshapes, oq_graph **g)
{
    oq_import_opts io = {.shapes = shapes, .nshapes = nshapes,
                         .allow_unknown_ops = s->o.custom_ops};
    oq_status st = oq_import_onnx(path, &io, g, &s->d);
    if (st == OQ_OK && s->o.custom_ops)  /* custom ops: types from their libraries or value_info */
        st = oq_custom_infer_graph(*g, &s->d);
    return st;
}

/* Symbolic input dims beyond the batch, left open by --input-shape, with calibration files:
 * *g becomes the model fixed to the first sample's shapes and *gsym the symbolic one
 * (lib/dynamic.c); samples of other shapes are passed over by the fixed graph's users. */
static oq_status dyn_split(onnxq_session *s, const char *path, oq_graph **g, oq_graph **gsym)
{
    oq_graph *sg = *g;
    oq_input_shape *first = calloc(sg->ninput + 1, sizeof *first);
    if (!first)
        return oq_errorf(&s->d, sg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    oq_status st = lib_dyn_first_shapes(s, sg, first);
    *g = NULL;
    if (st == OQ_OK)
        st = import(s, path, first, sg->ninput, g);
    if (st == OQ_OK) {
        char line[512];
        size_t k = 0;
        for (uint32_t i = 0; i < sg->ninput && k < sizeof line - 64; i++) {
            const oq_shape *sh = &first[i].shape;
            k += (size_t)snprintf(line + k, sizeof line - k, "%s'%s' [", i ? ", " : "",
                                  first[i].name);
            for (int j = 0; j < sh->rank && k < sizeof line - 32; j++)
                k += (size_t)snprintf(line + k, sizeof line - k, "%s%lld", j ? "," : "",
                                      (long long)sh->dim[j]);
            k += (size_t)snprintf(line + k, sizeof line - k, "]");
        }
        lib_info(s, "symbolic input dims: each calibration sample is observed at its own shape "
                 "and the QDQ model keeps the dims symbolic; the analyses and the C code use "
                 "the first sample's shape: %s (fix it with --input-shape)", line);
        s->calib.skip_misfit = true;
    }
    free(first);
    if (st != OQ_OK) {
        oq_graph_free(sg);
        return st;
    }
    *gsym = sg;
    return OQ_OK;
}

oq_status lib_prepare(onnxq_session *s, const char *path, oq_graph **out, oq_graph **symout)
{
    oq_options *o = &s->opt;
    oq_diag *d = &s->d;
    *out = NULL;
    if (symout)
        *symout = NULL;
    memset(s->sym_in, 0, sizeof s->sym_in);
    memset(s->sym_out, 0, sizeof s->sym_out);
    oq_graph *g = NULL, *gsym = NULL;
    oq_status st = import(s, path, s->shapes, s->o.ninput_shapes, &g);
    s->calib = (oq_calib_data){.spec = s->o.calib, .nspec = s->o.ncalib};
    if (st == OQ_OK && s->o.ncalib && !s->o.sample_fn && lib_dyn_dims(g))
        st = dyn_split(s, path, &g, &gsym);
    /* the remaining symbolic dims (a dynamic batch, typically) are calibrated and compiled as
     * 1; the written model keeps them (sym_in / sym_out) */
    bool sym = false;
    const oq_graph *sg = gsym ? gsym : g;
    for (uint32_t i = 0; st == OQ_OK && i < sg->ninput + sg->noutput; i++) {
        uint32_t v = i < sg->ninput ? sg->inputs[i] : sg->outputs[i - sg->ninput];
        oq_shape *sh = &sg->values[v].shape;
        uint8_t *mask = i < sg->ninput ? &s->sym_in[i % 64] : &s->sym_out[(i - sg->ninput) % 64];
        for (int k = 0; k < sh->rank && k < 8; k++)
            if (sh->dim[k] < 0) {
                *mask |= (uint8_t)(1u << k);
                if (i < sg->ninput && !gsym) {
                    sh->dim[k] = 1;
                    sym = true;
                    oq_warnf(d, g, OQ_NONE, "input '%s' dim %d is symbolic: using 1 (set it with "
                             "--input-shape)", g->values[v].name, k);
                }
            }
    }
    if (st == OQ_OK && sym)
        st = ir_infer(g, d);
    if (st == OQ_OK)
        st = ir_require_static(g, d);
    if (st == OQ_OK)
        st = lib_load_samples(s, g);
    o->samples = lib_has_samples(s) ? &s->calib : NULL; /* --equalize keeps Relu6 pairs exact */
    char *dump = NULL;
    size_t ndump = 0;
    o->dump_file = NULL;
    if (st == OQ_OK && o->dump_after && s->o.output_fn &&
        !(o->dump_file = open_memstream(&dump, &ndump)))
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK)
        st = oq_run_passes(g, o, d);
    if (o->dump_file) {
        fclose(o->dump_file);
        o->dump_file = NULL;
        lib_output(s, dump, ndump);
    }
    free(dump);
    if (st == OQ_OK && gsym && symout) {   /* the same passes, without samples or dumps */
        oq_options so = *o;
        so.samples = NULL;
        so.dump_after = so.stop_after = NULL;
        st = oq_run_passes(gsym, &so, d);
    }
    if (st != OQ_OK || !symout) {
        oq_graph_free(gsym);
        gsym = NULL;
    }
    if (st != OQ_OK) {
        oq_graph_free(g);
        return st;
    }
    *out = g;
    if (symout)
        *symout = gsym;
    return OQ_OK;
}

/* Mixed precision's phases: each start logs the previous phase's time and the steps to come
 * (the progress callback, when set, counts them under the phase's stage name). */
typedef struct mixed_clock {
    onnxq_session *s;
    const char *name;          /* the running phase, or NULL */
    uint32_t steps;
    double t0;                 /* its start, seconds */
} mixed_clock;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void mixed_phase(void *ctx, const char *name, uint32_t steps)
{
    mixed_clock *k = ctx;
    double t = now_s();
    if (k->name)
        lib_info(k->s, "mixed precision: %s: %u step%s in %.1f s", k->name, k->steps,
                 k->steps == 1 ? "" : "s", t - k->t0);
    if (name)
        lib_info(k->s, "mixed precision: %s: %u quantize + measure step%s", name, steps,
                 steps == 1 ? "" : "s");
    k->name = name, k->steps = steps, k->t0 = t;
    k->s->stage = name;
}

/* Automatic mixed precision (analysis/mixed.c) on the calibrated float graph *gp: logs the
 * layers left float and the figure reached; *gp becomes the quantized graph with them float,
 * and so does s->gsym (calibration csym) when the model has symbolic input dims. */
static oq_status mixed(onnxq_session *s, oq_graph **gp, const oq_graph *ref, const oq_calib *c,
                       const oq_calib *csym)
{
    oq_graph *g = *gp;
    oq_options *o = &s->opt;
    oq_diag *d = &s->d;
    const onnxq_options *u = &s->o;
    if (o->mode != OQ_MODE_STATIC || !lib_has_samples(s))
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "--target-sqnr / --max-accuracy-drop "
                         "need static quantization with --calib DATA (the measuring samples)");
    if (u->max_drop_set && (!u->eval_data || !u->eval_labels))
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                         "--max-accuracy-drop needs --eval X.npy --labels Y.npy");
    oq_samples sm = {0}, e = {0};
    mixed_clock clk = {s, NULL, 0, 0};
    oq_mixed_target t = {u->target_sqnr_set, u->target_sqnr, u->max_drop_set, u->max_drop,
                         mixed_phase, &clk};
    oq_mixed_result res = {0};
    oq_status st = oq_samples_load_calib(g, &s->calib, o->calib_limit, &sm, d);
    if (st == OQ_OK && u->eval_data)
        st = oq_samples_load_eval(g, u->eval_data, u->eval_labels, u->eval_limit, &e, d);
    if (st == OQ_OK)
        st = oq_mixed_precision(g, ref, c, o, &sm, u->eval_data ? &e : NULL, &t, &res, d);
    mixed_phase(&clk, NULL, 0);
    s->stage = NULL;
    if (st == OQ_OK) {
        char line[4096];
        int k = snprintf(line, sizeof line, "mixed precision: full int8: output SQNR %.2f dB",
                         res.int8_sqnr);
        if (u->max_drop_set)
            snprintf(line + k, sizeof line - (size_t)k, ", top-1 %.2f%% (fp32 %.2f%%)",
                     res.int8_acc, res.acc_fp32);
        lib_info(s, "%s", line);
        char *names_line = NULL;       /* the layer names may be many */
        size_t nnames = 0;
        FILE *f = open_memstream(&names_line, &nnames);
        if (f) {
            for (uint32_t i = 0; i < res.nfloat; i++)
                fprintf(f, "%s %s", i ? "," : "", g->nodes[res.float_nodes[i]].name);
            fclose(f);
        }
        lib_info(s, "mixed precision: %u of %u layers left in float%s%s", res.nfloat,
                 res.nlayers, res.nfloat ? ":" : "", names_line ? names_line : "");
        free(names_line);
        for (uint32_t i = 0; i < res.noverride; i++)
            lib_info(s, "mixed precision: '%s' kept int8 with observer %s (--override %s=%s)",
                     res.overrides[i].tensor, oq_observer_name(res.overrides[i].observer),
                     res.overrides[i].tensor, oq_observer_name(res.overrides[i].observer));
        lib_info(s, "mixed precision: %u quantize + measure steps after the sensitivity pass",
                 res.measured);
        k = snprintf(line, sizeof line, "mixed precision: result: output SQNR %.2f dB on %u "
                     "calibration samples", res.sqnr, sm.n);
        if (u->max_drop_set)
            k += snprintf(line + k, sizeof line - (size_t)k, ", top-1 %.2f%% on %u eval rows "
                          "(drop %.2f points)", res.acc, e.rows, res.acc_fp32 - res.acc);
        k += snprintf(line + k, sizeof line - (size_t)k, "; target:");
        if (u->target_sqnr_set)
            k += snprintf(line + k, sizeof line - (size_t)k, " SQNR >= %g dB", u->target_sqnr);
        if (u->max_drop_set)
            snprintf(line + k, sizeof line - (size_t)k, "%s drop <= %g points",
                     u->target_sqnr_set ? "," : "", u->max_drop);
        lib_info(s, "%s", line);
        const char **names = calloc(res.nfloat + 1, sizeof *names);
        oq_override *ov = calloc(o->noverride + res.noverride + 1, sizeof *ov);
        oq_options mo = *o;    /* o plus the overrides the search chose */
        oq_graph *qg = NULL;
        for (uint32_t i = 0; names && i < res.nfloat; i++)
            names[i] = g->nodes[res.float_nodes[i]].name;
        if (ov) {
            if (o->noverride)
                memcpy(ov, o->overrides, o->noverride * sizeof *ov);
            if (res.noverride)
                memcpy(ov + o->noverride, res.overrides, res.noverride * sizeof *ov);
            for (uint32_t i = o->noverride; i < o->noverride + res.noverride; i++)
                ov[i].tensor = ov[i].buf;
            mo.overrides = ov;
            mo.noverride = o->noverride + res.noverride;
        }
        st = names && ov ? oq_quantize_copy(g, c, &mo, names, res.nfloat, &qg, d)
                         : oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        if (st == OQ_OK && ref && res.nfloat)
            oq_restore_float_biases(qg, ref);
        if (st == OQ_OK && s->gsym) {  /* the symbolic graph, with the same float layers */
            oq_graph *qs = NULL;
            st = oq_quantize_copy(s->gsym, csym, &mo, names, res.nfloat, &qs, d);
            if (st == OQ_OK && ref && res.nfloat)
                oq_restore_float_biases(qs, ref);   /* matched by node and value name */
            if (st == OQ_OK) {
                oq_graph_free(s->gsym);
                s->gsym = qs;
            }
        }
        free((void *)names);
        free(ov);
        if (st == OQ_OK) {
            oq_graph_free(g);
            *gp = qg;
        }
    }
    oq_mixed_result_free(&res);
    oq_samples_free(&sm);
    oq_samples_free(&e);
    return st;
}

/* The pipeline after the float passes: bias correction, calibration, quantization, the output
 * SQNR check. */
static oq_status quantize(onnxq_session *s, oq_graph **gp)
{
    oq_options *o = &s->opt;
    oq_diag *d = &s->d;
    const onnxq_options *u = &s->o;
    bool mp = u->target_sqnr_set || u->max_drop_set, has = lib_has_samples(s);
    oq_graph *ref = NULL;      /* mixed precision: the float graph before bias correction */
    oq_graph *fg = NULL;       /* the quality check's reference (lib/check.c) */
    oq_calib *c = NULL, *csym = NULL;     /* csym: s->gsym's; c then reads its states */
    oq_status st = OQ_OK;
    if (o->bias_correct && mp && !(ref = oq_graph_clone(*gp)))
        st = oq_errorf(d, *gp, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK && !mp && has && !u->skip_check && !(fg = oq_graph_clone(*gp)))
        st = oq_errorf(d, *gp, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK && o->bias_correct) {     /* before calibration: observers see the result */
        st = has ? oq_bias_correct(*gp, &s->calib, o, d)
                 : oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--bias-correct needs --calib DATA");
    }
    if (st == OQ_OK && o->mode == OQ_MODE_STATIC) {
        /* a model holding DequantizeLinear nodes (QAT, another tool) keeps its own scales and
         * needs samples only for the edges they leave float */
        if (!has && !u->load_calib && !ir_has_op(*gp, OQ_OP_DequantizeLinear))
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "static quantization needs --calib "
                           "DATA (or --load-calib FILE, or --mode dynamic)");
        if (st == OQ_OK && s->gsym) {
            lib_dyn_transplant(*gp, s->gsym);  /* bias correction's, equalization's weights */
            st = oq_calib_new(s->gsym, o, &csym, d);
            if (st == OQ_OK && u->load_calib)
                st = oq_calib_load(csym, s->gsym, u->load_calib, d);
            if (st == OQ_OK && has)
                st = lib_dyn_calibrate(s, s->gsym, csym);
            if (st == OQ_OK && u->save_calib)
                st = oq_calib_save(csym, s->gsym, u->save_calib, d);
            if (st == OQ_OK)
                st = oq_calib_view(csym, s->gsym, *gp, &c, d);
        } else {
            if (st == OQ_OK)
                st = oq_calib_new(*gp, o, &c, d);
            if (st == OQ_OK && u->load_calib)
                st = oq_calib_load(c, *gp, u->load_calib, d);
            if (st == OQ_OK && has)
                st = oq_calibrate(c, *gp, &s->calib, o, d);
            if (st == OQ_OK && u->save_calib)
                st = oq_calib_save(c, *gp, u->save_calib, d);
        }
    }
    if (st == OQ_OK && mp)
        st = mixed(s, gp, ref, c, csym);
    else if (st == OQ_OK)
        st = oq_quantize(*gp, c, o, d);
    if (st == OQ_OK && s->gsym && !mp)
        st = oq_quantize(s->gsym, csym, o, d);
    if (st == OQ_OK && fg)
        st = lib_check_quality(s, fg, *gp, c);
    oq_graph_free(fg);
    oq_graph_free(ref);
    oq_calib_free(c);
    oq_calib_free(csym);
    return st;
}

ONNXQ_API onnxq_status onnxq_session_quantize(onnxq_session *s, const char *model_path)
{
    lib_begin(s);
    lib_drop_model(s);
    if (!model_path)
        return lib_end(s, oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "no model given"));
    oq_graph *g = NULL;
    oq_status st = lib_prepare(s, model_path, &g, &s->gsym);
    if (st == OQ_OK && s->opt.stop_after) {
        s->stopped = true;
    } else if (st == OQ_OK && (st = quantize(s, &g)) != OQ_OK) {
        oq_graph_free(g);
        g = NULL;
    }
    if (st == OQ_OK && !(s->model_path = strdup(model_path)))
        st = oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st != OQ_OK) {
        oq_graph_free(g);
        lib_drop_model(s);
        return lib_end(s, st);
    }
    s->g = g;
    return lib_end(s, OQ_OK);
}

/* Lowers s->g to integer ops (level 1: standard ops, 2: with com.microsoft contrib ops) once;
 * USAGE when it was lowered the other way. */
static oq_status lower(onnxq_session *s, int level)
{
    if (!s->g)
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "no quantized model in the session (onnxq_session_quantize first)");
    if (s->lowered == level)
        return OQ_OK;
    if (s->lowered)
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "the model in the session was "
                         "lowered for another format: quantize again");
    if (level == 0)
        return OQ_OK;
    oq_options o = s->opt;
    o.contrib_ops = level == 2;
    oq_status st = pass_lower_int(s->g, &o, &s->d);
    if (st != OQ_OK) {  /* the graph is poisoned */
        oq_graph_free(s->g);
        s->g = NULL;
        return st;
    }
    s->lowered = level;
    return OQ_OK;
}

/* Sets the recorded symbolic dims of the graph's inputs and outputs to -1 (sym) or back to
 * 1; true if there are any. */
static bool set_symbolic(onnxq_session *s, bool sym)
{
    oq_graph *g = s->g;
    bool any = false;
    for (uint32_t i = 0; i < g->ninput + g->noutput; i++) {
        uint32_t v = i < g->ninput ? g->inputs[i] : g->outputs[i - g->ninput];
        uint8_t mask = i < g->ninput ? s->sym_in[i % 64] : s->sym_out[(i - g->ninput) % 64];
        oq_shape *sh = &g->values[v].shape;
        for (int k = 0; k < sh->rank && k < 8; k++)
            if (mask & (1u << k))
                sh->dim[k] = sym ? -1 : 1, any = true;
    }
    return any;
}

ONNXQ_API onnxq_status onnxq_session_write_onnx(onnxq_session *s, const char *path,
                                                onnxq_format format)
{
    lib_begin(s);
    if (format != ONNXQ_FORMAT_QDQ && format != ONNXQ_FORMAT_QOP && format != ONNXQ_FORMAT_INT)
        return lib_end(s, oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown format %d",
                                    (int)format));
    oq_status st = lower(s, format == ONNXQ_FORMAT_QDQ ? 0 : format == ONNXQ_FORMAT_QOP ? 1 : 2);
    if (st != OQ_OK)
        return lib_end(s, st);
    oq_write_opts wo = {0};
    wo.format = format == ONNXQ_FORMAT_QOP ? OQ_FORMAT_QOP : OQ_FORMAT_QDQ;
    wo.input_path = s->model_path;
    if (format == ONNXQ_FORMAT_QDQ && s->gsym) {   /* symbolic input dims stay symbolic */
        wo.no_value_info = true;
        return lib_end(s, oq_write_onnx(s->gsym, path, &wo, &s->d));
    }
    /* keep the model's symbolic dims (dynamic batch); intermediate shapes were computed with
     * them set to 1, so value_info is left out */
    wo.no_value_info = set_symbolic(s, true);
    st = oq_write_onnx(s->g, path, &wo, &s->d);
    set_symbolic(s, false);
    return lib_end(s, st);
}

ONNXQ_API onnxq_status onnxq_session_emit_c(onnxq_session *s, const char *out_dir,
                                            onnxq_compile_info *info)
{
    lib_begin(s);
    oq_status st = lower(s, 2);
    if (st != OQ_OK)
        return lib_end(s, st);
    oq_emit_opts eo = {0};
    eo.out_dir = out_dir;
    eo.name = s->o.name;
    eo.target = s->o.target;
    eo.debug_dump = s->o.debug_dump;
    eo.profile = s->o.profile;
    eo.custom_ops = s->o.custom_op_types, eo.ncustom_ops = s->o.ncustom_op_types;
    oq_emit_report rep = {0};
    st = oq_emit_c(s->g, &eo, &rep, &s->d);
    if (st == OQ_OK && info) {
        info->kernel_calls = rep.nsteps;
        info->macs = rep.macs;
        info->weight_bytes = rep.weight_bytes;
        info->workspace_bytes = rep.workspace;
        info->workspace_lower_bound = rep.lower_bound;
        info->float_nodes = rep.nfloat;
    }
    return lib_end(s, st);
}

ONNXQ_API onnxq_status onnxq_quantize(onnxq_session *s, const char *model_path,
                                      const char *out_path, onnxq_format format)
{
    onnxq_status st = onnxq_session_quantize(s, model_path);
    return st == ONNXQ_OK ? onnxq_session_write_onnx(s, out_path, format) : st;
}

ONNXQ_API onnxq_status onnxq_compile(onnxq_session *s, const char *model_path,
                                     const char *out_dir, onnxq_compile_info *info)
{
    onnxq_status st = onnxq_session_quantize(s, model_path);
    return st == ONNXQ_OK ? onnxq_session_emit_c(s, out_dir, info) : st;
}
