/* ONNX conformance runner: every test folder (model.onnx + test_data_set_N/{input,output}_K.pb)
 * under the given roots (default: libonnx-testdata's node, pytorch-converted, pytorch-operator,
 * simple) is imported, its input shapes bound from the data (small integer inputs that feed
 * shape arguments, and Resize roi/scales, become constants so inference can fold them), run by the
 * interpreter and compared (float: |got - want| <= 1e-5 + 1e-3 |want|; integers exact).
 * SKIPPED: an op outside ir/ops.def or without an implementation, an unsupported element type,
 * or a feature the op reports as UNSUPPORTED_ATTR. FAILED: anything else. Each test runs in a
 * forked child (a crash or a 60 s hang fails that test only). Prints failures, the skip reasons
 * with counts, then `N passed, N failed, N skipped`; exits 1 if any test failed.
 * Usage: conformance [-v] [--no-fork] [-k SUBSTR] [ROOT_OR_TEST_DIR...] */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "runtime/interp/interp.h"

enum { R_PASS, R_FAIL, R_SKIP };

typedef struct result {
    int kind;
    char msg[900];             /* failure text, or skip reason (used as the skip key) */
} result;

#define MAX_IO 64

static void setr(result *r, int kind, const char *fmt, ...) OQ_PRINTF(3, 4);
static void setr(result *r, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->kind = kind;
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Classifies an error status from import/inference/interp: unsupported things are skips. */
static void from_status(result *r, oq_status st, const oq_diag *d, const char *stage)
{
    if (st == OQ_ERR_UNSUPPORTED_OP || st == OQ_ERR_UNSUPPORTED_ATTR || st == OQ_ERR_DTYPE) {
        /* skip key: the status and the op type in the message ("(Op):") when present */
        const char *p = strstr(d->msg, "): ");
        const char *q = p ? p : NULL;
        while (q && q > d->msg && *q != '(')
            q--;
        if (st == OQ_ERR_DTYPE && !strstr(d->msg, "(")) {
            setr(r, R_SKIP, "element type (%s)", stage);
        } else if (q && p && *q == '(' && p - q < 60) {
            setr(r, R_SKIP, "%s in %.*s: %.120s", oq_status_str(st), (int)(p - q - 1), q + 1,
                 p + 3);
        } else {
            setr(r, R_SKIP, "%s (%s)", oq_status_str(st), stage);
        }
        if (st == OQ_ERR_DTYPE)
            snprintf(r->msg, sizeof r->msg, "unsupported element type");
        return;
    }
    setr(r, R_FAIL, "%s: %s", stage, d->msg);
}

/* Values of these (op, input index) pairs are shape arguments inference needs as constants. */
static bool is_shape_arg(oq_op op, uint32_t i)
{
    switch (op) {
    case OQ_OP_Reshape: case OQ_OP_Expand: case OQ_OP_Squeeze: case OQ_OP_Unsqueeze:
    case OQ_OP_ReduceMax: case OQ_OP_ReduceMean: case OQ_OP_ReduceSum: case OQ_OP_Split:
        return i == 1;
    case OQ_OP_ConstantOfShape:
        return i == 0;
    case OQ_OP_Slice:
        return i >= 1;
    case OQ_OP_Pad:
        return i == 1 || i == 3;
    case OQ_OP_Resize:
        return i >= 1;
    default:
        return false;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir starting with prefix (malloc'd array of malloc'd strings). */
static int list_dir(const char *dir, const char *prefix, char ***out)
{
    DIR *dp = opendir(dir);
    *out = NULL;
    if (!dp)
        return 0;
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(dp);
    if (n)
        qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Reads input_K.pb / output_K.pb (K = 0, 1, ... while present) of one data set. */
static int read_set(const char *set, const char *kind, oq_graph *g, oq_tensor_file *t, result *r)
{
    int n = 0;
    for (; n < MAX_IO; n++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s_%d.pb", set, kind, n);
        if (!is_file(p))
            break;
        oq_diag d = {0};
        oq_status st = oq_read_tensor_pb(p, &g->arena, &t[n], &d);
        if (st) {
            if (st == OQ_ERR_DTYPE || st == OQ_ERR_UNSUPPORTED_ATTR || st == OQ_ERR_UNSUPPORTED_OP)
                setr(r, R_SKIP, "unsupported element type");
            else
                setr(r, R_FAIL, "reading %s: %s", p, d.msg);
            return -1;
        }
        if (oq_dtype_size(t[n].dtype) == 0 || t[n].dtype == OQ_DT_BFLOAT16) {
            setr(r, R_SKIP, "unsupported element type");
            return -1;
        }
    }
    return n;
}

/* Graph input id for data file k: by TensorProto name when it names an input, else by position. */
static uint32_t input_for(const oq_graph *g, const oq_tensor_file *t, int k)
{
    if (t->name && t->name[0]) {
        uint32_t v = ir_find_value(g, t->name);
        for (uint32_t i = 0; v != OQ_NONE && i < g->ninput; i++)
            if (g->inputs[i] == v)
                return i;
    }
    return (uint32_t)k < g->ninput ? (uint32_t)k : OQ_NONE;
}

static bool close_enough(double got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    return fabs(got - want) <= 1e-5 + 1e-3 * fabs(want);
}

static int64_t ival(const oq_rt_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case OQ_DT_UINT8: case OQ_DT_BOOL: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)t->data)[i];
    case OQ_DT_UINT16: return ((const uint16_t *)t->data)[i];
    case OQ_DT_INT16: return ((const int16_t *)t->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)t->data)[i];
    case OQ_DT_UINT32: return ((const uint32_t *)t->data)[i];
    case OQ_DT_INT64: case OQ_DT_UINT64: return ((const int64_t *)t->data)[i];
    default: return 0;
    }
}

/* IEEE half bits -> double. */
static double half_f(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

static double elem_f(const void *p, oq_dtype t, int64_t i)
{
    if (t == OQ_DT_FLOAT16)
        return half_f(((const uint16_t *)p)[i]);
    return t == OQ_DT_FLOAT ? ((const float *)p)[i] : ((const double *)p)[i];
}

/* Compares one output; on mismatch fills r. */
static bool compare(const oq_rt_tensor *got, const oq_tensor_file *want, const char *name,
                    result *r)
{
    if (got->dtype != want->dtype) {
        setr(r, R_FAIL, "output '%s': dtype %s, expected %s", name, oq_dtype_name(got->dtype),
             oq_dtype_name(want->dtype));
        return false;
    }
    bool same = got->shape.rank == want->shape.rank;
    for (int i = 0; same && i < got->shape.rank; i++)
        same = got->shape.dim[i] == want->shape.dim[i];
    if (!same) {
        char a[200] = "", b[200] = "";
        for (int i = 0; i < got->shape.rank; i++)
            snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", i ? "," : "",
                     (long long)got->shape.dim[i]);
        for (int i = 0; i < want->shape.rank; i++)
            snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", i ? "," : "",
                     (long long)want->shape.dim[i]);
        setr(r, R_FAIL, "output '%s': shape [%s], expected [%s]", name, a, b);
        return false;
    }
    int64_t n = oq_shape_numel(&want->shape);
    bool flt = want->dtype == OQ_DT_FLOAT || want->dtype == OQ_DT_DOUBLE ||
               want->dtype == OQ_DT_FLOAT16;
    size_t es = oq_dtype_size(want->dtype);
    for (int64_t i = 0; i < n; i++) {
        if (flt) {
            double a = elem_f(got->data, got->dtype, i), b = elem_f(want->data, want->dtype, i);
            if (!close_enough(a, b)) {
                setr(r, R_FAIL, "output '%s' at [%lld]: got %.9g want %.9g", name, (long long)i,
                     a, b);
                return false;
            }
        } else if (memcmp((const char *)got->data + i * es, (const char *)want->data + i * es,
                          es) != 0) {
            oq_rt_tensor w = {want->dtype, want->shape, want->data};
            setr(r, R_FAIL, "output '%s' at [%lld]: got %lld want %lld", name, (long long)i,
                 (long long)ival(got, i), (long long)ival(&w, i));
            return false;
        }
    }
    return true;
}

/* Imports, binds, infers, runs and compares one test folder. */
static void run_test(const char *dir, result *r)
{
    char model[1200];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    oq_import_opts opts = {0};
    opts.allow_unknown_ops = true;
    oq_graph *g = NULL;
    oq_diag d = {0};
    oq_interp *it = NULL;
    char **sets = NULL;
    int nsets = 0;
    oq_status st = oq_import_onnx(model, &opts, &g, &d);
    if (st) {
        from_status(r, st, &d, "import");
        return;
    }
    /* ops outside ops.def (kept as UNKNOWN) or without an interpreter implementation */
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->op == OQ_OP_UNKNOWN || !oq_interp_supports(nd->op)) {
            setr(r, R_SKIP, "op %s%s%s", nd->domain && nd->domain[0] ? nd->domain : "",
                 nd->domain && nd->domain[0] ? "." : "", nd->op_type);
            goto done;
        }
    }
    for (uint32_t i = 0; i < g->ninput + g->noutput; i++) {
        uint32_t v = i < g->ninput ? g->inputs[i] : g->outputs[i - g->ninput];
        if (g->values[v].dtype == OQ_DT_UNDEFINED) {
            setr(r, R_SKIP, "non-tensor graph input/output (sequence, optional, map)");
            goto done;
        }
    }
    for (uint32_t v = 0; v < g->nvalue; v++) {
        oq_dtype t = g->values[v].dtype;
        if (t == OQ_DT_STRING || t == OQ_DT_BFLOAT16) {
            setr(r, R_SKIP, "unsupported element type");
            goto done;
        }
    }
    nsets = list_dir(dir, "test_data_set_", &sets);
    if (nsets == 0) {
        setr(r, R_FAIL, "no test_data_set_* folder");
        goto done;
    }
    oq_tensor_file tin[MAX_IO], tout[MAX_IO];
    char set[1200];
    snprintf(set, sizeof set, "%s/%s", dir, sets[0]);
    int nin = read_set(set, "input", g, tin, r);
    if (nin < 0)
        goto done;
    /* bind shapes from the data; integer shape arguments become constants */
    ir_fill_uses(g);
    for (int k = 0; k < nin; k++) {
        uint32_t i = input_for(g, &tin[k], k);
        if (i == OQ_NONE) {
            setr(r, R_FAIL, "input_%d.pb matches no graph input", k);
            goto done;
        }
        oq_value *val = &g->values[g->inputs[i]];
        val->shape = tin[k].shape;
        if (val->dtype == OQ_DT_UNDEFINED)
            val->dtype = tin[k].dtype;
        bool shape_arg = false;
        for (uint32_t u = 0; u < val->nuse; u++) {
            const oq_node *nd = &g->nodes[val->uses[u]];
            for (uint32_t j = 0; j < nd->nin; j++)
                if (nd->in[j] == g->inputs[i] && is_shape_arg(nd->op, j))
                    shape_arg = true;
        }
        if (shape_arg && (tin[k].dtype == OQ_DT_INT64 || tin[k].dtype == OQ_DT_INT32 ||
                          tin[k].dtype == OQ_DT_FLOAT) &&
            oq_shape_numel(&tin[k].shape) <= 64)
            val->data = tin[k].data;
    }
    if ((st = ir_infer(g, &d)) || (st = ir_require_static(g, &d))) {
        from_status(r, st, &d, "inference");
        goto done;
    }
    if ((st = oq_interp_new(g, &it, &d))) {
        from_status(r, st, &d, "interp_new");
        goto done;
    }
    for (int s = 0; s < nsets; s++) {
        snprintf(set, sizeof set, "%s/%s", dir, sets[s]);
        if (s > 0 && (nin = read_set(set, "input", g, tin, r)) < 0)
            goto done;
        int nout = read_set(set, "output", g, tout, r);
        if (nout < 0)
            goto done;
        oq_rt_tensor ins[MAX_IO], outs[MAX_IO];
        memset(ins, 0, sizeof ins);
        for (uint32_t i = 0; i < g->ninput && i < MAX_IO; i++) {
            ins[i].dtype = g->values[g->inputs[i]].dtype;
            ins[i].shape = g->values[g->inputs[i]].shape;
        }
        for (int k = 0; k < nin; k++) {
            uint32_t i = input_for(g, &tin[k], k);
            ins[i].dtype = tin[k].dtype;
            ins[i].shape = tin[k].shape;
            ins[i].data = tin[k].data;
        }
        if ((uint32_t)nout != g->noutput) {
            setr(r, R_FAIL, "%d expected outputs, graph has %u", nout, g->noutput);
            goto done;
        }
        if ((st = oq_interp_run(it, ins, outs, NULL, NULL, &d))) {
            from_status(r, st, &d, "run");
            goto done;
        }
        for (int k = 0; k < nout; k++)
            if (!compare(&outs[k], &tout[k], g->values[g->outputs[k]].name, r))
                goto done;
    }
    setr(r, R_PASS, "ok");
done:
    free_list(sets, nsets);
    oq_interp_free(it);
    oq_graph_free(g);
}

/* Runs one test in a child process (unless no_fork); a crash or timeout is a failure. */
static void run_isolated(const char *dir, bool no_fork, result *r)
{
    if (no_fork) {
        run_test(dir, r);
        return;
    }
    int fd[2];
    if (pipe(fd) != 0) {
        setr(r, R_FAIL, "pipe failed");
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        alarm(60);
        result cr;
        memset(&cr, 0, sizeof cr);
        run_test(dir, &cr);
        ssize_t w = write(fd[1], &cr, sizeof cr);
        _exit(w == (ssize_t)sizeof cr ? 0 : 3);
    }
    close(fd[1]);
    memset(r, 0, sizeof *r);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t k = read(fd[0], (char *)r + got, sizeof *r - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != sizeof *r) {
        if (WIFSIGNALED(status))
            setr(r, R_FAIL, "crashed (signal %d%s)", WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? ": timeout" : "");
        else
            setr(r, R_FAIL, "child exited with status %d", WEXITSTATUS(status));
    }
}

/* The last two components of a path ("node/test_add"). */
static const char *short_name(const char *dir)
{
    const char *p = dir + strlen(dir);
    int slashes = 0;
    while (p > dir) {
        if (p[-1] == '/' && ++slashes == 2)
            break;
        p--;
    }
    return p;
}

typedef struct skipcount {
    char key[200];
    int n;
} skipcount;

static int cmp_skip(const void *a, const void *b)
{
    const skipcount *x = a, *y = b;
    return x->n != y->n ? y->n - x->n : strcmp(x->key, y->key);
}

int main(int argc, char **argv)
{
    static const char *const defroots[] = {
        "/usr/share/libonnx-testdata/data/node",
        "/usr/share/libonnx-testdata/data/pytorch-converted",
        "/usr/share/libonnx-testdata/data/pytorch-operator",
        "/usr/share/libonnx-testdata/data/simple"};
    bool verbose = false, no_fork = false;
    const char *filter = NULL;
    const char *roots[256];
    int nroots = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--no-fork") == 0)
            no_fork = true;
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (nroots < 256)
            roots[nroots++] = argv[i];
    }
    if (nroots == 0)
        for (int i = 0; i < 4; i++)
            roots[nroots++] = defroots[i];
    int npass = 0, nfail = 0, nskip = 0, nsk = 0, csk = 0;
    skipcount *sk = NULL;
    for (int ri = 0; ri < nroots; ri++) {
        char mp[1400];
        snprintf(mp, sizeof mp, "%s/model.onnx", roots[ri]);
        char **tests = NULL;
        int nt;
        bool single = is_file(mp);
        if (single) {
            nt = 1;
        } else {
            if (!is_dir(roots[ri])) {
                fprintf(stderr, "conformance: %s: not a folder\n", roots[ri]);
                continue;
            }
            nt = list_dir(roots[ri], "", &tests);
        }
        for (int t = 0; t < nt; t++) {
            char dir[1200];
            if (single)
                snprintf(dir, sizeof dir, "%s", roots[ri]);
            else
                snprintf(dir, sizeof dir, "%s/%s", roots[ri], tests[t]);
            snprintf(mp, sizeof mp, "%s/model.onnx", dir);
            if (!is_file(mp) || (filter && !strstr(dir, filter)))
                continue;
            result r;
            run_isolated(dir, no_fork, &r);
            const char *shortname = short_name(dir);
            if (r.kind == R_PASS) {
                npass++;
                if (verbose)
                    printf("PASS %s\n", shortname);
            } else if (r.kind == R_FAIL) {
                nfail++;
                printf("FAIL %s: %s\n", shortname, r.msg);
            } else {
                nskip++;
                if (verbose)
                    printf("SKIP %s: %s\n", shortname, r.msg);
                int j = 0;
                while (j < nsk && strncmp(sk[j].key, r.msg, sizeof sk[j].key - 1) != 0)
                    j++;
                if (j == nsk) {
                    if (nsk == csk) {
                        csk = csk ? csk * 2 : 64;
                        sk = realloc(sk, (size_t)csk * sizeof *sk);
                    }
                    snprintf(sk[nsk].key, sizeof sk[nsk].key, "%.199s", r.msg);
                    sk[nsk++].n = 0;
                }
                sk[j].n++;
            }
            fflush(stdout);
        }
        free_list(tests, single ? 0 : nt);
    }
    if (nsk) {
        qsort(sk, (size_t)nsk, sizeof *sk, cmp_skip);
        printf("skipped (reason: tests):\n");
        for (int j = 0; j < nsk; j++)
            printf("  %s: %d\n", sk[j].key, sk[j].n);
    }
    free(sk);
    printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
    return nfail ? 1 : 0;
}
