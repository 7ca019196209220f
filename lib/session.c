/* lib/session.c: options and their defaults, sessions, status and error text, the log /
 * progress / output callbacks, calibration samples from the sample callback, version. No
 * mutable globals: everything lives in the session. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "runtime/interp/custom.h"

/* The public status and dtype numbers are the internal ones. */
_Static_assert((int)ONNXQ_ERR_INTERNAL == (int)OQ_ERR_INTERNAL, "status lists differ");
_Static_assert((int)ONNXQ_ERR_USAGE == (int)OQ_ERR_USAGE, "status lists differ");
_Static_assert((int)ONNXQ_ERR_DATA == (int)OQ_ERR_DATA, "status lists differ");
_Static_assert((int)ONNXQ_DTYPE_DOUBLE == (int)OQ_DT_DOUBLE, "dtype numbers differ");
_Static_assert((int)ONNXQ_DTYPE_INT64 == (int)OQ_DT_INT64, "dtype numbers differ");
_Static_assert((int)ONNXQ_OBSERVER_PERCENTILE == (int)OQ_OBS_PERCENTILE, "observer lists differ");
_Static_assert((int)ONNXQ_OBSERVER_MOVING_AVERAGE == (int)OQ_OBS_MOVING_AVG,
               "observer lists differ");
_Static_assert(ONNXQ_MAX_RANK == OQ_MAX_RANK, "max ranks differ");

ONNXQ_API const char *onnxq_status_string(onnxq_status s)
{
    return oq_status_str((oq_status)s);
}

ONNXQ_API const char *onnxq_version(void)
{
    return ONNXQ_VERSION_STRING;
}

ONNXQ_API int onnxq_version_number(void)
{
    return ONNXQ_VERSION_NUMBER;
}

ONNXQ_API void onnxq_options_init(onnxq_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

/* Copies msg into buf (cap bytes, NUL-terminated). */
static void copy_msg(char *buf, size_t cap, const char *msg)
{
    if (buf && cap) {
        strncpy(buf, msg, cap - 1);
        buf[cap - 1] = '\0';
    }
}

ONNXQ_API onnxq_status onnxq_check_override(const char *spec, char *msg, size_t cap)
{
    oq_override ov;
    oq_diag d = {0};
    oq_status st = oq_parse_override(spec, &ov, &d);
    copy_msg(msg, cap, st == OQ_OK ? "" : d.msg);
    return (onnxq_status)st;
}

ONNXQ_API onnxq_status onnxq_load_custom_op_library(const char *path, char *msg, size_t cap)
{
    oq_diag d = {0};
    oq_status st = oq_custom_load(path, &d);
    copy_msg(msg, cap, st == OQ_OK ? "" : d.msg);
    return (onnxq_status)st;
}

/* oq_diag warning sink: the session's log callback. */
static void warn_sink(void *ctx, const char *msg)
{
    onnxq_session *s = ctx;
    s->nwarn++;
    if (s->o.log_fn)
        s->o.log_fn(s->o.log_user, ONNXQ_LOG_WARNING, msg);
}

/* oq_options progress: the session's progress callback, stage s->stage ("calibrate" when
 * unset; "sensitivity", "search", "observers" during mixed precision and the analyses). */
static void progress_sink(void *ctx, uint32_t done, uint32_t total)
{
    onnxq_session *s = ctx;
    s->o.progress_fn(s->o.progress_user, s->stage ? s->stage : "calibrate", done, total);
}

void lib_begin(onnxq_session *s)
{
    memset(&s->d, 0, sizeof s->d);
    s->d.warn = warn_sink;
    s->d.warn_ctx = s;
    s->d.inputs = &s->inputs;
    /* the custom-op libraries loaded so far are inputs too; if one cannot be recorded (NOMEM),
     * d holds the error and the set refuses every write */
    (void)oq_custom_note_inputs(&s->d);
}

onnxq_status lib_end(onnxq_session *s, oq_status st)
{
    if (st != OQ_OK && s->d.status == OQ_OK)
        s->d.status = st;
    return (onnxq_status)st;
}

void lib_info(onnxq_session *s, const char *fmt, ...)
{
    if (!s->o.log_fn)
        return;
    char *buf = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&buf, fmt, ap);
    va_end(ap);
    if (n >= 0)
        s->o.log_fn(s->o.log_user, ONNXQ_LOG_INFO, buf);
    free(buf);
}

void lib_output(onnxq_session *s, const char *text, size_t len)
{
    if (s->o.output_fn && len)
        s->o.output_fn(s->o.output_user, text, len);
}

/* The pass options of o (USAGE naming the option when a value is out of range). */
static oq_status make_options(onnxq_session *s)
{
    const onnxq_options *o = &s->o;
    oq_options *p = &s->opt;
    memset(p, 0, sizeof *p);
    if (o->mode != ONNXQ_MODE_STATIC && o->mode != ONNXQ_MODE_DYNAMIC)
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown mode %d", (int)o->mode);
    if ((int)o->observer < 0 || (int)o->observer >= OQ_OBS_COUNT)
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown observer %d",
                         (int)o->observer);
    if (o->percentile != 0 && !(o->percentile > 50 && o->percentile <= 100))
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "percentile wants a value in (50, 100]");
    if (o->act_type != ONNXQ_ACT_UINT8 && o->act_type != ONNXQ_ACT_INT8)
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown activation type %d",
                         (int)o->act_type);
    if ((o->target_sqnr_set && !isfinite(o->target_sqnr)) ||
        (o->max_drop_set && !isfinite(o->max_drop)))
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "target SQNR / maximum accuracy drop must be finite numbers");
    p->mode = o->mode == ONNXQ_MODE_DYNAMIC ? OQ_MODE_DYNAMIC : OQ_MODE_STATIC;
    p->per_tensor = o->per_tensor;
    p->act_symmetric = o->act_symmetric;
    p->act_type = o->act_type == ONNXQ_ACT_INT8 ? OQ_DT_INT8 : OQ_DT_UINT8;
    p->reduce_range = o->reduce_range;
    p->observer = (oq_obs_kind)o->observer;
    p->percentile = o->percentile;
    p->exclude = o->exclude;
    p->nexclude = o->nexclude;
    p->op_types = o->op_types;
    p->nop_types = o->nop_types;
    p->calib_limit = o->calib_limit;
    p->verify = o->verify;
    p->dump_after = o->dump_after;
    p->stop_after = o->stop_after;
    p->equalize = o->equalize || o->equalize_relu6;
    p->equalize_relu6 = o->equalize_relu6;
    p->bias_correct = o->bias_correct;
    if (o->progress_fn) {
        p->progress = progress_sink;
        p->progress_ctx = s;
    }
    if (o->noverrides && !(s->overrides = calloc(o->noverrides, sizeof *s->overrides)))
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < o->noverrides; i++)
        if (oq_parse_override(o->overrides[i], &s->overrides[i], &s->d) != OQ_OK)
            return s->d.status;
    p->overrides = s->overrides;
    p->noverride = o->noverrides;
    if (o->ninput_shapes && !(s->shapes = calloc(o->ninput_shapes, sizeof *s->shapes)))
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < o->ninput_shapes; i++) {
        const onnxq_input_shape *is = &o->input_shapes[i];
        if (is->rank < 0 || is->rank > OQ_MAX_RANK)
            return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE, "input shape '%s': rank %d",
                             is->name ? is->name : "?", (int)is->rank);
        s->shapes[i].name = is->name;
        s->shapes[i].shape.rank = is->rank;
        memcpy(s->shapes[i].shape.dim, is->dims, sizeof is->dims);
    }
    return OQ_OK;
}

ONNXQ_API onnxq_status onnxq_session_new(const onnxq_options *o, onnxq_session **out)
{
    *out = NULL;
    onnxq_session *s = calloc(1, sizeof *s);
    if (!s)
        return ONNXQ_ERR_NOMEM;
    if (o && o->struct_size != sizeof *o) {
        free(s);
        return ONNXQ_ERR_USAGE;
    }
    if (o)
        s->o = *o;
    else
        onnxq_options_init(&s->o);
    lib_begin(s);
    oq_status st = make_options(s);
    *out = s;
    return lib_end(s, st);
}

void lib_drop_model(onnxq_session *s)
{
    if (s->mem) {
        free(s->mem[0].data);  /* one block for all samples */
        free(s->mem);
    }
    s->mem = NULL;
    s->nmem = 0;
    oq_graph_free(s->g);
    s->g = NULL;
    oq_graph_free(s->gsym);
    s->gsym = NULL;
    free(s->model_path);
    s->model_path = NULL;
    s->stopped = false;
    s->lowered = 0;
    memset(s->sym_in, 0, sizeof s->sym_in);
    memset(s->sym_out, 0, sizeof s->sym_out);
}

ONNXQ_API void onnxq_session_free(onnxq_session *s)
{
    if (!s)
        return;
    lib_drop_model(s);
    free(s->overrides);
    free(s->shapes);
    oq_file_set_free(&s->inputs);
    free(s);
}

ONNXQ_API onnxq_status onnxq_session_status(const onnxq_session *s)
{
    return s ? (onnxq_status)s->d.status : ONNXQ_ERR_NOMEM;
}

ONNXQ_API const char *onnxq_session_error(const onnxq_session *s)
{
    if (!s)
        return "no session (out of memory, or options of an unknown struct_size)";
    if (s->d.status == OQ_OK)
        return "";
    return s->d.msg[0] ? s->d.msg : oq_status_str(s->d.status);
}

ONNXQ_API uint32_t onnxq_session_warnings(const onnxq_session *s)
{
    return s->nwarn;
}

bool lib_has_samples(const onnxq_session *s)
{
    return s->o.ncalib || s->o.sample_fn;
}

static void shape_str(int32_t rank, const int64_t *dim, char *buf, size_t n)
{
    int k = snprintf(buf, n, "[");
    for (int i = 0; i < rank && (size_t)k < n; i++)
        k += snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)dim[i]);
    if ((size_t)k < n)
        snprintf(buf + k, n - k, "]");
}

/* Checks sample k's tensor t for graph input v (dtype, shape, data, finite values). */
static oq_status check_sample(onnxq_session *s, const oq_graph *g, uint32_t k, uint32_t v,
                              const onnxq_array *t)
{
    const oq_value *in = &g->values[v];
    char want[160], got[160];
    shape_str(in->shape.rank, in->shape.dim, want, sizeof want);
    shape_str(t->rank, t->dims, got, sizeof got);
    if ((int)t->dtype != (int)in->dtype)
        return oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA,
                         "calibration sample %u: dtype %s, but model input '%s' is %s", k,
                         oq_dtype_name((oq_dtype)t->dtype), in->name, oq_dtype_name(in->dtype));
    bool same = t->rank == in->shape.rank;
    for (int i = 0; same && i < t->rank; i++)
        same = t->dims[i] == in->shape.dim[i];
    if (!same)
        return oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA,
                         "calibration sample %u: shape %s, but model input '%s' is %s", k, got,
                         in->name, want);
    if (!t->data)
        return oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA,
                         "calibration sample %u: no data for input '%s'", k, in->name);
    if (in->dtype == OQ_DT_FLOAT) {
        const float *x = t->data;
        int64_t n = oq_shape_numel(&in->shape);
        for (int64_t e = 0; e < n; e++)
            if (!isfinite(x[e]))
                return oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA,
                                 "calibration sample %u: input '%s' element %lld is %s", k,
                                 in->name, (long long)e, isnan(x[e]) ? "NaN" : "Inf");
    }
    return OQ_OK;
}

/* Reads every sample of the callback (up to calib_limit) into one block. */
static oq_status pull_samples(onnxq_session *s, const oq_graph *g)
{
    uint32_t nin = g->ninput, limit = s->o.calib_limit;
    size_t per = 0;            /* bytes of one sample, all inputs */
    for (uint32_t i = 0; i < nin; i++)
        per += (ir_value_nbytes(g, g->inputs[i]) + 63) & ~(size_t)63;
    onnxq_array *t = calloc(nin + 1, sizeof *t);
    uint8_t *block = NULL;
    uint32_t n = 0, cap = 0;
    oq_status st = OQ_OK;
    if (!t)
        return oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (;;) {
        if (limit && n >= limit)
            break;
        for (uint32_t i = 0; i < nin; i++) {
            const oq_value *in = &g->values[g->inputs[i]];
            t[i].dtype = (onnxq_dtype)in->dtype;
            t[i].rank = in->shape.rank;
            memcpy(t[i].dims, in->shape.dim, sizeof t[i].dims);
            t[i].data = NULL;
        }
        int r = s->o.sample_fn(s->o.sample_user, n, t, nin);
        if (r == 0)
            break;
        if (r < 0) {
            st = oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA,
                           "the calibration sample callback failed at sample %u", n);
            break;
        }
        for (uint32_t i = 0; i < nin && st == OQ_OK; i++)
            st = check_sample(s, g, n, g->inputs[i], &t[i]);
        if (st != OQ_OK)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            uint8_t *nb = realloc(block, cap * per + 64);
            if (!nb) {
                st = oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for samples");
                break;
            }
            block = nb;
        }
        size_t off = 0;
        for (uint32_t i = 0; i < nin; i++) {
            size_t b = ir_value_nbytes(g, g->inputs[i]);
            memcpy(block + (size_t)n * per + off, t[i].data, b);
            off += (b + 63) & ~(size_t)63;
        }
        n++;
    }
    free(t);
    if (st == OQ_OK && n == 0)
        st = oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA, "the calibration sample callback gave "
                       "no samples");
    if (st == OQ_OK && !(s->mem = calloc((size_t)n * nin + 1, sizeof *s->mem)))
        st = oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st != OQ_OK) {
        free(block);
        return st;
    }
    for (uint32_t k = 0; k < n; k++) {
        size_t off = 0;
        for (uint32_t i = 0; i < nin; i++) {
            const oq_value *in = &g->values[g->inputs[i]];
            oq_rt_tensor *m = &s->mem[(size_t)k * nin + i];
            m->dtype = in->dtype;
            m->shape = in->shape;
            m->data = block + (size_t)k * per + off;
            off += (ir_value_nbytes(g, g->inputs[i]) + 63) & ~(size_t)63;
        }
    }
    if (nin == 0)
        free(block);
    s->nmem = n;
    return OQ_OK;
}

oq_status lib_load_samples(onnxq_session *s, const oq_graph *g)
{
    bool skip = s->calib.skip_misfit;     /* set by lib_prepare for symbolic input dims */
    s->calib = (oq_calib_data){.spec = s->o.calib, .nspec = s->o.ncalib, .skip_misfit = skip};
    if (!s->o.sample_fn)
        return OQ_OK;
    if (s->o.ncalib)
        return oq_errorf(&s->d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "calibration files and a sample callback given: choose one");
    oq_status st = pull_samples(s, g);
    if (st == OQ_OK)
        s->calib = (oq_calib_data){.mem = s->mem, .nmem = s->nmem};
    return st;
}
