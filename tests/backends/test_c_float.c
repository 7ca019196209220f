/* The C backend's float fallback against the interpreter, bit for bit (same fp32 kernels, same
 * ISA choice; the emitted code is built with cc -std=c99 -Wall -Wextra -Wpedantic -Werror):
 *  - tests/backends/data/float_ops.onnx (make_float_ops_model.py): every op the fallback runs
 *    (Conv, Gemm, MatMul 2-D and batched, elementwise and activations, Clip, Transpose, Slice,
 *    Split, Concat, Pad constant/reflect, pools, reductions, Softmax/LogSoftmax), on the default
 *    ISA and with ONNXQ_ISA=scalar;
 *  - data/int8_moves.onnx: Transpose, Slice, Pad, Concat, Split and a 5-D channel shuffle on
 *    int8 tensors the backend stores NHWC (strided copies read and write them in place);
 *  - the quantized Fashion-MNIST CNN with its second conv and the classifier excluded (float
 *    islands between QuantizeLinear/DequantizeLinear, as mixed precision leaves them), lowered
 *    as onnxq compile lowers it, on 100 test images;
 *  - the custom-op model quantized with its plugin (custom ops kept through the passes). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/c/c_emit.h"
#include "frontend/frontend.h"
#include "passes/passes.h"
#include "runtime/interp/custom.h"
#include "runtime/interp/interp.h"

static char tdir[64];

static void setup(void)
{
    strcpy(tdir, "/tmp/oq_cfloat_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(c_float, .init = setup, .fini = teardown);

/* Emits g as model "fm" under tdir, writes a driver that first checks fm_run's workspace and
 * argument codes (exit 11-14 when one is wrong), then runs `nrun` inputs from in.bin into
 * out.bin (all outputs of each run in order), builds it strictly; returns 0 or the failure. */
static int build(const oq_graph *g, oq_emit_report *rep, const char *extra)
{
    char dir[128], path[192], cmd[2048];
    snprintf(dir, sizeof dir, "%s/fm", tdir);
    oq_emit_opts eo = {.out_dir = dir, .name = "fm"};
    oq_diag d = {0};
    cr_assert_eq(oq_emit_c(g, &eo, rep, &d), OQ_OK, "%s", d.msg);
    snprintf(path, sizeof path, "%s/drv.c", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"fm.h\"\n"
               "static float x[FM_INPUT0_SIZE];\n");
    for (uint32_t k = 0; k < g->noutput; k++)
        fprintf(f, "static float y%u[FM_OUTPUT%u_SIZE];\n", k, k);
    fprintf(f, "static unsigned char buf[FM_WORKSPACE_SIZE + 64];\n"
               "int main(int argc, char **argv)\n{\n"
               "    void *ws = buf + (64 - (size_t)((unsigned long)buf %% 64)) %% 64;\n"
               "    FILE *fi = argc > 3 ? fopen(argv[1], \"rb\") : NULL;\n"
               "    FILE *fo = argc > 3 ? fopen(argv[2], \"wb\") : NULL;\n"
               "    long n = argc > 3 ? atol(argv[3]) : 0;\n    if (!fi || !fo)\n        return 9;\n");
    /* the workspace contract: a short, NULL or misaligned workspace is refused with its code
     * before anything is written (y0 keeps its bytes) */
    fprintf(f, "    memset(y0, 0x5a, sizeof y0);\n");
    const char *bad[] = {"ws, FM_WORKSPACE_SIZE - 1) != FM_ERR_WORKSPACE",
                         "(void *)0, FM_WORKSPACE_SIZE) != FM_ERR_ARGUMENT",
                         "(char *)ws + 8, FM_WORKSPACE_SIZE + 8) != FM_ERR_ARGUMENT"};
    for (int b = 0; b < 3; b++) {
        fprintf(f, "%s    if (fm_run(x, ", b == 0 ? "#if FM_WORKSPACE_SIZE > 0\n" : "");
        for (uint32_t k = 0; k < g->noutput; k++)
            fprintf(f, "y%u, ", k);
        fprintf(f, "%s)\n        return %d;\n%s", bad[b], 11 + b, b == 0 ? "#endif\n" : "");
    }
    fprintf(f, "    for (size_t i = 0; i < sizeof y0; i++)\n"
               "        if (((unsigned char *)y0)[i] != 0x5a)\n            return 14;\n");
    fprintf(f, "    for (long s = 0; s < n; s++) {\n"
               "        if (fread(x, sizeof x, 1, fi) != 1)\n            return 9;\n"
               "        int rc = fm_run(x, ");
    for (uint32_t k = 0; k < g->noutput; k++)
        fprintf(f, "y%u, ", k);
    fprintf(f, "ws, FM_WORKSPACE_SIZE);\n        if (rc)\n            return rc;\n");
    for (uint32_t k = 0; k < g->noutput; k++)
        fprintf(f, "        if (fwrite(y%u, sizeof y%u, 1, fo) != 1)\n            return 9;\n", k, k);
    fprintf(f, "    }\n    return fclose(fo) ? 9 : 0;\n}\n");
    cr_assert_eq(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && cc -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -o drv fm.c "
             "fm_weights.c drv.c $(find onnxq_rt -name '*.c' | sort) %s -lpthread -lm", dir,
             extra ? extra : "");
    return system(cmd);
}

/* Runs the interpreter and the emitted driver on n inputs x[n][nx]; every output element must
 * have the same bits. Returns the number of output floats compared. */
static size_t compare(const oq_graph *g, const float *x, size_t nx, int n)
{
    oq_diag d = {0};
    oq_interp *it = NULL;
    cr_assert_eq(oq_interp_new(g, &it, &d), OQ_OK, "%s", d.msg);
    size_t per = 0;
    for (uint32_t k = 0; k < g->noutput; k++)
        per += (size_t)oq_shape_numel(&g->values[g->outputs[k]].shape);
    float *ref = malloc((size_t)n * per * sizeof *ref), *got = malloc((size_t)n * per * sizeof *got);
    oq_rt_tensor *outs = calloc(g->noutput, sizeof *outs);
    cr_assert(ref && got && outs);
    for (int s = 0; s < n; s++) {
        oq_rt_tensor tin = {OQ_DT_FLOAT, g->values[g->inputs[0]].shape, (void *)(x + s * nx)};
        cr_assert_eq(oq_interp_run(it, &tin, outs, NULL, NULL, &d), OQ_OK, "%s", d.msg);
        float *p = ref + (size_t)s * per;
        for (uint32_t k = 0; k < g->noutput; k++) {
            size_t c = (size_t)oq_shape_numel(&outs[k].shape);
            memcpy(p, outs[k].data, c * sizeof *p);
            p += c;
        }
    }
    oq_interp_free(it);
    char in[160], out[160], cmd[512];
    snprintf(in, sizeof in, "%s/in.bin", tdir);
    snprintf(out, sizeof out, "%s/out.bin", tdir);
    FILE *f = fopen(in, "wb");
    cr_assert(f && fwrite(x, nx * sizeof *x, (size_t)n, f) == (size_t)n && fclose(f) == 0);
    snprintf(cmd, sizeof cmd, "'%s/fm/drv' '%s' '%s' %d", tdir, in, out, n);
    cr_assert_eq(system(cmd), 0, "the emitted program runs: %s", cmd);
    f = fopen(out, "rb");
    cr_assert(f && fread(got, per * sizeof *got, (size_t)n, f) == (size_t)n);
    fclose(f);
    for (size_t i = 0; i < (size_t)n * per; i++)
        cr_assert_eq(memcmp(&got[i], &ref[i], sizeof *got), 0, "run %zu, output float %zu: got %a "
                     "want %a", i / per, i % per, (double)got[i], (double)ref[i]);
    free(ref);
    free(got);
    free(outs);
    return (size_t)n * per;
}

static void float_ops(void)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(OQ_SRC_ROOT "/tests/backends/data/float_ops.onnx", NULL, &g, &d),
                 OQ_OK, "%s", d.msg);
    oq_emit_report rep;
    cr_assert_eq(build(g, &rep, NULL), 0, "the emitted C builds warning-free");
    cr_expect_geq(rep.nfloat, 40, "every node runs in float: %u", rep.nfloat);
    static float x[3][4 * 6 * 6];
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 4 * 6 * 6; i++)
            x[s][i] = (float)((i * 37 + s * 11) % 29 - 14) / 7.0f;
    size_t c = compare(g, &x[0][0], 4 * 6 * 6, 3);
    cr_expect_gt(c, 100);
    oq_graph_free(g);
}

Test(c_float, every_float_op_matches_the_interpreter) { float_ops(); }

Test(c_float, every_float_op_matches_the_interpreter_scalar_isa)
{
    setenv("ONNXQ_ISA", "scalar", 1);   /* before any kernel is chosen (fresh test process) */
    float_ops();
}

Test(c_float, int8_data_movement_in_nhwc_matches_the_interpreter)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(OQ_SRC_ROOT "/tests/backends/data/int8_moves.onnx", NULL, &g, &d),
                 OQ_OK, "%s", d.msg);
    oq_emit_report rep;
    cr_assert_eq(build(g, &rep, NULL), 0, "the emitted C builds warning-free");
    cr_expect_eq(rep.nfloat, 0, "int8 data movement is not float: %u", rep.nfloat);
    static float x[2][4 * 5 * 6];
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 4 * 5 * 6; i++)
            x[s][i] = (float)((i * 29 + s * 7) % 101 - 50) / 8.0f;
    compare(g, &x[0][0], 4 * 5 * 6, 2);
    oq_graph_free(g);
}

/* The quantized pipeline as onnxq compile runs it, with nodes left in float. */
static oq_graph *quantize(const char *model, oq_input_shape *sh, const char *calib,
                          const char *const *ex, uint32_t nex)
{
    oq_import_opts io = {.shapes = sh, .nshapes = sh ? 1 : 0, .allow_unknown_ops = !sh};
    oq_graph *g = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_import_onnx(model, &io, &g, &d), OQ_OK, "%s", d.msg);
    if (!sh)
        cr_assert_eq(oq_custom_infer_graph(g, &d), OQ_OK, "%s", d.msg);
    oq_options o = {0};
    o.exclude = ex, o.nexclude = nex, o.calib_limit = 64, o.contrib_ops = true;
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    oq_calib *c = NULL;
    const char *spec[] = {calib};
    oq_calib_data data = {.spec = spec, .nspec = 1};
    cr_assert_eq(oq_calib_new(g, &o, &c, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_calibrate(c, g, &data, &o, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_quantize(g, c, &o, &d), OQ_OK, "%s", d.msg);
    oq_calib_free(c);
    cr_assert_eq(pass_lower_int(g, &o, &d), OQ_OK, "%s", d.msg);
    return g;
}

Test(c_float, fashion_with_float_islands_matches_the_interpreter)
{
    oq_input_shape sh = {.name = "input", .shape = {.rank = 4, .dim = {1, 1, 28, 28}}};
    static const char *const ex[] = {"/conv2/Conv", "/fc/Gemm"};
    oq_graph *g = quantize(OQ_SRC_ROOT "/examples/fashion_cnn.onnx", &sh,
                           OQ_SRC_ROOT "/examples/calib", ex, 2);
    int recorded = 0;
    for (uint32_t n = 0; n < g->nnode; n++)
        if (strcmp(g->nodes[n].name, ex[0]) == 0 || strcmp(g->nodes[n].name, ex[1]) == 0) {
            cr_expect_eq(g->nodes[n].float_why, OQ_FLOAT_EXCLUDED, "%s: float_why %d",
                         g->nodes[n].name, g->nodes[n].float_why);
            recorded++;
        }
    cr_expect_eq(recorded, 2, "both excluded nodes survive lowering: %d", recorded);
    oq_emit_report rep;
    cr_assert_eq(build(g, &rep, NULL), 0, "the emitted C builds warning-free");
    cr_expect_geq(rep.nfloat, 2, "conv2 and the classifier run in float: %u", rep.nfloat);
    /* 100 inputs: the calibration samples and shifted copies of them */
    static float x[100][28 * 28];
    for (int s = 0; s < 100; s++)
        for (int i = 0; i < 28 * 28; i++)
            x[s][i] = (float)(((i * 7 + s * 13) % 255) / 255.0 - 0.3);
    compare(g, &x[0][0], 28 * 28, 100);
    oq_graph_free(g);
}

Test(c_float, quantized_custom_op_model_matches_the_interpreter)
{
    oq_diag d = {0};
    cr_assert_eq(oq_custom_load(CUSTOM_SO, &d), OQ_OK, "%s", d.msg);
    char cal[128], cmd[256];
    snprintf(cal, sizeof cal, "%s/cal", tdir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", cal);
    cr_assert_eq(system(cmd), 0);
    static float x[4][3 * 8 * 8];
    for (int s = 0; s < 4; s++) {       /* calibration samples as .npy */
        for (int i = 0; i < 3 * 8 * 8; i++)
            x[s][i] = (float)((i * 13 + s * 5) % 17 - 8) / 4.0f;
        char p[192];
        snprintf(p, sizeof p, "%s/s%d.npy", cal, s);
        FILE *f = fopen(p, "wb");
        cr_assert_not_null(f);
        char hdr[128];
        int hl = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(1, 3, 8, 8), }");
        int pad = 128 - 10 - hl - 1;
        fwrite("\x93NUMPY\x01\x00", 1, 8, f);
        unsigned short len = (unsigned short)(hl + pad + 1);
        fwrite(&len, 2, 1, f);
        fprintf(f, "%s%*s\n", hdr, pad, "");
        fwrite(x[s], sizeof x[s], 1, f);
        cr_assert_eq(fclose(f), 0);
    }
    oq_graph *g = quantize(OQ_SRC_ROOT "/tests/backends/data/custom_op.onnx", NULL, cal, NULL, 0);
    char user[192];
    snprintf(user, sizeof user, "%s/user.c", tdir);
    FILE *f = fopen(user, "w");
    cr_assert_not_null(f);
    fprintf(f, "#include \"fm.h\"\n#include \"custom_ops_impl.h\"\n"
               "int fm_custom_Swish2(ONNXQ_CUSTOM_ARGS) { return swish2(in, nin, out, nout, attr, nattr); }\n"
               "int fm_custom_ScaleShift(ONNXQ_CUSTOM_ARGS)\n"
               "{\n    return scale_shift(in, nin, out, nout, attr, nattr);\n}\n");
    cr_assert_eq(fclose(f), 0);
    char extra[512];
    snprintf(extra, sizeof extra, "-I. -Ionnxq_rt -I'" OQ_SRC_ROOT "/tests/backends/data' '%s'", user);
    oq_emit_report rep;
    cr_assert_eq(build(g, &rep, extra), 0, "the emitted C builds warning-free");
    cr_expect_eq(rep.nfloat, 2, "only the two custom ops stay float: %u", rep.nfloat);
    compare(g, &x[0][0], 3 * 8 * 8, 4);
    oq_graph_free(g);
}
