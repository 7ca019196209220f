/* Calibration data, the one sample reader: finds the sample files, checks them and hands each
 * sample to a callback (oq_for_each_sample), used by calibration (oq_calibrate), bias
 * correction, equalization and the analyses (report, mixed precision).
 * Layout (documented for --calib): with one model input, each spec entry is a .npy/.pb file or
 * a directory whose *.npy / *.pb files are read in byte-wise name order. With several inputs,
 * entries are NAME=PATH (a file or directory per input; the k-th files of all inputs form one
 * sample), or a single directory with one sub-directory per input name. A file holds one
 * sample (the input's exact shape, or that shape without a leading batch dim of 1) or a batch
 * of them (dim 0 a multiple of the model's dim 0). Wrong dtype or shape, NaN or Inf, or an
 * unreadable file is ERR_DATA naming the file; nothing is half-observed at the graph level
 * because the caller only quantizes after success. Progress is reported in files (in samples
 * for samples in memory). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../frontend/frontend.h"
#include "../runtime/interp/interp.h"
#include "calib_int.h"

typedef oq_file_list flist;

void oq_file_list_free(oq_file_list *f)
{
    for (uint32_t i = 0; i < f->n; i++)
        free(f->path[i]);
    free(f->path);
    memset(f, 0, sizeof *f);
}

static bool flist_add(flist *f, const char *p)
{
    if (f->n == f->cap) {
        uint32_t nc = f->cap ? f->cap * 2 : 64;
        char **np = realloc(f->path, nc * sizeof *np);
        if (!np)
            return false;
        f->path = np;
        f->cap = nc;
    }
    f->path[f->n] = strdup(p);
    return f->path[f->n++] != NULL;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_ext(const char *p, const char *ext)
{
    size_t n = strlen(p), e = strlen(ext);
    return n > e && strcmp(p + n - e, ext) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path (a file, or the sorted sample files of a directory) to f. */
static oq_status collect(const char *path, flist *f, oq_diag *d)
{
    if (!is_dir(path)) {
        struct stat st;
        if (stat(path, &st) != 0)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: no such file or directory", path);
        if (!flist_add(f, path))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        return OQ_OK;
    }
    DIR *dir = opendir(path);
    if (!dir)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot read the directory", path);
    uint32_t first = f->n;
    struct dirent *e;
    char buf[4096];
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.' || !(has_ext(e->d_name, ".npy") || has_ext(e->d_name, ".pb")))
            continue;
        snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
        if (is_dir(buf))
            continue;
        if (!flist_add(f, buf)) {
            closedir(dir);
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        }
    }
    closedir(dir);
    if (f->n == first)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: no .npy or .pb files", path);
    qsort(f->path + first, f->n - first, sizeof *f->path, cmp_str);
    return OQ_OK;
}

/* Index of the graph input called name, OQ_NONE if none. */
static uint32_t input_index(const oq_graph *g, const char *name, size_t len)
{
    for (uint32_t i = 0; i < g->ninput; i++) {
        const char *n = g->values[g->inputs[i]].name;
        if (strlen(n) == len && strncmp(n, name, len) == 0)
            return i;
    }
    return OQ_NONE;
}

oq_status oq_calib_files(const oq_graph *g, const oq_calib_data *data, oq_file_list *lists,
                         oq_diag *d)
{
    oq_status st;
    bool named = false;
    for (uint32_t k = 0; k < data->nspec; k++)
        named |= strchr(data->spec[k], '=') != NULL;
    if (data->nspec == 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no calibration data given");
    if (named) {
        for (uint32_t k = 0; k < data->nspec; k++) {
            const char *s = data->spec[k], *eq = strchr(s, '=');
            if (!eq)
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                                 "calibration entry '%s': mix of NAME=PATH and plain paths", s);
            uint32_t i = input_index(g, s, (size_t)(eq - s));
            if (i == OQ_NONE)
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                                 "calibration entry '%s': the model has no input '%.*s'", s,
                                 (int)(eq - s), s);
            if ((st = collect(eq + 1, &lists[i], d)))
                return st;
        }
    } else if (g->ninput == 1) {
        for (uint32_t k = 0; k < data->nspec; k++)
            if ((st = collect(data->spec[k], &lists[0], d)))
                return st;
    } else if (data->nspec == 1 && is_dir(data->spec[0])) {
        char buf[4096];
        for (uint32_t i = 0; i < g->ninput; i++) {
            snprintf(buf, sizeof buf, "%s/%s", data->spec[0], g->values[g->inputs[i]].name);
            if (!is_dir(buf))
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                                 "%s: the model has %u inputs; expected a sub-directory per "
                                 "input name (missing '%s'), or NAME=PATH entries",
                                 data->spec[0], g->ninput, buf);
            if ((st = collect(buf, &lists[i], d)))
                return st;
        }
    } else {
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                         "the model has %u inputs: give NAME=PATH per input or one directory "
                         "with a sub-directory per input", g->ninput);
    }
    for (uint32_t i = 0; i < g->ninput; i++) {
        if (lists[i].n == 0)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "no calibration data for input '%s'",
                             g->values[g->inputs[i]].name);
        if (lists[i].n != lists[0].n)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                             "input '%s' has %u calibration files but '%s' has %u",
                             g->values[g->inputs[i]].name, lists[i].n,
                             g->values[g->inputs[0]].name, lists[0].n);
    }
    return OQ_OK;
}

static void shape_str(const oq_shape *s, char *buf, size_t n)
{
    int k = snprintf(buf, n, "[");
    for (int i = 0; i < s->rank && (size_t)k < n; i++)
        k += snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)s->dim[i]);
    if ((size_t)k < n)
        snprintf(buf + k, n - k, "]");
}

/* A file's dim f fits the model's dim m: equal, or m symbolic (< 0) and f at least 1. */
static bool dim_fits(int64_t f, int64_t m)
{
    return m < 0 ? f >= 1 : f == m;
}

/* Samples in file t for graph input v: 0 when the shape does not fit. A symbolic dim of the
 * input takes the file's extent, except a symbolic dim 0 (the batch), which is 1: the file
 * then holds dim-0 samples. *one gets the shape of one sample. */
static int64_t samples_in(const oq_graph *g, uint32_t v, const oq_tensor_file *t, oq_shape *one)
{
    const oq_shape *ms = &g->values[v].shape, *fs = &t->shape;
    *one = *ms;
    if (ms->rank > 0 && ms->dim[0] < 0)
        one->dim[0] = 1;
    if (fs->rank == ms->rank) {
        for (int i = 1; i < ms->rank; i++) {
            if (!dim_fits(fs->dim[i], ms->dim[i]))
                return 0;
            one->dim[i] = fs->dim[i];
        }
        if (ms->rank == 0)
            return 1;
        if (one->dim[0] <= 0 || fs->dim[0] % one->dim[0] || fs->dim[0] == 0)
            return 0;
        return fs->dim[0] / one->dim[0];
    }
    if (fs->rank + 1 == ms->rank && one->dim[0] == 1) {
        for (int i = 0; i < fs->rank; i++) {
            if (!dim_fits(fs->dim[i], ms->dim[i + 1]))
                return 0;
            one->dim[i + 1] = fs->dim[i];
        }
        return 1;
    }
    return 0;
}

static oq_status read_tensor(const char *path, oq_arena *a, oq_tensor_file *t, oq_diag *d)
{
    if (has_ext(path, ".npy"))
        return oq_read_npy(path, a, t, d);
    if (has_ext(path, ".pb"))
        return oq_read_tensor_pb(path, a, t, d);
    return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: not a .npy or .pb file", path);
}

/* Reads file f of every input's list into tf (arena a) and checks it against the inputs:
 * the input's dtype; a shape of one sample (the input's, or the input's without a leading
 * batch dim of 1) or a batch (dim 0 a multiple of the input's); the same sample count for
 * every input; no NaN or Inf. *k is the number of samples the files hold (0: a shape that does
 * not fit, passed over with skip_misfit), one[i] the shape of one sample of input i. */
static oq_status read_file_set(const oq_graph *g, const flist *lists, uint32_t f, oq_arena *a,
                               oq_tensor_file *tf, oq_shape *one, bool skip_misfit, int64_t *k,
                               oq_diag *d)
{
    oq_status st;
    *k = -1;
    for (uint32_t i = 0; i < g->ninput; i++) {
        const char *path = lists[i].path[f];
        uint32_t v = g->inputs[i];
        if ((st = read_tensor(path, a, &tf[i], d)))
            return st;
        if (tf[i].dtype != g->values[v].dtype)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                             "%s: dtype %s, but model input '%s' is %s", path,
                             oq_dtype_name(tf[i].dtype), g->values[v].name,
                             oq_dtype_name(g->values[v].dtype));
        int64_t ki = samples_in(g, v, &tf[i], &one[i]);
        if (ki == 0 && skip_misfit) {
            *k = 0;
            return OQ_OK;
        }
        if (ki == 0 || (*k >= 0 && ki != *k)) {
            char fs[128], ms[128];
            shape_str(&tf[i].shape, fs, sizeof fs);
            shape_str(&g->values[v].shape, ms, sizeof ms);
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                             ki ? "%s: shape %s holds a different number of samples than the "
                                  "other inputs' files (model input '%s' is %s)"
                                : "%s: shape %s does not fit model input '%s' of shape %s",
                             path, fs, g->values[v].name, ms);
        }
        *k = ki;
        if (tf[i].dtype == OQ_DT_FLOAT) {
            const float *x = tf[i].data;
            int64_t n = oq_shape_numel(&tf[i].shape);
            for (int64_t e = 0; e < n; e++)
                if (!isfinite(x[e]))
                    return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "%s: element %lld is %s",
                                     path, (long long)e, isnan(x[e]) ? "NaN" : "Inf");
        }
    }
    return OQ_OK;
}

oq_status oq_for_each_sample(const oq_graph *g, const oq_calib_data *data, uint32_t limit,
                             oq_progress_fn progress, void *progress_ctx, oq_sample_fn fn,
                             void *ctx, oq_diag *d)
{
    uint32_t nin = g->ninput;
    if (nin == 0)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "the model has no inputs to calibrate");
    oq_status st = OQ_OK;
    if (data->nmem) {          /* samples in memory: already checked against the inputs */
        uint32_t total = limit && limit < data->nmem ? limit : data->nmem;
        for (uint32_t k = 0; k < total && st == OQ_OK; k++) {
            st = fn(ctx, g, data->mem + (size_t)k * nin, d);
            if (st == OQ_OK && progress)
                progress(progress_ctx, k + 1, total);
        }
        return st;
    }
    flist *lists = calloc(nin, sizeof *lists);
    oq_tensor_file *tf = calloc(nin, sizeof *tf);
    oq_rt_tensor *rt = calloc(nin, sizeof *rt);
    oq_shape *one = calloc(nin, sizeof *one);
    if (!lists || !tf || !rt || !one) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = oq_calib_files(g, data, lists, d)))
        goto out;
    uint32_t nfiles = lists[0].n;
    uint32_t total = limit && limit < nfiles ? limit : nfiles;
    uint32_t fed = 0;
    for (uint32_t f = 0; f < nfiles && (!limit || fed < limit) && st == OQ_OK; f++) {
        oq_arena a;
        oq_arena_init(&a, NULL, NULL);
        int64_t k;
        st = read_file_set(g, lists, f, &a, tf, one, data->skip_misfit, &k, d);
        for (int64_t s = 0; st == OQ_OK && s < k && (!limit || fed < limit); s++) {
            for (uint32_t i = 0; i < nin; i++) {
                const oq_value *val = &g->values[g->inputs[i]];
                size_t bytes = (size_t)oq_shape_numel(&one[i]) * oq_dtype_size(val->dtype);
                rt[i].dtype = val->dtype;
                rt[i].shape = one[i];
                rt[i].data = (char *)tf[i].data + (size_t)s * bytes;
            }
            st = fn(ctx, g, rt, d);
            fed++;
        }
        oq_arena_free(&a);
        if (st == OQ_OK && progress)
            progress(progress_ctx, f + 1 < total ? f + 1 : total, total);
    }
out:
    if (lists)
        for (uint32_t i = 0; i < nin; i++)
            oq_file_list_free(&lists[i]);
    free(lists);
    free(tf);
    free(rt);
    free(one);
    return st;
}

/* oq_sample_fn: one sample into the observers. */
static oq_status feed_calib(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    return oq_calib_feed(ctx, g, in, d);
}

oq_status oq_calibrate(oq_calib *c, const oq_graph *g, const oq_calib_data *data,
                       const oq_options *o, oq_diag *d)
{
    if (g->ninput == 0)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "the model has no inputs to calibrate");
    oq_status st = oq_for_each_sample(g, data, o ? o->calib_limit : 0, o ? o->progress : NULL,
                                      o ? o->progress_ctx : NULL, feed_calib, c, d);
    oq_calib_done(c);
    return st;
}
