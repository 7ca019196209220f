/* The interpreter's com.microsoft QLinearAdd / QLinearGlobalAveragePool (runtime/interp/
 * ops_qcontrib.c): per-channel broadcasting against an independent formula, and NCHW global
 * average pooling equal to the NHWC runtime/q8 kernel the emitted C calls, QLinearConcat rescaling
 * along channels. Integers exact. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ir/ir.h"
#include "runtime/interp/interp.h"
#include "runtime/q8/q8.h"

static oq_graph *parse(const char *text)
{
    oq_graph *g = NULL;
    oq_diag d = {0};
    cr_assert_eq(ir_parse(text, &g, &d), OQ_OK, "parse: %s", d.msg);
    return g;
}

static void set(oq_graph *g, const char *name, const void *data)
{
    cr_assert_not_null(ir_set_const(g, ir_find_value(g, name), data));
}

/* Runs g (single input x of shape xs) and returns a copy of output 0 into y (n bytes). */
static void run(oq_graph *g, const uint8_t *x, const oq_shape *xs, uint8_t *y, size_t n)
{
    oq_diag d = {0};
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "infer: %s", d.msg);
    oq_interp *it = NULL;
    cr_assert_eq(oq_interp_new(g, &it, &d), OQ_OK, "interp: %s", d.msg);
    oq_rt_tensor in[16];
    memset(in, 0, sizeof in);
    in[0] = (oq_rt_tensor){OQ_DT_UINT8, *xs, (void *)x};
    oq_rt_tensor out[1];
    cr_assert_eq(oq_interp_run(it, in, out, NULL, NULL, &d), OQ_OK, "run: %s", d.msg);
    cr_assert_eq((size_t)oq_shape_numel(&out[0].shape), n);
    memcpy(y, out[0].data, n);
    oq_interp_free(it);
}

Test(qcontrib, qlinear_add_per_channel_broadcast)
{
    oq_graph *g = parse("input %a:u8[1,4,2,3]\n input %sa:f32[]\n input %za:u8[]\n"
                        " input %b:u8[1,4,1,1]\n input %sb:f32[]\n input %zb:u8[]\n"
                        " input %sy:f32[]\n input %zy:u8[]\n"
                        " %y = QLinearAdd(%a, %sa, %za, %b, %sb, %zb, %sy, %zy)\n output %y\n");
    float sa = 0.05f, sb = 0.11f, sy = 0.07f;
    uint8_t za = 100, zb = 3, zy = 20, b[4] = {0, 255, 17, 130};
    set(g, "sa", &sa), set(g, "za", &za), set(g, "b", b), set(g, "sb", &sb), set(g, "zb", &zb);
    set(g, "sy", &sy), set(g, "zy", &zy);
    uint8_t a[24], y[24];
    for (int i = 0; i < 24; i++)
        a[i] = (uint8_t)(i * 37 % 256);
    oq_shape xs = {4, {1, 4, 2, 3}};
    run(g, a, &xs, y, 24);
    for (int i = 0; i < 24; i++) {
        int c = i / 6;
        double r = nearbyint((double)(a[i] - za) * (double)(sa / sy) +
                             (double)(b[c] - zb) * (double)(sb / sy)) + zy;
        int want = r < 0 ? 0 : r > 255 ? 255 : (int)r;
        cr_expect_eq(y[i], want, "element %d (channel %d): %d vs %d", i, c, y[i], want);
    }
    oq_graph_free(g);
}

Test(qcontrib, qlinear_gap_nchw_equals_nhwc_kernel)
{
    oq_graph *g = parse("input %x:u8[2,3,4,5]\n input %sx:f32[]\n input %zx:u8[]\n"
                        " input %sy:f32[]\n input %zy:u8[]\n"
                        " %y = QLinearGlobalAveragePool(%x, %sx, %zx, %sy, %zy)\n output %y\n");
    float sx = 0.02f, sy = 0.013f;
    uint8_t zx = 128, zy = 7;
    set(g, "sx", &sx), set(g, "zx", &zx), set(g, "sy", &sy), set(g, "zy", &zy);
    uint8_t x[120], xh[120], y[6], want[6];
    for (int i = 0; i < 120; i++)
        x[i] = (uint8_t)(i * 91 % 256);
    for (int n = 0; n < 2; n++)            /* NCHW -> NHWC */
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 20; p++)
                xh[(n * 20 + p) * 3 + c] = x[(n * 3 + c) * 20 + p];
    oq_shape xs = {4, {2, 3, 4, 5}};
    run(g, x, &xs, y, 6);
    oq_q8_global_avgpool(2, 20, 3, xh, sx, zx, want, sy, zy, OQ_Q8_U8);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(y[i], want[i], "output %d: %d vs %d", i, y[i], want[i]);
    oq_graph_free(g);
}

Test(qcontrib, qlinear_concat_channels_rescaled)
{
    oq_graph *g = parse("input %a:u8[1,2,2,2]\n input %sy:f32[]\n input %zy:u8[]\n"
                        " input %sa:f32[]\n input %za:u8[]\n input %b:u8[1,1,2,2]\n"
                        " input %sb:f32[]\n input %zb:u8[]\n"
                        " %y = QLinearConcat(%sy, %zy, %a, %sa, %za, %b, %sb, %zb)\n output %y\n");
    oq_attr *ax = ir_attr_add(g, 0, "axis", OQ_ATTR_INT);
    cr_assert_not_null(ax);
    ax->i = 1;
    float sy = 0.1f, sa = 0.1f, sb = 0.037f;
    uint8_t zy = 10, za = 10, zb = 200, b[4] = {0, 77, 200, 255};
    set(g, "sy", &sy), set(g, "zy", &zy), set(g, "sa", &sa), set(g, "za", &za);
    set(g, "b", b), set(g, "sb", &sb), set(g, "zb", &zb);
    uint8_t a[8] = {0, 1, 9, 10, 11, 128, 254, 255}, y[12];
    oq_shape xs = {4, {1, 2, 2, 2}};
    run(g, a, &xs, y, 12);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(y[i], a[i], "a[%d] (same qparams: copied)", i);
    for (int i = 0; i < 4; i++) {
        float r = nearbyintf((float)(b[i] - zb) * (sb / sy)) + zy;
        int want = r < 0 ? 0 : r > 255 ? 255 : (int)r;
        cr_expect_eq(y[8 + i], want, "b[%d]: %d vs %d", i, y[8 + i], want);
    }
    oq_graph_free(g);
}
