/* onnxq run: bind input tensors (.npy or TensorProto .pb) to a model's inputs, run the
 * reference interpreter, and write or summarize the outputs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "runtime/interp/custom.h"
#include "runtime/interp/interp.h"

#define MAX_IO 64

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
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

static void shape_str(const oq_shape *s, char *buf, size_t n)
{
    int k = snprintf(buf, n, "[");
    for (int i = 0; i < s->rank && k < (int)n; i++)
        k += snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)s->dim[i]);
    if (k < (int)n)
        snprintf(buf + k, n - k, "]");
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

static void summarize(const char *name, const oq_rt_tensor *t)
{
    char sh[128];
    shape_str(&t->shape, sh, sizeof sh);
    int64_t n = oq_shape_numel(&t->shape);
    printf("%s: %s %s", name, oq_dtype_name(t->dtype), sh);
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
        printf("  min %.6g max %.6g mean %.6g argmax %lld\n  [", mn, mx, sum / (double)n,
               (long long)am);
        for (int64_t i = 0; i < n && i < 10; i++)
            printf("%s%.6g", i ? ", " : "", p[i]);
        printf("%s]\n", n > 10 ? ", ..." : "");
    } else if (n > 0) {
        printf("\n  [");
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
            printf("%s%lld", i ? ", " : "", x);
        }
        printf("%s]\n", n > 10 ? ", ..." : "");
    } else
        printf("\n");
}

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *outdir = NULL, *format = "npy", *v;
    const char *in_spec[MAX_IO];
    int nin = 0;
    oq_input_shape shapes[16];
    onnxq_input_shape pshapes[16];
    uint32_t nshapes = 0;
    bool custom = false;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--custom-op-lib", &v))) {
            oq_diag ld = {0};
            if (r < 0)
                return CLI_USAGE;
            if (oq_custom_load(v, &ld) != OQ_OK)
                return cli_usage_error("run", "%s", ld.msg);
            custom = true;
        } else if ((r = cli_opt(argc, argv, &i, "--input", &v))) {
            if (r < 0)
                return CLI_USAGE;
            if (nin == MAX_IO)
                return cli_usage_error("run", "more than %d inputs", MAX_IO);
            in_spec[nin++] = v;
        } else if ((r = cli_opt(argc, argv, &i, "--output", &v))) {
            if (r < 0)
                return CLI_USAGE;
            outdir = v;
        } else if ((r = cli_opt(argc, argv, &i, "--format", &v))) {
            if (r < 0)
                return CLI_USAGE;
            if (strcmp(v, "npy") != 0 && strcmp(v, "pb") != 0)
                return cli_usage_error("run", "--format must be npy or pb, not '%s'", v);
            format = v;
        } else if ((r = cli_opt(argc, argv, &i, "--input-shape", &v))) {
            if (r < 0 || nshapes == 16 || !cli_parse_shape(v, &pshapes[nshapes++]))
                return CLI_USAGE;
        } else if (argv[i][0] == '-')
            return cli_usage_error("run", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("run", "more than one model given");
    }
    if (!path)
        return cli_usage_error("run", "no model given");

    int rc = CLI_ERR;
    oq_diag d = {0};
    d.warn = cli_warn;
    oq_file_set files_read = {0}; /* files read: no output file replaces one */
    d.inputs = &files_read;
    oq_graph *g = NULL;
    oq_interp *it = NULL;
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    for (uint32_t k = 0; k < nshapes; k++) {
        shapes[k].name = pshapes[k].name;
        shapes[k].shape.rank = pshapes[k].rank;
        memcpy(shapes[k].shape.dim, pshapes[k].dims, sizeof pshapes[k].dims);
    }
    oq_import_opts io = {.shapes = shapes, .nshapes = nshapes, .allow_unknown_ops = custom};
    if (oq_import_onnx(path, &io, &g, &d) != OQ_OK ||
        (custom && oq_custom_infer_graph(g, &d) != OQ_OK))
        goto fail;

    /* load and bind inputs */
    oq_rt_tensor *inputs = oq_arena_alloc(&a, (g->ninput + 1) * sizeof *inputs);
    bool *bound = oq_arena_alloc(&a, (g->ninput + 1) * sizeof *bound);
    bool reinfer = false;
    if (!inputs || !bound) {
        oq_errorf(&d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int k = 0; k < nin; k++) {
        const char *spec = in_spec[k], *eq = strchr(spec, '=');
        const char *file = eq ? eq + 1 : spec;
        uint32_t idx = OQ_NONE;
        if (eq) {
            for (uint32_t i = 0; i < g->ninput; i++)
                if (strlen(g->values[g->inputs[i]].name) == (size_t)(eq - spec) &&
                    strncmp(g->values[g->inputs[i]].name, spec, eq - spec) == 0)
                    idx = i;
            if (idx == OQ_NONE) {
                fprintf(stderr, "onnxq run: %s: model has no input named '%.*s'\n", path,
                        (int)(eq - spec), spec);
                goto fail_usage;
            }
        } else if (g->ninput == 1) {
            idx = 0;
        } else {
            fprintf(stderr, "onnxq run: the model has %u inputs; use --input NAME=FILE\n",
                    g->ninput);
            goto fail_usage;
        }
        oq_tensor_file tf;
        oq_status st = ends_with(file, ".pb") ? oq_read_tensor_pb(file, &a, &tf, &d)
                                              : oq_read_npy(file, &a, &tf, &d);
        if (st != OQ_OK)
            goto fail;
        oq_value *val = &g->values[g->inputs[idx]];
        char want[128], got[128];
        shape_str(&val->shape, want, sizeof want);
        shape_str(&tf.shape, got, sizeof got);
        if (tf.dtype != val->dtype) {
            oq_errorf(&d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: dtype %s, but input '%s' is %s", file,
                      oq_dtype_name(tf.dtype), val->name, oq_dtype_name(val->dtype));
            goto fail;
        }
        if (!fits(&val->shape, &tf.shape)) {
            oq_errorf(&d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: shape %s, but input '%s' is %s", file,
                      got, val->name, want);
            goto fail;
        }
        if (!same_shape(&val->shape, &tf.shape)) {
            val->shape = tf.shape;
            reinfer = true;
        }
        inputs[idx] = (oq_rt_tensor){tf.dtype, tf.shape, tf.data};
        bound[idx] = true;
    }
    for (uint32_t i = 0; i < g->ninput; i++)
        if (!bound[i]) {
            fprintf(stderr, "onnxq run: no tensor given for input '%s' (--input %s=FILE)\n",
                    g->values[g->inputs[i]].name, g->values[g->inputs[i]].name);
            goto fail_usage;
        }
    if (reinfer && ir_infer(g, &d) != OQ_OK)
        goto fail;
    if (ir_require_static(g, &d) != OQ_OK)
        goto fail;
    if (oq_interp_new(g, &it, &d) != OQ_OK)
        goto fail;
    oq_rt_tensor *outs = oq_arena_alloc(&a, (g->noutput + 1) * sizeof *outs);
    if (!outs) {
        oq_errorf(&d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (oq_interp_run(it, inputs, outs, NULL, NULL, &d) != OQ_OK)
        goto fail;

    if (outdir && mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        oq_errorf(&d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create directory: %s", outdir,
                  strerror(errno));
        goto fail;
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        const char *name = g->values[g->outputs[i]].name;
        if (!outdir) {
            summarize(name, &outs[i]);
            continue;
        }
        char fname[256], file[4096];
        if (strcmp(format, "pb") == 0) {
            snprintf(file, sizeof file, "%s/output_%u.pb", outdir, i);
            if (oq_write_tensor_pb(file, name, outs[i].dtype, &outs[i].shape, outs[i].data, &d))
                goto fail;
        } else {
            safe_name(name, fname, sizeof fname);
            snprintf(file, sizeof file, "%s/%s.npy", outdir, fname);
            if (oq_write_npy(file, outs[i].dtype, &outs[i].shape, outs[i].data, &d))
                goto fail;
        }
        printf("wrote %s\n", file);
    }
    rc = CLI_OK;
    goto done;
fail_usage:
    rc = CLI_USAGE;
    goto done;
fail:
    rc = cli_fail(&d);
done:
    oq_file_set_free(&files_read);
    oq_interp_free(it);
    oq_graph_free(g);
    oq_arena_free(&a);
    for (uint32_t i = 0; i < nshapes; i++)
        free((void *)shapes[i].name);
    return rc;
}
