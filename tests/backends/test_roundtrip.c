/* Round trips of real models through the writer, over Debian's ONNX test data
 * (/usr/share/libonnx-testdata/data/{pytorch-converted,node}): import -> write -> import gives
 * the same ir_hash_graph, and the written fp32 model run in ONNX Runtime reproduces the test's
 * expected outputs. Models the importer does not support are counted, not failed; a model
 * ONNX Runtime itself cannot run or reproduce in its original form is counted as ORT-limited. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/onnx/onnx_write.h"
#include "frontend/frontend.h"
#include "ort_util.h"

#define DATA "/usr/share/libonnx-testdata/data"
#define MAXIO 8

static char tdir[64];

static void mk_tdir(void)
{
    strcpy(tdir, "/tmp/oq_rt_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
}

static void rm_tdir(void)
{
    if (!tdir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

static void setup_ort(void)
{
    char why[256];
    if (!ort_available(why, sizeof why))
        cr_skip_test("%s", why);
    mk_tdir();
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted test directory names under root (malloc'ed). */
static char **list_tests(const char *root, size_t *n)
{
    DIR *d = opendir(root);
    cr_assert_not_null(d, "%s missing: install libonnx-testdata (scripts/setup)", root);
    char **v = NULL;
    size_t k = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0)
            continue;
        if (k == cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, cap * sizeof *v);
        }
        v[k++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, k, sizeof *v, cmp_str);
    *n = k;
    return v;
}

/* Reads dir/test_data_set_0/<kind>_<i>.pb for i = 0.. into t[]; returns the count (-1 if a
 * tensor cannot be read or has a type .npy cannot carry). */
static int read_set(const char *dir, const char *kind, tb_tensor *t)
{
    int n = 0;
    for (; n < MAXIO; n++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/test_data_set_0/%s_%d.pb", dir, kind, n);
        if (access(p, R_OK) != 0)
            break;
        oq_arena a;
        oq_arena_init(&a, NULL, NULL);
        oq_tensor_file tf;
        oq_diag d = {0};
        bool ok = oq_read_tensor_pb(p, &a, &tf, &d) == OQ_OK && oq_dtype_size(tf.dtype) &&
                  tf.dtype != OQ_DT_FLOAT16 && tf.dtype != OQ_DT_BFLOAT16 &&
                  tf.dtype != OQ_DT_UINT16 && tf.dtype != OQ_DT_INT16 &&
                  tf.dtype != OQ_DT_UINT32 && tf.dtype != OQ_DT_UINT64;
        if (ok)
            t[n] = tb_make(tf.dtype, &tf.shape, tf.data);
        oq_arena_free(&a);
        if (!ok) {
            for (int i = 0; i < n; i++)
                tb_free(&t[i]);
            return -1;
        }
    }
    return n;
}

/* True if got matches want (shape, and values: ints exact, floats within 1e-4 + 1e-3|want|). */
static bool outputs_match(const tb_tensor *got, const tb_tensor *want, char *why, size_t n)
{
    int64_t ng = oq_shape_numel(&got->shape), nw = oq_shape_numel(&want->shape);
    if (ng != nw) {
        snprintf(why, n, "%lld elements, want %lld", (long long)ng, (long long)nw);
        return false;
    }
    bool fl = want->dtype == OQ_DT_FLOAT || want->dtype == OQ_DT_DOUBLE;
    for (int64_t i = 0; i < ng; i++) {
        double a = tb_get(got, (size_t)i), b = tb_get(want, (size_t)i);
        if (isnan(a) && isnan(b))
            continue;
        bool ok = fl ? fabs(a - b) <= 1e-4 + 1e-3 * fabs(b) || a == b : a == b;
        if (!ok) {
            snprintf(why, n, "at %lld: got %g want %g", (long long)i, a, b);
            return false;
        }
    }
    return true;
}

typedef struct rt_case {
    char name[128];
    char dir[512];
    char written[256];
    int nin, nout;
    tb_tensor in[MAXIO], want[MAXIO];
} rt_case;

/* The ONNX reference checker (full_check) accepts every written model. */
static void check_written(const rt_case *cs, size_t nc)
{
    char why[256];
    if (!onnx_checker_available(why, sizeof why)) {
        cr_log_warn("ONNX checker not run: %s", why);
        return;
    }
    const char **paths = calloc(nc + 1, sizeof *paths);
    for (size_t i = 0; i < nc; i++)
        paths[i] = cs[i].written;
    size_t ok, skip, fail;
    static char fails[8192];
    fails[0] = 0;
    cr_assert(onnx_check_models(paths, nc, &ok, &skip, &fail, fails, sizeof fails),
              "onnx_check.py did not run");
    fprintf(stderr, "backends/roundtrip onnx.checker: %zu ok, %zu newer than the checker, %zu "
                    "failures\n", ok, skip, fail);
    cr_expect_eq(fail, 0, "onnx.checker rejects %zu written models:%s", fail, fails);
    free(paths);
}

/* Imports, writes and runs every test of `corpus` in ORT (original and written model). */
static void ort_corpus(const char *corpus)
{
    char root[256];
    snprintf(root, sizeof root, DATA "/%s", corpus);
    size_t nt;
    char **names = list_tests(root, &nt);
    rt_case *cs = calloc(nt, sizeof *cs);
    size_t nc = 0, unsupported = 0;
    char fails[4096] = "";
    size_t nfail = 0, flen = 0;
    for (size_t i = 0; i < nt; i++) {
        rt_case *c = &cs[nc];
        snprintf(c->name, sizeof c->name, "%s", names[i]);
        snprintf(c->dir, sizeof c->dir, "%s/%s", root, names[i]);
        char model[600];
        snprintf(model, sizeof model, "%s/model.onnx", c->dir);
        oq_graph *g = NULL;
        oq_diag d = {0};
        if (oq_import_onnx(model, NULL, &g, &d) != OQ_OK) {
            unsupported++;
            continue;
        }
        c->nin = read_set(c->dir, "input", c->in);
        c->nout = c->nin < 0 ? -1 : read_set(c->dir, "output", c->want);
        if (c->nin < 0 || c->nout <= 0) {
            for (int k = 0; k < c->nin; k++)
                tb_free(&c->in[k]);
            unsupported++;
            oq_graph_free(g);
            continue;
        }
        snprintf(c->written, sizeof c->written, "%s/%s.onnx", tdir, names[i]);
        d = (oq_diag){0};
        if (oq_write_onnx(g, c->written, NULL, &d) != OQ_OK) {
            nfail++;
            flen += snprintf(fails + flen, flen < sizeof fails ? sizeof fails - flen : 0,
                             "\n  %s: write: %.200s", names[i], d.msg);
            oq_graph_free(g);
            continue;
        }
        oq_graph_free(g);
        nc++;
    }
    check_written(cs, nc);
    /* jobs: 2 per case (written, original) */
    ort_job *jobs = calloc(2 * nc + 1, sizeof *jobs);
    char (*orig)[600] = calloc(nc + 1, sizeof *orig);
    for (size_t i = 0; i < nc; i++) {
        snprintf(orig[i], sizeof orig[i], "%s/model.onnx", cs[i].dir);
        jobs[2 * i] = (ort_job){.model = cs[i].written, .nin = (uint32_t)cs[i].nin, .in = cs[i].in};
        jobs[2 * i + 1] = (ort_job){.model = orig[i], .nin = (uint32_t)cs[i].nin, .in = cs[i].in};
    }
    char err[1024];
    cr_assert(ort_run_batch(jobs, 2 * nc, err, sizeof err), "%s", err);
    size_t pass = 0, ort_limited = 0;
    for (size_t i = 0; i < nc; i++) {
        ort_job *w = &jobs[2 * i], *o = &jobs[2 * i + 1];
        char why[256] = "", owhy[256] = "";
        bool wok = w->ok && w->nout == (uint32_t)cs[i].nout;
        bool ook = o->ok && o->nout == (uint32_t)cs[i].nout;
        if (!w->ok)
            snprintf(why, sizeof why, "ORT: %.200s", w->err);
        else if (!wok)
            snprintf(why, sizeof why, "%u outputs, want %d", w->nout, cs[i].nout);
        for (int k = 0; wok && k < cs[i].nout; k++)
            wok = outputs_match(&w->out[k], &cs[i].want[k], why, sizeof why);
        for (int k = 0; ook && k < cs[i].nout; k++)
            ook = outputs_match(&o->out[k], &cs[i].want[k], owhy, sizeof owhy);
        if (wok)
            pass++;
        else if (!ook) {       /* ORT cannot reproduce the original either */
            ort_limited++;
            fprintf(stderr, "  ORT-limited %s: %s\n", cs[i].name, o->ok ? owhy : o->err);
        }
        else {
            nfail++;
            flen += snprintf(fails + flen, flen < sizeof fails ? sizeof fails - flen : 0,
                             "\n  %s: %s", cs[i].name, why);
        }
        ort_job_free(w);
        ort_job_free(o);
        for (int k = 0; k < cs[i].nin; k++)
            tb_free(&cs[i].in[k]);
        for (int k = 0; k < cs[i].nout; k++)
            tb_free(&cs[i].want[k]);
    }
    cr_log_info("%s: %zu tests, %zu imported+written, %zu match in ORT, %zu ORT-limited, "
                "%zu not importable, %zu failures", corpus, nt, nc, pass, ort_limited,
                unsupported, nfail);
    fprintf(stderr, "backends/roundtrip %s: %zu tests, %zu written, %zu match expected outputs in "
                    "ORT, %zu ORT-limited, %zu not importable (or test data of a type .npy "
                    "cannot carry), %zu failures\n",
            corpus, nt, nc, pass, ort_limited, unsupported, nfail);
    cr_expect_eq(nfail, 0, "%zu written models do not reproduce the expected outputs:%s", nfail,
                 fails);
    cr_expect_gt(pass, 0);
    for (size_t i = 0; i < nt; i++)
        free(names[i]);
    free(names);
    free(cs);
    free(jobs);
    free(orig);
}

Test(backends, fp32_pytorch_converted_written_models_run_in_ort, .init = setup_ort,
     .fini = rm_tdir, .timeout = 600)
{
    ort_corpus("pytorch-converted");
}

Test(backends, fp32_node_tests_written_models_run_in_ort, .init = setup_ort, .fini = rm_tdir,
     .timeout = 600)
{
    ort_corpus("node");
}

/* import -> write (memory) -> import: same ir_hash_graph */
static void hash_corpus(const char *corpus)
{
    char root[256];
    snprintf(root, sizeof root, DATA "/%s", corpus);
    size_t nt;
    char **names = list_tests(root, &nt);
    size_t same = 0, unsupported = 0, nfail = 0, flen = 0;
    char fails[4096] = "";
    for (size_t i = 0; i < nt; i++) {
        char model[600];
        snprintf(model, sizeof model, "%s/%s/model.onnx", root, names[i]);
        oq_graph *g = NULL, *g2 = NULL;
        oq_diag d = {0};
        if (oq_import_onnx(model, NULL, &g, &d) != OQ_OK) {
            unsupported++;
            free(names[i]);
            continue;
        }
        void *buf = NULL;
        size_t len = 0;
        const char *what = NULL;
        d = (oq_diag){0};
        if (oq_write_onnx_mem(g, NULL, &buf, &len, &d) != OQ_OK)
            what = "write";
        else if (oq_import_onnx_mem(buf, len, NULL, NULL, &g2, &d) != OQ_OK)
            what = "re-import";
        else {
            /* the writer raises old opsets to what the canonical forms need (1-6 to 7,
             * Upsample-era models to 10 for Resize): compare under the source opset */
            if (g2->opset == oq_onnx_write_opset(g, NULL, &d))
                g2->opset = g->opset;
            if (ir_hash_graph(g) != ir_hash_graph(g2))
                what = "hash differs";
        }
        if (what) {
            nfail++;
            flen += snprintf(fails + flen, flen < sizeof fails ? sizeof fails - flen : 0,
                             "\n  %s: %s %.200s", names[i], what, d.msg);
        } else {
            same++;
        }
        free(buf);
        oq_graph_free(g);
        oq_graph_free(g2);
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "backends/roundtrip %s: %zu tests, %zu same hash after write+import, %zu not "
                    "importable, %zu failures\n", corpus, nt, same, unsupported, nfail);
    cr_expect_eq(nfail, 0, "%zu models change in a write+import round trip:%s", nfail, fails);
    cr_expect_gt(same, 0);
}

Test(backends, import_write_import_keeps_the_graph_hash)
{
    hash_corpus("pytorch-converted");
    hash_corpus("node");
}

/* ------------------------------------------------------------------ the bundled examples */

/* Imports model, writes it to tdir/out, runs written and original on the 100 test images. */
static void run_example(const char *model, const char *out, ort_job jobs[2], tb_tensor *in)
{
    char src[512], dst[512];
    snprintf(src, sizeof src, OQ_SRC_ROOT "/examples/%s", model);
    snprintf(dst, sizeof dst, "%s/%s", tdir, out);
    cr_assert(npy_read(OQ_SRC_ROOT "/examples/test100_input.npy", in));
    oq_graph *g = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_import_onnx(src, NULL, &g, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_write_onnx(g, dst, NULL, &d), OQ_OK, "%s", d.msg);
    oq_graph_free(g);
    static char paths[2][512];
    snprintf(paths[0], sizeof paths[0], "%s", dst);
    snprintf(paths[1], sizeof paths[1], "%s", src);
    jobs[0] = (ort_job){.model = paths[0], .nin = 1, .in = in};
    jobs[1] = (ort_job){.model = paths[1], .nin = 1, .in = in};
    char err[1024];
    cr_assert(ort_run_batch(jobs, 2, err, sizeof err), "%s", err);
    cr_assert(jobs[0].ok, "written model: %s", jobs[0].err);
    cr_assert(jobs[1].ok, "original model: %s", jobs[1].err);
    cr_assert_eq(jobs[0].nout, 1);
    cr_assert_eq(oq_shape_numel(&jobs[0].out[0].shape), 1000);
}

Test(backends, fashion_cnn_fp32_written_matches_pytorch_in_ort, .init = setup_ort, .fini = rm_tdir)
{
    ort_job jobs[2];
    tb_tensor in, ref;
    run_example("fashion_cnn.onnx", "cnn.onnx", jobs, &in);
    cr_assert(npy_read(OQ_SRC_ROOT "/examples/fashion_cnn.fp32_ref.npy", &ref));
    for (int i = 0; i < 1000; i++) {
        float got = ((const float *)jobs[0].out[0].data)[i];
        float want = ((const float *)ref.data)[i];
        cr_assert_float_eq(got, want, 1e-3f + 1e-4f * fabsf(want), "logit %d: got %g want %g", i,
                           got, want);
        cr_assert_eq(got, ((const float *)jobs[1].out[0].data)[i], "logit %d differs from ORT "
                     "on the original model", i);
    }
    tb_free(&ref);
    tb_free(&in);
    ort_job_free(&jobs[0]);
    ort_job_free(&jobs[1]);
}

Test(backends, pytorch_qdq_model_written_runs_like_the_original_in_ort, .init = setup_ort,
     .fini = rm_tdir)
{
    ort_job jobs[2];
    tb_tensor in;
    run_example("fashion_cnn_torch_qdq.onnx", "torch_qdq.onnx", jobs, &in);
    int differ = 0;
    for (int i = 0; i < 1000; i++)
        differ += ((const float *)jobs[0].out[0].data)[i] !=
                  ((const float *)jobs[1].out[0].data)[i];
    cr_expect_eq(differ, 0, "%d of 1000 logits differ from ORT on the original QDQ model", differ);
    tb_free(&in);
    ort_job_free(&jobs[0]);
    ort_job_free(&jobs[1]);
}

/* ------------------------------------------------------------------ bench models (optional) */

/* The torchvision models bench/models/make.py exports (fp32 and PyTorch QDQ; not committed):
 * each present one is written and must give the same logits as the original in ORT. */
Test(backends, bench_models_written_run_like_originals_in_ort, .init = setup_ort,
     .fini = rm_tdir, .timeout = 900)
{
    static const char *const names[] = {"resnet18", "resnet18_torch_qdq", "mobilenet_v2",
                                        "mobilenet_v2_torch_qdq", "mobilenet_v3_small",
                                        "shufflenet_v2_x1_0", "squeezenet1_1"};
    enum { NM = sizeof names / sizeof names[0] };
    static char src[NM][512], dst[NM][512];
    static tb_tensor in[NM];
    ort_job jobs[2 * NM];
    size_t nj = 0;
    uint32_t rng = 7;
    for (size_t i = 0; i < NM; i++) {
        snprintf(src[i], sizeof src[i], OQ_SRC_ROOT "/bench/models/%s.onnx", names[i]);
        if (access(src[i], R_OK) != 0)
            continue;
        oq_graph *g = NULL;
        oq_diag d = {0};
        cr_assert_eq(oq_import_onnx(src[i], NULL, &g, &d), OQ_OK, "%s", d.msg);
        snprintf(dst[i], sizeof dst[i], "%s/%s.onnx", tdir, names[i]);
        cr_assert_eq(oq_write_onnx(g, dst[i], NULL, &d), OQ_OK, "%s: %s", names[i], d.msg);
        cr_assert_eq(g->ninput, 1);
        oq_shape s = g->values[g->inputs[0]].shape;
        for (int k = 0; k < s.rank; k++)
            if (s.dim[k] < 0)
                s.dim[k] = 1;
        in[i] = tb_make(OQ_DT_FLOAT, &s, NULL);
        for (int64_t k = 0; k < oq_shape_numel(&s); k++) {
            rng = rng * 1664525u + 1013904223u;
            ((float *)in[i].data)[k] = (float)(rng >> 8) / (float)(1u << 23) - 1.0f;
        }
        oq_graph_free(g);
        jobs[nj++] = (ort_job){.model = dst[i], .nin = 1, .in = &in[i]};
        jobs[nj++] = (ort_job){.model = src[i], .nin = 1, .in = &in[i]};
    }
    if (nj == 0)
        cr_skip_test("no bench models in bench/models (bench/setup or bench/models/make.py "
                     "makes them)");
    char err[1024];
    cr_assert(ort_run_batch(jobs, nj, err, sizeof err), "%s", err);
    for (size_t j = 0; j < nj; j += 2) {
        cr_assert(jobs[j].ok, "%s: %s", jobs[j].model, jobs[j].err);
        cr_assert(jobs[j + 1].ok, "%s: %s", jobs[j + 1].model, jobs[j + 1].err);
        cr_assert_eq(jobs[j].nout, jobs[j + 1].nout);
        for (uint32_t o = 0; o < jobs[j].nout; o++) {
            size_t n = tb_nbytes(&jobs[j].out[o]);
            cr_assert_eq(n, tb_nbytes(&jobs[j + 1].out[o]));
            cr_expect_eq(memcmp(jobs[j].out[o].data, jobs[j + 1].out[o].data, n), 0,
                         "%s: output %u differs from ORT on the original", jobs[j].model, o);
        }
        ort_job_free(&jobs[j]);
        ort_job_free(&jobs[j + 1]);
    }
    fprintf(stderr, "backends/roundtrip bench models: %zu written, same outputs in ORT\n", nj / 2);
    for (size_t i = 0; i < NM; i++)
        tb_free(&in[i]);
}
