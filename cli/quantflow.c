/* The quantization flow shared by `onnxq quantize` and `onnxq compile`: option parsing
 * (one table of flags), then import -> symbolic dims fixed to 1 -> float passes -> bias
 * correction -> calibrate (or load) -> mixed precision or quantize. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "quantflow.h"
#include "runtime/interp/custom.h"

/* Splits a comma-separated list into a malloc'ed array of strdup'ed items. */
static bool split_list(const char *s, const char ***out, uint32_t *n)
{
    uint32_t cap = *n + 8;
    const char **a = realloc((void *)*out, cap * sizeof *a);
    if (!a)
        return false;
    *out = a;
    const char *p = s;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l) {
            if (*n + 1 >= cap) {
                cap *= 2;
                a = realloc((void *)*out, cap * sizeof *a);
                if (!a)
                    return false;
                *out = a;
            }
            char *item = malloc(l + 1);
            if (!item)
                return false;
            memcpy(item, p, l);
            item[l] = '\0';
            a[(*n)++] = item;
        }
        p += l + (c ? 1 : 0);
    }
    return true;
}

static bool parse_observer(const char *s, oq_obs_kind *k)
{
    static const char *const names[] = {
#define OQ_X(id, str, vt) str,
        OQ_OBSERVER_LIST(OQ_X)
#undef OQ_X
    };
    for (int i = 0; i < OQ_OBS_COUNT; i++)
        if (strcmp(s, names[i]) == 0) {
            *k = (oq_obs_kind)i;
            return true;
        }
    return false;
}

int qflow_opt(qflow *q, int argc, char **argv, int *i)
{
    const char *v;
    const char *cmd = argv[0];
    int r;
    oq_options *o = &q->opt;
    if ((r = cli_opt(argc, argv, i, "--calib", &v))) {
        if (r < 0)
            return -1;
        return split_list(v, &q->calib, &q->ncalib) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--calib-limit", &v))) {
        if (r < 0)
            return -1;
        long n = strtol(v, NULL, 10);
        if (n < 1)
            return cli_usage_error(cmd, "--calib-limit wants a positive count"), -1;
        o->calib_limit = (uint32_t)n;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--mode", &v))) {
        if (r < 0)
            return -1;
        if (strcmp(v, "static") == 0)
            o->mode = OQ_MODE_STATIC;
        else if (strcmp(v, "dynamic") == 0)
            o->mode = OQ_MODE_DYNAMIC;
        else
            return cli_usage_error(cmd, "--mode is static or dynamic, not '%s'", v), -1;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--observer", &v))) {
        if (r < 0)
            return -1;
        if (!parse_observer(v, &o->observer))
            return cli_usage_error(cmd, "unknown observer '%s' (minmax, moving-average, mse, "
                                   "entropy, percentile)", v), -1;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--percentile", &v))) {
        if (r < 0)
            return -1;
        o->percentile = strtof(v, NULL);
        if (!(o->percentile > 50 && o->percentile <= 100))
            return cli_usage_error(cmd, "--percentile wants a value in (50, 100]"), -1;
        if (o->observer == OQ_OBS_MINMAX)
            o->observer = OQ_OBS_PERCENTILE;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--act-type", &v))) {
        if (r < 0)
            return -1;
        if (strcmp(v, "u8") == 0 || strcmp(v, "uint8") == 0)
            o->act_type = OQ_DT_UINT8;
        else if (strcmp(v, "s8") == 0 || strcmp(v, "int8") == 0)
            o->act_type = OQ_DT_INT8;
        else
            return cli_usage_error(cmd, "--act-type is u8 or s8, not '%s'", v), -1;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--exclude", &v))) {
        if (r < 0)
            return -1;
        return split_list(v, &q->exclude, &o->nexclude) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--op-types", &v))) {
        if (r < 0)
            return -1;
        return split_list(v, &q->op_types, &o->nop_types) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--override", &v))) {
        if (r < 0)
            return -1;
        oq_override *ov = realloc(q->overrides, (q->noverride + 1) * sizeof *ov);
        if (!ov)
            return -1;
        q->overrides = ov;
        oq_diag d = {0};
        if (oq_parse_override(v, &ov[q->noverride], &d) != OQ_OK)
            return cli_usage_error(cmd, "%s", d.msg), -1;
        q->noverride++;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--save-calib", &v))) {
        q->save_calib = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--load-calib", &v))) {
        q->load_calib = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--dump-after", &v))) {
        o->dump_after = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--stop-after", &v))) {
        o->stop_after = v;
        return r;
    }
    bool sq = (r = cli_opt(argc, argv, i, "--target-sqnr", &v)) != 0;
    if (sq || (r = cli_opt(argc, argv, i, "--max-accuracy-drop", &v))) {
        if (r < 0)
            return -1;
        char *end;
        float x = strtof(v, &end);
        if (end == v || *end || !isfinite(x))
            return cli_usage_error(cmd, "%s wants a number, not '%s'",
                                   sq ? "--target-sqnr" : "--max-accuracy-drop", v), -1;
        if (sq)
            q->mp_sqnr = true, q->target_sqnr = x;
        else
            q->mp_acc = true, q->max_drop = x;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--eval", &v))) {
        q->eval_x = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--labels", &v))) {
        q->eval_labels = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--eval-limit", &v))) {
        if (r < 0)
            return -1;
        long n = strtol(v, NULL, 10);
        if (n < 1)
            return cli_usage_error(cmd, "--eval-limit wants a positive count"), -1;
        q->eval_limit = (uint32_t)n;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--custom-op", &v))) {
        if (r < 0)
            return -1;
        q->custom = true;
        return split_list(v, &q->custom_ops, &q->ncustom_ops) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--custom-op-lib", &v))) {
        oq_diag ld = {0};
        if (r < 0 || oq_custom_load(v, &ld) != OQ_OK)
            return r < 0 ? -1 : (cli_usage_error(cmd, "%s", ld.msg), -1);
        q->custom = true;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--input-shape", &v))) {
        if (r < 0 || q->nshapes == 16 || !cli_parse_shape(v, &q->shapes[q->nshapes++]))
            return -1;
        return 1;
    }
    const char *a = argv[*i];
    if (strcmp(a, "--per-tensor") == 0)
        o->per_tensor = true;
    else if (strcmp(a, "--act-symmetric") == 0)
        o->act_symmetric = true;
    else if (strcmp(a, "--reduce-range") == 0)
        o->reduce_range = true;
    else if (strcmp(a, "--verify") == 0)
        o->verify = true;
    else if (strcmp(a, "--equalize") == 0)
        o->equalize = true;
    else if (strcmp(a, "--equalize-relu6") == 0)
        o->equalize = o->equalize_relu6 = true;
    else if (strcmp(a, "--bias-correct") == 0)
        o->bias_correct = true;
    else
        return 0;
    return 1;
}

static void progress(void *ctx, uint32_t done, uint32_t total)
{
    (void)ctx;
    if (total)
        fprintf(stderr, "\rcalibrating: %u/%u samples", done, total);
    else
        fprintf(stderr, "\rcalibrating: %u samples", done);
    if (total && done == total)
        fprintf(stderr, "\n");
}

/* Automatic mixed precision (analysis/mixed.c) on the calibrated float graph *gp: prints the
 * layers left float and the figure reached; *gp becomes the quantized graph with them float. */
static oq_status qflow_mixed(qflow *q, oq_graph **gp, const oq_graph *ref, const oq_calib *c,
                             oq_diag *d)
{
    oq_graph *g = *gp;
    oq_options *o = &q->opt;
    if (o->mode != OQ_MODE_STATIC || !q->ncalib)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "--target-sqnr / --max-accuracy-drop "
                         "need static quantization with --calib DATA (the measuring samples)");
    if (q->mp_acc && (!q->eval_x || !q->eval_labels))
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                         "--max-accuracy-drop needs --eval X.npy --labels Y.npy");
    oq_samples s = {0}, e = {0};
    oq_calib_data data = {q->calib, q->ncalib};
    oq_mixed_target t = {q->mp_sqnr, q->target_sqnr, q->mp_acc, q->max_drop};
    oq_mixed_result res = {0};
    oq_status st = oq_samples_load_calib(g, &data, o->calib_limit, &s, d);
    if (st == OQ_OK && q->eval_x)
        st = oq_samples_load_eval(g, q->eval_x, q->eval_labels, q->eval_limit, &e, d);
    if (st == OQ_OK)
        st = oq_mixed_precision(g, ref, c, o, &s, q->eval_x ? &e : NULL, &t, &res, d);
    if (st == OQ_OK) {
        printf("mixed precision: full int8: output SQNR %.2f dB", res.int8_sqnr);
        if (q->mp_acc)
            printf(", top-1 %.2f%% (fp32 %.2f%%)", res.int8_acc, res.acc_fp32);
        printf("\nmixed precision: %u of %u layers left in float%s", res.nfloat, res.nlayers,
               res.nfloat ? ":" : "");
        for (uint32_t i = 0; i < res.nfloat; i++)
            printf("%s %s", i ? "," : "", g->nodes[res.float_nodes[i]].name);
        printf("\nmixed precision: result: output SQNR %.2f dB on %u calibration samples",
               res.sqnr, s.n);
        if (q->mp_acc)
            printf(", top-1 %.2f%% on %u eval rows (drop %.2f points)", res.acc, e.rows,
                   res.acc_fp32 - res.acc);
        printf("; target:");
        if (q->mp_sqnr)
            printf(" SQNR >= %g dB", q->target_sqnr);
        if (q->mp_acc)
            printf("%s drop <= %g points", q->mp_sqnr ? "," : "", q->max_drop);
        printf("\n");
        const char **names = calloc(res.nfloat + 1, sizeof *names);
        oq_graph *qg = NULL;
        for (uint32_t i = 0; names && i < res.nfloat; i++)
            names[i] = g->nodes[res.float_nodes[i]].name;
        st = names ? oq_quantize_copy(g, c, o, names, res.nfloat, &qg, d)
                   : oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        if (st == OQ_OK && ref && res.nfloat)
            oq_restore_float_biases(qg, ref);
        free((void *)names);
        if (st == OQ_OK) {
            oq_graph_free(g);
            *gp = qg;
        }
    }
    oq_mixed_result_free(&res);
    oq_samples_free(&s);
    oq_samples_free(&e);
    return st;
}

oq_status qflow_run(qflow *q, const char *path, oq_graph **out, oq_diag *d)
{
    oq_options *o = &q->opt;
    o->exclude = q->exclude;
    o->op_types = q->op_types;
    /* the parsed names point into each entry's own buffer: refresh after realloc moves */
    for (uint32_t i = 0; i < q->noverride; i++)
        q->overrides[i].tensor = q->overrides[i].buf;
    o->overrides = q->overrides;
    o->noverride = q->noverride;
    if (isatty(2))
        o->progress = progress;
    if (o->dump_after)
        o->dump_file = stdout;
    oq_import_opts io = {.shapes = q->shapes, .nshapes = q->nshapes,
                         .allow_unknown_ops = q->custom};
    oq_graph *g = NULL;
    oq_calib *c = NULL;
    oq_status st = oq_import_onnx(path, &io, &g, d);
    if (st == OQ_OK && q->custom)  /* custom ops: types from their libraries or value_info */
        st = oq_custom_infer_graph(g, d);
    /* symbolic dims (a dynamic batch, typically) are calibrated and compiled as 1 */
    bool sym = false;
    for (uint32_t i = 0; st == OQ_OK && i < g->ninput + g->noutput; i++) {
        uint32_t v = i < g->ninput ? g->inputs[i] : g->outputs[i - g->ninput];
        oq_shape *s = &g->values[v].shape;
        uint8_t *mask = i < g->ninput ? &q->sym_in[i % 64] : &q->sym_out[(i - g->ninput) % 64];
        for (int k = 0; k < s->rank && k < 8; k++)
            if (s->dim[k] < 0) {
                *mask |= (uint8_t)(1u << k);
                if (i < g->ninput) {
                    s->dim[k] = 1;
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
    if (q->ncalib) {             /* --equalize keeps Relu6 pairs exact on these samples */
        q->samples = (oq_calib_data){q->calib, q->ncalib};
        o->samples = &q->samples;
    }
    if (st == OQ_OK)
        st = oq_run_passes(g, o, d);
    if (st == OQ_OK && o->stop_after) {
        *out = g;
        return OQ_OK;
    }
    oq_graph *ref = NULL;      /* mixed precision: the float graph before bias correction */
    if (st == OQ_OK && o->bias_correct && (q->mp_sqnr || q->mp_acc) && !(ref = oq_graph_clone(g)))
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK && o->bias_correct) {     /* before calibration: observers see the result */
        st = q->ncalib ? oq_bias_correct(g, &q->samples, o, d)
                       : oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                                   "--bias-correct needs --calib DATA");
    }
    if (st == OQ_OK && o->mode == OQ_MODE_STATIC) {
        if (!q->ncalib && !q->load_calib)
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "static quantization needs --calib "
                           "DATA (or --load-calib FILE, or --mode dynamic)");
        if (st == OQ_OK)
            st = oq_calib_new(g, o, &c, d);
        if (st == OQ_OK && q->load_calib)
            st = oq_calib_load(c, g, q->load_calib, d);
        if (st == OQ_OK && q->ncalib) {
            oq_calib_data data = {q->calib, q->ncalib};
            st = oq_calibrate(c, g, &data, o, d);
        }
        if (st == OQ_OK && q->save_calib)
            st = oq_calib_save(c, g, q->save_calib, d);
    }
    if (st == OQ_OK && (q->mp_sqnr || q->mp_acc))
        st = qflow_mixed(q, &g, ref, c, d);
    else if (st == OQ_OK)
        st = oq_quantize(g, c, o, d);
    oq_graph_free(ref);
    oq_calib_free(c);
    if (st != OQ_OK) {
        oq_graph_free(g);
        return st;
    }
    *out = g;
    return OQ_OK;
}

void qflow_restore_symbolic(const qflow *q, oq_graph *g)
{
    for (uint32_t i = 0; i < g->ninput + g->noutput; i++) {
        uint32_t v = i < g->ninput ? g->inputs[i] : g->outputs[i - g->ninput];
        uint8_t mask = i < g->ninput ? q->sym_in[i % 64] : q->sym_out[(i - g->ninput) % 64];
        oq_shape *s = &g->values[v].shape;
        for (int k = 0; k < s->rank && k < 8; k++)
            if (mask & (1u << k))
                s->dim[k] = -1;
    }
}

void qflow_free(qflow *q)
{
    for (uint32_t i = 0; i < q->ncalib; i++)
        free((void *)q->calib[i]);
    for (uint32_t i = 0; i < q->opt.nexclude; i++)
        free((void *)q->exclude[i]);
    for (uint32_t i = 0; i < q->opt.nop_types; i++)
        free((void *)q->op_types[i]);
    for (uint32_t i = 0; i < q->nshapes; i++)
        free((void *)q->shapes[i].name);
    free(q->overrides);
    free((void *)q->calib);
    free((void *)q->exclude);
    free((void *)q->op_types);
    for (uint32_t i = 0; i < q->ncustom_ops; i++)
        free((void *)q->custom_ops[i]);
    free((void *)q->custom_ops);
}
