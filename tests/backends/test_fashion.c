/* The quantized Fashion-MNIST CNN in ONNX Runtime: examples/fashion_cnn.onnx is quantized by
 * onnxq (passes, calibration on examples/calib, QDQ insertion), written as QDQ and, after
 * pass_lower_int, as QOperator; ORT runs both on the 100 bundled test images. ORT's logits must
 * match onnxq's own interpreter on the same quantized graph within one output quantization
 * step for most elements, and the top-1 class must mostly agree with the fp32 model. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/onnx/onnx_write.h"
#include "frontend/frontend.h"
#include "ort_util.h"
#include "passes/passes.h"
#include "runtime/interp/interp.h"

#define NIMG 100
#define NCLS 10

static char tdir[64];

static void setup(void)
{
    char why[256];
    if (!ort_available(why, sizeof why))
        cr_skip_test("%s", why);
    strcpy(tdir, "/tmp/oq_fash_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
}

static void teardown(void)
{
    if (!tdir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

/* Imports examples/<model> at batch 1 and quantizes it with o (calibration on examples/calib
 * in static mode). */
static oq_graph *quantized(const char *model, oq_options *o)
{
    char path[512];
    snprintf(path, sizeof path, OQ_SRC_ROOT "/examples/%s", model);
    oq_input_shape sh = {.name = "input", .shape = {.rank = 4, .dim = {1, 1, 28, 28}}};
    oq_import_opts io = {.shapes = &sh, .nshapes = 1};
    oq_graph *g = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_import_onnx(path, &io, &g, &d), OQ_OK, "%s", d.msg);
    o->calib_limit = 128;
    o->verify = true;
    cr_assert_eq(oq_run_passes(g, o, &d), OQ_OK, "%s", d.msg);
    oq_calib *c = NULL;
    if (o->mode == OQ_MODE_STATIC) {
        cr_assert_eq(oq_calib_new(g, o, &c, &d), OQ_OK, "%s", d.msg);
        const char *spec[] = {OQ_SRC_ROOT "/examples/calib"};
        oq_calib_data data = {.spec = spec, .nspec = 1};
        cr_assert_eq(oq_calibrate(c, g, &data, o, &d), OQ_OK, "%s", d.msg);
    }
    cr_assert_eq(oq_quantize(g, c, o, &d), OQ_OK, "%s", d.msg);
    oq_calib_free(c);
    return g;
}

/* Runs g in the interpreter on each image; logits[NIMG * NCLS]. */
static void interp_logits(const oq_graph *g, const tb_tensor *imgs, float *logits)
{
    oq_interp *it = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_interp_new(g, &it, &d), OQ_OK, "%s", d.msg);
    for (int i = 0; i < NIMG; i++) {
        oq_rt_tensor in = {.dtype = OQ_DT_FLOAT, .shape = {.rank = 4, .dim = {1, 1, 28, 28}},
                           .data = (float *)imgs->data + i * 28 * 28};
        oq_rt_tensor out;
        cr_assert_eq(oq_interp_run(it, &in, &out, NULL, NULL, &d), OQ_OK, "%s", d.msg);
        cr_assert_eq(out.dtype, OQ_DT_FLOAT);
        cr_assert_eq(oq_shape_numel(&out.shape), NCLS);
        memcpy(logits + i * NCLS, out.data, NCLS * sizeof(float));
    }
    oq_interp_free(it);
}

/* Scale of the graph output: the DequantizeLinear that produces it (0 if none). */
static float output_step(const oq_graph *g)
{
    const oq_value *v = &g->values[g->outputs[0]];
    if (v->producer == OQ_NONE)
        return 0;
    const oq_node *n = &g->nodes[v->producer];
    if (n->op != OQ_OP_DequantizeLinear || !g->values[n->in[1]].data)
        return 0;
    return *(const float *)g->values[n->in[1]].data;
}

/* Adds NIMG one-image jobs for model (each image its own tensor in imgs1[]). */
static void add_jobs(ort_job *jobs, const char *model, const tb_tensor *imgs1)
{
    for (int i = 0; i < NIMG; i++)
        jobs[i] = (ort_job){.model = model, .nin = 1, .in = &imgs1[i]};
}

static int argmax(const float *v)
{
    int k = 0;
    for (int i = 1; i < NCLS; i++)
        if (v[i] > v[k])
            k = i;
    return k;
}

/* Compares ORT's logits with the interpreter's (within one output step; without a
 * DequantizeLinear output, within 1e-3 of the largest logit) and fp32's top-1. */
static void compare(const char *what, ort_job *jobs, const float *ref, const ort_job *fp32,
                    float step)
{
    int within = 0, top1 = 0;
    double maxdiff = 0, maxref = 0;
    for (int i = 0; i < NIMG * NCLS; i++)
        maxref = fmax(maxref, fabs(ref[i]));
    double tol = step > 0 ? step * 1.001 + 1e-6 : 1e-3 * maxref + 1e-5;
    for (int i = 0; i < NIMG; i++) {
        cr_assert(jobs[i].ok, "%s image %d: ONNX Runtime failed: %s", what, i, jobs[i].err);
        cr_assert_eq(jobs[i].nout, 1);
        const float *got = jobs[i].out[0].data;
        for (int k = 0; k < NCLS; k++) {
            double df = fabs((double)got[k] - ref[i * NCLS + k]);
            maxdiff = fmax(maxdiff, df);
            within += df <= tol;
        }
        top1 += argmax(got) == argmax(fp32[i].out[0].data);
        ort_job_free(&jobs[i]);
    }
    fprintf(stderr, "backends/fashion %s: ORT vs onnxq interpreter: %d of %d logits within %s "
                    "(%.4g), max diff %.4g; top-1 equal to fp32 on %d of %d images\n",
            what, within, NIMG * NCLS, step > 0 ? "one step" : "1e-3 of the range", tol, maxdiff,
            top1, NIMG);
    cr_expect_geq(within, NIMG * NCLS * 95 / 100, "%s: only %d of %d logits within tolerance",
                  what, within, NIMG * NCLS);
    cr_expect_geq(top1, 90, "%s: top-1 equals fp32 on only %d of %d images", what, top1, NIMG);
}

static int count_qlinear(const oq_graph *g)
{
    int n = 0;
    for (uint32_t i = 0; i < g->nnode; i++)
        n += !g->nodes[i].dead &&
             (g->nodes[i].op == OQ_OP_QLinearConv || g->nodes[i].op == OQ_OP_QLinearMatMul);
    return n;
}

/* Quantizes examples/<model> with o, writes QDQ (and QOp when lowered), runs both in ORT and
 * in the interpreter on the 100 test images, and compares. */
static void run_case(const char *model, oq_options o, bool qop, int min_qlinear, const char *tag)
{
    tb_tensor imgs;
    cr_assert(npy_read(OQ_SRC_ROOT "/examples/test100_input.npy", &imgs));
    cr_assert_eq(oq_shape_numel(&imgs.shape), NIMG * 28 * 28);
    static tb_tensor one[NIMG];
    oq_shape s1 = {.rank = 4, .dim = {1, 1, 28, 28}};
    for (int i = 0; i < NIMG; i++)
        one[i] = tb_make(OQ_DT_FLOAT, &s1, (float *)imgs.data + i * 28 * 28);

    oq_graph *g = quantized(model, &o);
    static char pq[128], po[128], pf[512];
    snprintf(pq, sizeof pq, "%s/%s_qdq.onnx", tdir, tag);
    snprintf(po, sizeof po, "%s/%s_qop.onnx", tdir, tag);
    snprintf(pf, sizeof pf, OQ_SRC_ROOT "/examples/%s", model);
    oq_diag d = {0};
    cr_assert_eq(oq_write_onnx(g, pq, NULL, &d), OQ_OK, "%s", d.msg);
    static float ref_qdq[NIMG * NCLS], ref_qop[NIMG * NCLS];
    interp_logits(g, &imgs, ref_qdq);
    float step_qdq = output_step(g), step_qop = 0;
    if (o.mode == OQ_MODE_STATIC)
        cr_assert_gt(step_qdq, 0, "graph output is not a DequantizeLinear");
    if (qop) {
        cr_assert_eq(pass_lower_int(g, &o, &d), OQ_OK, "%s", d.msg);
        oq_write_opts wq = {.format = OQ_FORMAT_QOP};
        cr_assert_eq(oq_write_onnx(g, po, &wq, &d), OQ_OK, "%s", d.msg);
        int nq = count_qlinear(g);
        fprintf(stderr, "backends/fashion %s: lowered graph has %d QLinearConv/QLinearMatMul\n",
                tag, nq);
        cr_expect_geq(nq, min_qlinear, "lowered graph has %d QLinear ops", nq);
        interp_logits(g, &imgs, ref_qop);
        step_qop = output_step(g);
    }
    static ort_job jobs[3 * NIMG];
    add_jobs(jobs, pf, one);       /* fp32 original (dynamic batch) */
    add_jobs(jobs + NIMG, pq, one);
    size_t njobs = 2 * NIMG;
    if (qop) {
        add_jobs(jobs + 2 * NIMG, po, one);
        njobs = 3 * NIMG;
    }
    char err[1024];
    if (onnx_checker_available(err, sizeof err)) {
        const char *paths[2] = {pq, po};
        size_t ok, skip, fail;
        char fails[2048] = "";
        cr_assert(onnx_check_models(paths, qop ? 2 : 1, &ok, &skip, &fail, fails,
                                    sizeof fails));
        cr_expect_eq(fail, 0, "onnx.checker rejects:%s", fails);
    }
    cr_assert(ort_run_batch(jobs, njobs, err, sizeof err), "%s", err);
    for (int i = 0; i < NIMG; i++)
        cr_assert(jobs[i].ok, "fp32 model in ORT: %s", jobs[i].err);
    char what[96];
    snprintf(what, sizeof what, "%s QDQ", tag);
    compare(what, jobs + NIMG, ref_qdq, jobs, step_qdq);
    if (qop) {
        snprintf(what, sizeof what, "%s QOp", tag);
        compare(what, jobs + 2 * NIMG, ref_qop, jobs, step_qop);
    }
    for (int i = 0; i < NIMG; i++) {
        ort_job_free(&jobs[i]);
        tb_free(&one[i]);
    }
    tb_free(&imgs);
    oq_graph_free(g);
}

Test(backends, quantized_fashion_cnn_qdq_and_qop_run_in_ort, .init = setup, .fini = teardown,
     .timeout = 600)
{
    run_case("fashion_cnn.onnx", (oq_options){0}, true, 3, "cnn");
}

Test(backends, quantized_fashion_cnn_s8_per_tensor_runs_in_ort, .init = setup, .fini = teardown,
     .timeout = 600)
{
    run_case("fashion_cnn.onnx", (oq_options){.act_type = OQ_DT_INT8, .per_tensor = true}, true,
             3, "cnn_s8_pt");
}

Test(backends, quantized_fashion_mlp_qdq_and_qop_run_in_ort, .init = setup, .fini = teardown,
     .timeout = 600)
{
    /* Gemm lowers to QLinearConv as a 1x1 conv (passes/lower_int.c) */
    run_case("fashion_mlp.onnx", (oq_options){0}, true, 0, "mlp");
}

Test(backends, dynamic_quantized_fashion_mlp_runs_in_ort, .init = setup, .fini = teardown,
     .timeout = 600)
{
    run_case("fashion_mlp.onnx", (oq_options){.mode = OQ_MODE_DYNAMIC}, false, 0, "mlp_dyn");
}
