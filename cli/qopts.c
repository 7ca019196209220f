/* The quantization flags shared by `onnxq quantize`, `compile` and `report`, parsed into the
 * library's onnxq_options (the pipeline itself is lib/quantize.c), and the CLI's callbacks. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qopts.h"

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

static bool parse_observer(const char *s, onnxq_observer *k)
{
    static const char *const names[] = {"minmax", "moving-average", "mse", "entropy",
                                        "percentile"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *k = (onnxq_observer)i;
            return true;
        }
    return false;
}

void qflow_init(qflow *q)
{
    memset(q, 0, sizeof *q);
    onnxq_options_init(&q->o);
}

int qflow_opt(qflow *q, int argc, char **argv, int *i)
{
    const char *v;
    const char *cmd = argv[0];
    int r;
    onnxq_options *o = &q->o;
    if ((r = cli_opt(argc, argv, i, "--calib", &v))) {
        if (r < 0)
            return -1;
        return split_list(v, &q->calib, &q->ncalib) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--calib-limit", &v))) {
        if (r < 0)
            return -1;
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (end == v || *end || errno || n < 1 || n > (long long)UINT32_MAX)
            return cli_usage_error(cmd, "--calib-limit wants a count from 1 to 4294967295"), -1;
        o->calib_limit = (uint32_t)n;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--check-samples", &v))) {
        if (r < 0)
            return -1;
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (end == v || *end || errno || n < 0 || n > 65536)
            return cli_usage_error(cmd, "--check-samples wants a count from 0 to 65536"), -1;
        o->check_samples = (uint32_t)n;
        o->skip_check = n == 0;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--mode", &v))) {
        if (r < 0)
            return -1;
        if (strcmp(v, "static") == 0)
            o->mode = ONNXQ_MODE_STATIC;
        else if (strcmp(v, "dynamic") == 0)
            o->mode = ONNXQ_MODE_DYNAMIC;
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
        if (o->observer == ONNXQ_OBSERVER_MINMAX)
            o->observer = ONNXQ_OBSERVER_PERCENTILE;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--act-type", &v))) {
        if (r < 0)
            return -1;
        if (strcmp(v, "u8") == 0 || strcmp(v, "uint8") == 0)
            o->act_type = ONNXQ_ACT_UINT8;
        else if (strcmp(v, "s8") == 0 || strcmp(v, "int8") == 0)
            o->act_type = ONNXQ_ACT_INT8;
        else
            return cli_usage_error(cmd, "--act-type is u8 or s8, not '%s'", v), -1;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--exclude", &v))) {
        if (r < 0)
            return -1;
        return split_list(v, &q->exclude, &q->nexclude) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--op-types", &v))) {
        if (r < 0)
            return -1;
        return split_list(v, &q->op_types, &q->nop_types) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--override", &v))) {
        if (r < 0)
            return -1;
        const char **ov = realloc((void *)q->overrides, (q->noverride + 1) * sizeof *ov);
        if (!ov)
            return -1;
        q->overrides = ov;
        char msg[1024];
        if (onnxq_check_override(v, msg, sizeof msg) != ONNXQ_OK)
            return cli_usage_error(cmd, "%s", msg), -1;
        ov[q->noverride++] = v;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--save-calib", &v))) {
        o->save_calib = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--load-calib", &v))) {
        o->load_calib = v;
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
            o->target_sqnr_set = 1, o->target_sqnr = x;
        else
            o->max_drop_set = 1, o->max_drop = x;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--eval", &v))) {
        o->eval_data = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--labels", &v))) {
        o->eval_labels = v;
        return r;
    }
    if ((r = cli_opt(argc, argv, i, "--eval-limit", &v))) {
        if (r < 0)
            return -1;
        long n = strtol(v, NULL, 10);
        if (n < 1)
            return cli_usage_error(cmd, "--eval-limit wants a positive count"), -1;
        o->eval_limit = (uint32_t)n;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--custom-op", &v))) {
        if (r < 0)
            return -1;
        o->custom_ops = 1;
        return split_list(v, &q->custom_ops, &q->ncustom_ops) ? 1 : -1;
    }
    if ((r = cli_opt(argc, argv, i, "--custom-op-lib", &v))) {
        char msg[1024];
        if (r < 0 || onnxq_load_custom_op_library(v, msg, sizeof msg) != ONNXQ_OK)
            return r < 0 ? -1 : (cli_usage_error(cmd, "%s", msg), -1);
        o->custom_ops = 1;
        return 1;
    }
    if ((r = cli_opt(argc, argv, i, "--input-shape", &v))) {
        if (r < 0 || q->nshapes == 16 || !cli_parse_shape(v, &q->shapes[q->nshapes++]))
            return -1;
        return 1;
    }
    const char *a = argv[*i];
    if (strcmp(a, "--per-tensor") == 0)
        o->per_tensor = 1;
    else if (strcmp(a, "--act-symmetric") == 0)
        o->act_symmetric = 1;
    else if (strcmp(a, "--reduce-range") == 0)
        o->reduce_range = 1;
    else if (strcmp(a, "--verify") == 0)
        o->verify = 1;
    else if (strcmp(a, "--equalize") == 0)
        o->equalize = 1;
    else if (strcmp(a, "--equalize-relu6") == 0)
        o->equalize = o->equalize_relu6 = 1;
    else if (strcmp(a, "--bias-correct") == 0)
        o->bias_correct = 1;
    else
        return 0;
    return 1;
}

/* Progress on stderr (set only when stderr is a terminal): calibration in samples, the
 * sensitivity pass in layers, the mixed-precision search in steps; with the time left
 * estimated from the pace so far. */
static void progress(void *user, const char *stage, uint32_t done, uint32_t total)
{
    static const char *last;
    static struct timespec t0;
    struct timespec t;
    (void)user;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (stage != last || done <= 1)
        t0 = t, last = stage;
    const char *unit = strcmp(stage, "calibrate") == 0 ? "samples"
                     : strcmp(stage, "sensitivity") == 0 ? "layers" : "steps";
    const char *what = strcmp(stage, "calibrate") == 0 ? "calibrating" : stage;
    double el = (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec);
    if (total)
        fprintf(stderr, "\r%s: %u/%u %s", what, done, total, unit);
    else
        fprintf(stderr, "\r%s: %u %s", what, done, unit);
    if (total && done > 1 && done < total && el > 0.5)
        fprintf(stderr, ", about %.0f s left   ", el / (double)(done - 1) * (double)(total - done));
    if (total && done == total)
        fprintf(stderr, "%20s\n", "");
}

const onnxq_options *qflow_finish(qflow *q)
{
    onnxq_options *o = &q->o;
    o->calib = q->calib, o->ncalib = q->ncalib;
    o->exclude = q->exclude, o->nexclude = q->nexclude;
    o->op_types = q->op_types, o->nop_types = q->nop_types;
    o->overrides = q->overrides, o->noverrides = q->noverride;
    o->input_shapes = q->shapes, o->ninput_shapes = q->nshapes;
    o->custom_op_types = q->custom_ops, o->ncustom_op_types = q->ncustom_ops;
    o->log_fn = cli_log;
    o->output_fn = cli_output;
    if (isatty(2))
        o->progress_fn = progress;
    return o;
}

int qflow_fail(const onnxq_session *s, bool usage_ok)
{
    cli_fail(s);
    return s && usage_ok && onnxq_session_status(s) == ONNXQ_ERR_USAGE ? CLI_USAGE : CLI_ERR;
}

void qflow_free(qflow *q)
{
    for (uint32_t i = 0; i < q->ncalib; i++)
        free((void *)q->calib[i]);
    for (uint32_t i = 0; i < q->nexclude; i++)
        free((void *)q->exclude[i]);
    for (uint32_t i = 0; i < q->nop_types; i++)
        free((void *)q->op_types[i]);
    for (uint32_t i = 0; i < q->nshapes; i++)
        free((void *)q->shapes[i].name);
    free((void *)q->overrides);
    free((void *)q->calib);
    free((void *)q->exclude);
    free((void *)q->op_types);
    for (uint32_t i = 0; i < q->ncustom_ops; i++)
        free((void *)q->custom_ops[i]);
    free((void *)q->custom_ops);
}
