/* lib/model.c: models for the reference interpreter (onnxq_model_*): load, describe the graph
 * inputs and outputs, run on arrays in memory or on tensor files (.npy / .pb), writing the
 * outputs as files or summarizing them. A run whose input shapes differ from the graph's
 * (a symbolic batch, say) re-infers the shapes and rebuilds the interpreter. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "runtime/interp/custom.h"
#include "runtime/interp/interp.h"

struct onnxq_model {
    onnxq_session *s;          /* errors, callbacks */
    oq_graph *g;               /* inputs' shapes: those of the last run */
    oq_shape *decl;            /* the inputs' declared shapes (g->ninput) */
    oq_interp *it;             /* built at the first run for g's current shapes */
};

ONNXQ_API onnxq_status onnxq_model_load(onnxq_session *s, const char *path, onnxq_model **out)
{
    lib_begin(s);
    *out = NULL;
    onnxq_model *m = calloc(1, sizeof *m);
    if (!m)
        return lib_end(s, oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory"));
    m->s = s;
    oq_import_opts io = {.shapes = s->shapes, .nshapes = s->o.ninput_shapes,
                         .allow_unknown_ops = s->o.custom_ops};
    oq_status st = oq_import_onnx(path, &io, &m->g, &s->d);
    if (st == OQ_OK && s->o.custom_ops)
        st = oq_custom_infer_graph(m->g, &s->d);
    if (st == OQ_OK && !(m->decl = calloc(m->g->ninput + 1, sizeof *m->decl)))
        st = oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; st == OQ_OK && i < m->g->ninput; i++)
        m->decl[i] = m->g->values[m->g->inputs[i]].shape;
    if (st != OQ_OK) {
        onnxq_model_free(m);
        return lib_end(s, st);
    }
    *out = m;
    return lib_end(s, OQ_OK);
}

ONNXQ_API void onnxq_model_free(onnxq_model *m)
{
    if (!m)
        return;
    oq_interp_free(m->it);
    oq_graph_free(m->g);
    free(m->decl);
    free(m);
}

ONNXQ_API uint32_t onnxq_model_num_inputs(const onnxq_model *m)
{
    return m->g->ninput;
}

ONNXQ_API uint32_t onnxq_model_num_outputs(const onnxq_model *m)
{
    return m->g->noutput;
}

/* Name of value v, its dtype and shape into info (when not NULL). */
static const char *value_info(const oq_graph *g, uint32_t v, const oq_shape *shape,
                              onnxq_array *info)
{
    if (info) {
        memset(info, 0, sizeof *info);
        info->dtype = (onnxq_dtype)g->values[v].dtype;
        info->rank = shape->rank < 0 ? 0 : shape->rank;
        memcpy(info->dims, shape->dim, sizeof info->dims);
    }
    return g->values[v].name;
}

ONNXQ_API const char *onnxq_model_input_info(const onnxq_model *m, uint32_t i, onnxq_array *info)
{
    return i < m->g->ninput ? value_info(m->g, m->g->inputs[i], &m->decl[i], info) : NULL;
}

ONNXQ_API const char *onnxq_model_output_info(const onnxq_model *m, uint32_t i,
                                              onnxq_array *info)
{
    if (i >= m->g->noutput)
        return NULL;
    uint32_t v = m->g->outputs[i];
    return value_info(m->g, v, &m->g->values[v].shape, info);
}

static void shape_str(const oq_shape *s, char *buf, size_t n)
{
    int k = snprintf(buf, n, "[");
    for (int i = 0; i < s->rank && k < (int)n; i++)
        k += snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)s->dim[i]);
    if (k < (int)n)
        snprintf(buf + k, n - k, "]");
}

/* Does the data's shape fit the declared one (unknown dims match anything)? */
static bool fits(const oq_shape *decl, const oq_shape *got)
{
    if (decl->rank < 0)
        return true;
    if (decl->rank != got->rank)
        return false;
    for (int i = 0; i < decl->rank; i++)
        if (decl->dim[i] >= 0 && decl->dim[i] != got->dim[i])
            return false;
    return true;
}

static bool same_shape(const oq_shape *a, const oq_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return false;
    return true;
}

/* Checks tensor t against graph input i (what names the data in messages: a file, or
 * "input 'x'"); sets the input's shape to t's, *reinfer when it changed. */
static oq_status bind(onnxq_model *m, uint32_t i, const oq_rt_tensor *t, const char *what,
                      bool *reinfer)
{
    oq_value *val = &m->g->values[m->g->inputs[i]];
    char want[128], got[128];
    shape_str(&val->shape, want, sizeof want);
    shape_str(&t->shape, got, sizeof got);
    if (t->dtype != val->dtype)
        return oq_errorf(&m->s->d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: dtype %s, but input '%s' "
                         "is %s", what, oq_dtype_name(t->dtype), val->name,
                         oq_dtype_name(val->dtype));
    if (!fits(&m->decl[i], &t->shape))
        return oq_errorf(&m->s->d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: shape %s, but input '%s' "
                         "is %s", what, got, val->name, want);
    if (!same_shape(&val->shape, &t->shape)) {
        val->shape = t->shape;
        *reinfer = true;
    }
    return OQ_OK;
}

/* Runs the interpreter on bound inputs (after re-inference when reinfer). */
static oq_status run_bound(onnxq_model *m, const oq_rt_tensor *in, oq_rt_tensor *outs,
                           bool reinfer)
{
    oq_diag *d = &m->s->d;
    if (reinfer) {
        oq_interp_free(m->it);
        m->it = NULL;
        if (ir_infer(m->g, d) != OQ_OK)
            return d->status;
    }
    if (!m->it && (ir_require_static(m->g, d) != OQ_OK || oq_interp_new(m->g, &m->it, d)))
        return d->status;
    return oq_interp_run(m->it, in, outs, NULL, NULL, d);
}

ONNXQ_API onnxq_status onnxq_model_run(onnxq_model *m, const onnxq_array *inputs,
                                       uint32_t ninputs, onnxq_array *outputs,
                                       uint32_t noutputs)
{
    onnxq_session *s = m->s;
    lib_begin(s);
    oq_graph *g = m->g;
    if (ninputs != g->ninput || noutputs != g->noutput)
        return lib_end(s, oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_USAGE, "the model has %u inputs "
                                    "and %u outputs, not %u and %u", g->ninput, g->noutput,
                                    ninputs, noutputs));
    oq_rt_tensor *in = calloc(g->ninput + 1, sizeof *in), *out = calloc(g->noutput + 1,
                                                                          sizeof *out);
    oq_status st = in && out ? OQ_OK : oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    bool reinfer = false;
    for (uint32_t i = 0; st == OQ_OK && i < g->ninput; i++) {
        const onnxq_array *a = &inputs[i];
        char what[300];
        snprintf(what, sizeof what, "input %u", i);
        if (a->rank < 0 || a->rank > OQ_MAX_RANK || !a->data) {
            st = oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA, "%s: rank %d or no data", what,
                           (int)a->rank);
            break;
        }
        in[i].dtype = (oq_dtype)a->dtype;
        in[i].shape.rank = a->rank;
        memcpy(in[i].shape.dim, a->dims, sizeof a->dims);
        in[i].data = (void *)a->data;
        st = bind(m, i, &in[i], what, &reinfer);
    }
    if (st == OQ_OK)
        st = run_bound(m, in, out, reinfer);
    for (uint32_t i = 0; st == OQ_OK && i < g->noutput; i++) {
        memset(&outputs[i], 0, sizeof outputs[i]);
        outputs[i].dtype = (onnxq_dtype)out[i].dtype;
        outputs[i].rank = out[i].shape.rank;
        memcpy(outputs[i].dims, out[i].shape.dim, sizeof outputs[i].dims);
        outputs[i].data = out[i].data;
    }
    free(in);
    free(out);
    return lib_end(s, st);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* A file name for an output value: its name with '/' and other odd characters replaced. */
static void safe_name(const char *name, char *buf, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
    if (i == 0 || buf[0] == '.')
        snprintf(buf, n, "output");
}

/* File names for the outputs (256 bytes each, in names): safe_name of each value name, with
 * "_K" (smallest K >= 1) added where an earlier output already took the name or another
 * output's plain name is exactly that, so outputs 'a/b' and 'a_b' never write one file. */
static void output_file_names(const oq_graph *g, char (*names)[256])
{
    for (uint32_t i = 0; i < g->noutput; i++) {
        char base[200];
        safe_name(g->values[g->outputs[i]].name, base, sizeof base);
        snprintf(names[i], 256, "%s", base);
        for (uint32_t k = 1;; k++) {
            bool taken = false;
            for (uint32_t j = 0; j < g->noutput && !taken; j++) {
                char plain[256];
                if (j < i)
                    taken = strcmp(names[j], names[i]) == 0;
                else if (j > i) {
                    safe_name(g->values[g->outputs[j]].name, plain, sizeof plain);
                    taken = strcmp(plain, names[i]) == 0;
                }
            }
            if (!taken)
                break;
            snprintf(names[i], 256, "%s_%u", base, k);
        }
    }
}

/* Shape, range and the first values of output t, to f. */
static void summarize(FILE *f, const char *name, const oq_rt_tensor *t)
{
    char sh[128];
    shape_str(&t->shape, sh, sizeof sh);
    int64_t n = oq_shape_numel(&t->shape);
    fprintf(f, "%s: %s %s", name, oq_dtype_name(t->dtype), sh);
    if (t->dtype == OQ_DT_FLOAT && n > 0) {
        const float *p = t->data;
        double mn = p[0], mx = p[0], sum = 0;
        int64_t am = 0;
        for (int64_t i = 0; i < n; i++) {
            if (p[i] < mn)
                mn = p[i];
            if (p[i] > mx)
                mx = p[i], am = i;
            sum += p[i];
        }
        fprintf(f, "  min %.6g max %.6g mean %.6g argmax %lld\n  [", mn, mx, sum / (double)n,
                (long long)am);
        for (int64_t i = 0; i < n && i < 10; i++)
            fprintf(f, "%s%.6g", i ? ", " : "", p[i]);
        fprintf(f, "%s]\n", n > 10 ? ", ..." : "");
    } else if (n > 0) {
        fprintf(f, "\n  [");
        for (int64_t i = 0; i < n && i < 10; i++) {
            long long x = 0;
            switch (t->dtype) {
            case OQ_DT_UINT8: x = ((const uint8_t *)t->data)[i]; break;
            case OQ_DT_INT8: x = ((const int8_t *)t->data)[i]; break;
            case OQ_DT_BOOL: x = ((const uint8_t *)t->data)[i]; break;
            case OQ_DT_INT32: x = ((const int32_t *)t->data)[i]; break;
            case OQ_DT_INT64: x = ((const int64_t *)t->data)[i]; break;
            default: break;
            }
            fprintf(f, "%s%lld", i ? ", " : "", x);
        }
        fprintf(f, "%s]\n", n > 10 ? ", ..." : "");
    } else
        fprintf(f, "\n");
}

/* Writes text (printf format) through the session's output callback. */
static void outputf(onnxq_session *s, const char *fmt, ...) OQ_PRINTF(2, 3);
static void outputf(onnxq_session *s, const char *fmt, ...)
{
    char *buf = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        lib_output(s, buf, (size_t)n);
    free(buf);
}

/* Writes or summarizes the outputs of a run. */
static oq_status put_outputs(onnxq_model *m, const oq_rt_tensor *outs, const char *outdir,
                             int pb)
{
    onnxq_session *s = m->s;
    oq_diag *d = &s->d;
    const oq_graph *g = m->g;
    if (outdir && mkdir(outdir, 0777) != 0 && errno != EEXIST)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create directory: %s", outdir,
                         strerror(errno));
    char (*fnames)[256] = outdir && !pb ? calloc(g->noutput + 1, sizeof *fnames) : NULL;
    if (outdir && !pb && !fnames)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (fnames)
        output_file_names(g, fnames);
    oq_status st = OQ_OK;
    for (uint32_t i = 0; st == OQ_OK && i < g->noutput; i++) {
        const char *name = g->values[g->outputs[i]].name;
        if (!outdir) {
            char *text = NULL;
            size_t ntext = 0;
            FILE *f = open_memstream(&text, &ntext);
            if (!f)
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
            summarize(f, name, &outs[i]);
            fclose(f);
            lib_output(s, text, ntext);
            free(text);
            continue;
        }
        char file[4096];
        if (pb) {
            snprintf(file, sizeof file, "%s/output_%u.pb", outdir, i);
            if (oq_write_tensor_pb(file, name, outs[i].dtype, &outs[i].shape, outs[i].data, d))
                st = d->status;
        } else {
            snprintf(file, sizeof file, "%s/%s.npy", outdir, fnames[i]);
            if (oq_write_npy(file, outs[i].dtype, &outs[i].shape, outs[i].data, d))
                st = d->status;
        }
        if (st == OQ_OK)
            outputf(s, "wrote %s\n", file);
    }
    free(fnames);
    return st;
}

ONNXQ_API onnxq_status onnxq_model_run_files(onnxq_model *m, const char *const *files,
                                             const char *out_dir, int pb)
{
    onnxq_session *s = m->s;
    lib_begin(s);
    oq_graph *g = m->g;
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_rt_tensor *in = oq_arena_alloc(&a, (g->ninput + 1) * sizeof *in);
    oq_rt_tensor *outs = oq_arena_alloc(&a, (g->noutput + 1) * sizeof *outs);
    oq_status st = in && outs ? OQ_OK : oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM,
                                                  "out of memory");
    bool reinfer = false;
    for (uint32_t i = 0; st == OQ_OK && i < g->ninput; i++) {
        const char *file = files[i];
        oq_tensor_file tf;
        st = ends_with(file, ".pb") ? oq_read_tensor_pb(file, &a, &tf, &s->d)
                                    : oq_read_npy(file, &a, &tf, &s->d);
        if (st != OQ_OK)
            break;
        in[i] = (oq_rt_tensor){tf.dtype, tf.shape, tf.data};
        st = bind(m, i, &in[i], file, &reinfer);
    }
    if (st == OQ_OK)
        st = run_bound(m, in, outs, reinfer);
    if (st == OQ_OK)
        st = put_outputs(m, outs, out_dir, pb);
    oq_arena_free(&a);
    return lib_end(s, st);
}
