/* Custom operators end to end on a real ONNX file (tests/backends/data/custom_op.onnx, made by
 * make_custom_model.py): two com.example ops, one with a shape function in the plugin and one
 * typed by the model's value_info. The interpreter runs them from the plugin .so (built by
 * meson from data/custom_ops.c); the C backend compiles the same graph to C calling
 * cm_custom_<TYPE>, which data/custom_user.c implements with the same code; the emitted program
 * (cc -std=c99 -Wall -Wextra -Wpedantic -Werror) must reproduce the interpreter's output bit
 * for bit (same fp32 kernels, same ISA). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/c/c_emit.h"
#include "frontend/frontend.h"
#include "runtime/interp/custom.h"
#include "runtime/interp/interp.h"

#define MODEL OQ_SRC_ROOT "/tests/backends/data/custom_op.onnx"
#define NX (1 * 3 * 8 * 8)
#define NY (1 * 2 * 8 * 8)

static char tdir[64];

static void setup(void)
{
    strcpy(tdir, "/tmp/oq_custom_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

/* The model imported with its custom ops kept and typed (library shapes / value_info). */
static oq_graph *load(oq_diag *d)
{
    oq_import_opts io = {.allow_unknown_ops = true};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(MODEL, &io, &g, d), OQ_OK, "%s", d->msg);
    cr_assert_eq(oq_custom_infer_graph(g, d), OQ_OK, "%s", d->msg);
    cr_assert_eq(ir_require_static(g, d), OQ_OK, "%s", d->msg);
    return g;
}

static void input(float *x)
{
    for (int i = 0; i < NX; i++)
        x[i] = (float)sin(0.37 * i) * 2.0f;
}

TestSuite(custom_op, .init = setup, .fini = teardown);

Test(custom_op, shapes_from_library_and_value_info)
{
    oq_diag d = {0};
    cr_assert_eq(oq_custom_load(CUSTOM_SO, &d), OQ_OK, "%s", d.msg);
    oq_graph *g = load(&d);
    uint32_t s1 = ir_find_value(g, "s1"), t1 = ir_find_value(g, "t1"), y = ir_find_value(g, "y");
    cr_assert(s1 != OQ_NONE && t1 != OQ_NONE && y != OQ_NONE);
    const int64_t want[4] = {1, 4, 8, 8};
    for (int k = 0; k < 4; k++) {
        cr_expect_eq(g->values[s1].shape.dim[k], want[k], "s1 dim %d", k);
        cr_expect_eq(g->values[t1].shape.dim[k], want[k], "t1 dim %d", k);
    }
    cr_expect_eq(g->values[s1].dtype, OQ_DT_FLOAT);
    cr_expect_eq(g->values[y].shape.dim[1], 2);
    oq_graph_free(g);
}

Test(custom_op, missing_shape_is_an_error_naming_the_node)
{
    oq_diag d = {0};       /* no library: Swish2 has no value_info and no shape function */
    oq_import_opts io = {.allow_unknown_ops = true};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(MODEL, &io, &g, &d), OQ_OK, "%s", d.msg);
    oq_diag d2 = {0};
    cr_assert_eq(oq_custom_infer_graph(g, &d2), OQ_ERR_SHAPE);
    cr_expect(strstr(d2.msg, "swish") && strstr(d2.msg, "onnxq_custom_Swish2_shape"), "%s", d2.msg);
    oq_interp *it = NULL;
    oq_diag d3 = {0};
    cr_expect_neq(oq_interp_new(g, &it, &d3), OQ_OK, "no library: the interpreter refuses");
    oq_graph_free(g);
}

Test(custom_op, interpreter_and_emitted_c_agree_bit_for_bit)
{
    oq_diag d = {0};
    cr_assert_eq(oq_custom_load(CUSTOM_SO, &d), OQ_OK, "%s", d.msg);
    oq_graph *g = load(&d);
    /* interpreter through the plugin */
    static float x[NX], ref[NY], got[NY];
    input(x);
    oq_interp *it = NULL;
    cr_assert_eq(oq_interp_new(g, &it, &d), OQ_OK, "%s", d.msg);
    oq_rt_tensor tin = {OQ_DT_FLOAT, {4, {1, 3, 8, 8}}, x}, tout;
    cr_assert_eq(oq_interp_run(it, &tin, &tout, NULL, NULL, &d), OQ_OK, "%s", d.msg);
    memcpy(ref, tout.data, sizeof ref);
    oq_interp_free(it);
    double sum = 0;
    for (int i = 0; i < NY; i++)
        sum += fabs(ref[i]);
    cr_assert(sum > 1.0, "reference output is not trivial (sum |y| = %g)", sum);

    /* the C backend: float fallback + calls of cm_custom_<TYPE> */
    char dir[128], cmd[2048];
    snprintf(dir, sizeof dir, "%s/cm", tdir);
    oq_emit_opts eo = {.out_dir = dir, .name = "cm"};
    oq_emit_report rep;
    cr_assert_eq(oq_emit_c(g, &eo, &rep, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(rep.nfloat, 5, "conv1, relu1, 2 custom ops, conv2 run in float: %u", rep.nfloat);
    oq_graph_free(g);
    snprintf(cmd, sizeof cmd, "grep -q 'int cm_custom_Swish2(const onnxq_tensor' '%s/cm.h' && "
             "grep -q 'int cm_custom_ScaleShift(' '%s/cm.h'", dir, dir);
    cr_assert_eq(system(cmd), 0, "cm.h declares both custom functions");
    snprintf(cmd, sizeof cmd,
             "cd '%s' && cc -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -I. -Ionnxq_rt "
             "-I'" OQ_SRC_ROOT "/tests/backends/data' -o drv cm.c cm_weights.c $(find onnxq_rt "
             "-name '*.c' | sort) '" OQ_SRC_ROOT "/tests/backends/data/custom_user.c' '"
             OQ_SRC_ROOT "/tests/backends/data/custom_driver.c' -lpthread -lm", dir);
    cr_assert_eq(system(cmd), 0, "the emitted C builds warning-free: %s", cmd);
    char xin[192], yout[192];
    snprintf(xin, sizeof xin, "%s/x.bin", tdir);
    snprintf(yout, sizeof yout, "%s/y.bin", tdir);
    FILE *f = fopen(xin, "wb");
    cr_assert(f && fwrite(x, sizeof x, 1, f) == 1 && fclose(f) == 0);
    snprintf(cmd, sizeof cmd, "'%s/drv' '%s' '%s'", dir, xin, yout);
    cr_assert_eq(system(cmd), 0, "the emitted program runs");
    f = fopen(yout, "rb");
    cr_assert(f && fread(got, sizeof got, 1, f) == 1);
    fclose(f);
    for (int i = 0; i < NY; i++)
        cr_assert_eq(memcmp(&got[i], &ref[i], sizeof(float)), 0, "at [%d]: got %a want %a", i,
                     (double)got[i], (double)ref[i]);
}
