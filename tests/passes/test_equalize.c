/* Cross-layer equalization (passes/equalize.c): on a hand-built chain Conv -> Relu -> MaxPool ->
 * depthwise Conv -> Relu -> 1x1 Conv -> GlobalAveragePool -> Flatten -> Gemm whose channels have
 * ranges spread over 2^7, the float outputs stay within 1e-4 relative (interpreter before vs
 * after) and every pair ends with r1_c / R1 == r2_c / R2 within 1e-3 (r: per-channel max |w|,
 * R: its maximum); Relu6 (Clip(0, 6)) pairs are skipped without samples, rescaled within the
 * Clip's headroom with samples (outputs kept on them), or made Relu with equalize_relu6;
 * fashion_cnn keeps its outputs with all four layers rescaled (MaxPool and Flatten crossed). */
#include "build_util.h"

/* Builds the chain; act1 is Relu, or Clip(0, 6) when clip. Channel c of conv1 has range ~2^(c-4),
 * the depthwise channel c ~2^((3c mod 8) - 3). */
static oq_graph *build_chain(bool clip)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    uint32_t s = 12345;
    float w1[8 * 3 * 9], b1[8], w2[8 * 9], b2[8], w3[6 * 8], b3[6], w4[6 * 5], b4[5];
    bu_fill(w1, 8 * 27, &s, -1, 1);
    bu_fill(w2, 8 * 9, &s, -1, 1);
    bu_fill(w3, 48, &s, -1, 1);
    bu_fill(w4, 30, &s, -1, 1);
    bu_fill(b1, 8, &s, -0.2f, 0.5f);
    bu_fill(b2, 8, &s, -0.2f, 0.5f);
    bu_fill(b3, 6, &s, -0.5f, 0.5f);
    bu_fill(b4, 5, &s, -0.5f, 0.5f);
    for (int c = 0; c < 8; c++) {
        for (int i = 0; i < 27; i++)
            w1[c * 27 + i] *= ldexpf(1, c - 4);
        b1[c] *= ldexpf(1, c - 4);
        for (int i = 0; i < 9; i++)
            w2[c * 9 + i] *= ldexpf(1, (3 * c) % 8 - 3);
    }
    const int64_t xd[] = {2, 3, 10, 10}, d1[] = {8, 3, 3, 3}, d2[] = {8, 1, 3, 3},
                  d3[] = {6, 8, 1, 1}, d4[] = {6, 5}, n8[] = {8}, n6[] = {6}, n5[] = {5};
    const int64_t pads[] = {1, 1, 1, 1}, k2[] = {2, 2};
    uint32_t x = bu_input(g, "x", 4, xd);
    uint32_t W1 = bu_const(g, "W1", 4, d1, w1), B1 = bu_const(g, "B1", 1, n8, b1);
    uint32_t W2 = bu_const(g, "W2", 4, d2, w2), B2 = bu_const(g, "B2", 1, n8, b2);
    uint32_t W3 = bu_const(g, "W3", 4, d3, w3), B3 = bu_const(g, "B3", 1, n6, b3);
    uint32_t W4 = bu_const(g, "W4", 2, d4, w4), B4 = bu_const(g, "B4", 1, n5, b4);
    uint32_t y = bu_node(g, OQ_OP_Conv, "conv1", (uint32_t[]){x, W1, B1}, 3);
    bu_attr_ints(g, "conv1", "pads", pads, 4);
    if (clip) {
        float lo = 0, hi = 6;
        uint32_t L = bu_const(g, "lo", 0, NULL, &lo), H = bu_const(g, "hi", 0, NULL, &hi);
        y = bu_node(g, OQ_OP_Clip, "act1", (uint32_t[]){y, L, H}, 3);
    } else {
        y = bu_node(g, OQ_OP_Relu, "act1", &y, 1);
    }
    y = bu_node(g, OQ_OP_MaxPool, "pool", &y, 1);
    bu_attr_ints(g, "pool", "kernel_shape", k2, 2);
    bu_attr_ints(g, "pool", "strides", k2, 2);
    y = bu_node(g, OQ_OP_Conv, "dw", (uint32_t[]){y, W2, B2}, 3);
    bu_attr_ints(g, "dw", "pads", pads, 4);
    bu_attr_int(g, "dw", "group", 8);
    y = bu_node(g, OQ_OP_Relu, "act2", &y, 1);
    y = bu_node(g, OQ_OP_Conv, "conv3", (uint32_t[]){y, W3, B3}, 3);
    y = bu_node(g, OQ_OP_GlobalAveragePool, "gap", &y, 1);
    y = bu_node(g, OQ_OP_Flatten, "flat", &y, 1);
    y = bu_node(g, OQ_OP_Gemm, "fc", (uint32_t[]){y, W4, B4}, 3);
    bu_output(g, y);
    bu_finish(g);
    return g;
}

/* max |w| of output channel c of Conv / Gemm(transB 0) node n */
static double out_range(const oq_graph *g, uint32_t n, int64_t c)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *w = &g->values[nd->in[1]];
    const float *p = w->data;
    int64_t numel = oq_shape_numel(&w->shape);
    double r = 0;
    if (nd->op == OQ_OP_Conv) {
        int64_t per = numel / w->shape.dim[0];
        for (int64_t i = 0; i < per; i++)
            r = fmax(r, fabs(p[c * per + i]));
    } else {
        for (int64_t k = 0; k < w->shape.dim[0]; k++)
            r = fmax(r, fabs(p[k * w->shape.dim[1] + c]));
    }
    return r;
}

/* max |w| reading input channel c of Conv (grouped) / Gemm(transB 0) node n */
static double in_range(const oq_graph *g, uint32_t n, int64_t c)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *w = &g->values[nd->in[1]];
    const float *p = w->data;
    double r = 0;
    if (nd->op == OQ_OP_Gemm) {
        for (int64_t j = 0; j < w->shape.dim[1]; j++)
            r = fmax(r, fabs(p[c * w->shape.dim[1] + j]));
        return r;
    }
    int64_t N = w->shape.dim[0], Cg = w->shape.dim[1], G = ir_attr_int(nd, "group", 1);
    int64_t ksz = oq_shape_numel(&w->shape) / (N * Cg), per = N / G, grp = c / Cg;
    for (int64_t o = grp * per; o < (grp + 1) * per; o++)
        for (int64_t k = 0; k < ksz; k++)
            r = fmax(r, fabs(p[(o * Cg + c % Cg) * ksz + k]));
    return r;
}

/* Largest |r1_c / R1 - r2_c / R2| over the C channels between nodes a and b. */
static double pair_mismatch(const oq_graph *g, const char *a, const char *b, int64_t C)
{
    uint32_t na = bu_find(g, a), nb = bu_find(g, b);
    double r1[64], r2[64], R1 = 0, R2 = 0, worst = 0;
    for (int64_t c = 0; c < C; c++) {
        r1[c] = out_range(g, na, c);
        r2[c] = in_range(g, nb, c);
        R1 = fmax(R1, r1[c]);
        R2 = fmax(R2, r2[c]);
    }
    for (int64_t c = 0; c < C; c++)
        worst = fmax(worst, fabs(r1[c] / R1 - r2[c] / R2));
    return worst;
}

static oq_rt_tensor chain_input(float *buf)
{
    uint32_t s = 777;
    bu_fill(buf, 600, &s, -1, 1);
    oq_rt_tensor t = {OQ_DT_FLOAT, {.rank = 4, .dim = {2, 3, 10, 10}}, buf};
    return t;
}

Test(equalize, keeps_function_and_equalizes_ranges)
{
    oq_graph *g = build_chain(false);
    float buf[600];
    oq_rt_tensor x = chain_input(buf);
    pt_outs before = {0}, after = {0};
    pt_run(g, &x, &before);
    /* the test can fail: before CLE the pairs are far from equal */
    cr_assert_gt(pair_mismatch(g, "conv1", "dw", 8), 0.1, "conv1/dw already equal?");
    cr_assert_gt(pair_mismatch(g, "dw", "conv3", 8), 0.1, "dw/conv3 already equal?");
    oq_options o = {.verify = true, .equalize = true};
    oq_diag d = {0};
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    pt_run(g, &x, &after);
    pt_compare(&after, &before, 1e-4, "equalize (chain)");
    const char *pairs[3][2] = {{"conv1", "dw"}, {"dw", "conv3"}, {"conv3", "fc"}};
    const int64_t C[3] = {8, 8, 6};
    for (int p = 0; p < 3; p++) {
        double m = pair_mismatch(g, pairs[p][0], pairs[p][1], C[p]);
        cr_expect_leq(m, 1e-3, "pair %s -> %s: max |r1/R1 - r2/R2| = %g", pairs[p][0],
                      pairs[p][1], m);
    }
    cr_expect_eq(pt_count_op(g, OQ_OP_Relu), 2, "activations untouched");
    pt_outs_free(&before);
    pt_outs_free(&after);
    oq_graph_free(g);
}

Test(equalize, off_by_default)
{
    oq_graph *g = build_chain(false);
    oq_options o = {.verify = true};
    oq_diag d = {0};
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    cr_expect_gt(pair_mismatch(g, "conv1", "dw", 8), 0.1);
    cr_expect_str_eq(g->values[g->nodes[bu_find(g, "dw")].in[1]].name, "W2");
    oq_graph_free(g);
}

Test(equalize, relu6_pairs_skipped_unless_asked)
{
    float buf[600];
    oq_rt_tensor x = chain_input(buf);
    /* equalize: the Clip(0, 6) pair is left alone, the function is kept */
    oq_graph *g = build_chain(true);
    pt_outs before = {0}, after = {0};
    pt_run(g, &x, &before);
    oq_options o = {.verify = true, .equalize = true};
    oq_diag d = {0};
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    pt_run(g, &x, &after);
    pt_compare(&after, &before, 1e-4, "equalize (chain with Relu6)");
    cr_expect_eq(pt_count_op(g, OQ_OP_Clip), 1);
    cr_expect_gt(pair_mismatch(g, "conv1", "dw", 8), 0.1, "Relu6 pair was rescaled");
    cr_expect_leq(pair_mismatch(g, "dw", "conv3", 8), 1e-3);
    pt_outs_free(&before);
    pt_outs_free(&after);
    oq_graph_free(g);
    /* equalize_relu6: the Clip becomes Relu and the pair is equalized (with a warning) */
    g = build_chain(true);
    oq_options o6 = {.verify = true, .equalize = true, .equalize_relu6 = true};
    d = (oq_diag){0};
    cr_assert_eq(oq_run_passes(g, &o6, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(pt_count_op(g, OQ_OP_Clip), 0);
    cr_expect_eq(pt_count_op(g, OQ_OP_Relu), 2);
    cr_expect_eq(d.nwarn, 1, "one warning about the replaced Clip");
    cr_expect_leq(pair_mismatch(g, "conv1", "dw", 8), 1e-3);
    oq_graph_free(g);
}

/* Channels c of the pair a -> b with r1_c == r2_c within 1e-3 relative. */
static int equal_channels(const oq_graph *g, const char *a, const char *b, int64_t C)
{
    int k = 0;
    for (int64_t c = 0; c < C; c++) {
        double r1 = out_range(g, bu_find(g, a), c), r2 = in_range(g, bu_find(g, b), c);
        k += fabs(r1 - r2) <= 1e-3 * fmax(r1, r2);
    }
    return k;
}

/* With samples (written as .npy), the Relu6 pair is rescaled only as far as the Clip allows:
 * outputs on those samples stay within 1e-4, the Clip stays, channels whose pre-activation
 * reached 6 keep their scale (here the widest), most others are equalized (a channel may stop
 * at the headroom bound: calibration max <= 6 / 2). */
Test(equalize, relu6_pairs_exact_on_samples)
{
    char dir[] = "/tmp/oq_eq_XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    float buf[4][600];
    const oq_shape xs = {.rank = 4, .dim = {2, 3, 10, 10}};
    for (int i = 0; i < 4; i++) {
        uint32_t s = 31u + (uint32_t)i;
        bu_fill(buf[i], 600, &s, -0.25f, 0.25f);   /* headroom below 6 for most channels */
        snprintf(path, sizeof path, "%s/s%d.npy", dir, i);
        oq_diag d = {0};
        cr_assert_eq(oq_write_npy(path, OQ_DT_FLOAT, &xs, buf[i], &d), OQ_OK, "%s", d.msg);
    }
    oq_graph *g = build_chain(true);
    pt_outs before[4] = {0}, after = {0};
    for (int i = 0; i < 4; i++) {
        oq_rt_tensor x = {OQ_DT_FLOAT, xs, buf[i]};
        pt_run(g, &x, &before[i]);
    }
    int eq0 = equal_channels(g, "conv1", "dw", 8);
    const char *spec[] = {dir};
    oq_calib_data data = {.spec = spec, .nspec = 1};
    oq_options o = {.verify = true, .equalize = true, .samples = &data};
    oq_diag d = {0};
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    for (int i = 0; i < 4; i++) {
        oq_rt_tensor x = {OQ_DT_FLOAT, xs, buf[i]};
        pt_run(g, &x, &after);
        pt_compare(&after, &before[i], 1e-4, "equalize with samples (Relu6 chain)");
        pt_outs_free(&after);
        pt_outs_free(&before[i]);
    }
    int eq1 = equal_channels(g, "conv1", "dw", 8);
    cr_log_info("Relu6 pair with samples: channels with r1 == r2: %d -> %d of 8", eq0, eq1);
    cr_expect_eq(pt_count_op(g, OQ_OP_Clip), 1, "the Clip stays");
    cr_expect_eq(eq0, 0);
    cr_expect_geq(eq1, 5, "channels within the Clip's headroom equalized: %d", eq1);
    cr_expect_lt(eq1, 8, "channels that reached 6 must keep their scale");
    cr_expect_leq(pair_mismatch(g, "dw", "conv3", 8), 1e-3);
    oq_graph_free(g);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/s%d.npy", dir, i);
        unlink(path);
    }
    rmdir(dir);
}

static const int64_t img[] = {1, 28, 28};

Test(equalize, fashion_cnn_keeps_outputs)
{
    const char *path = PT_EX "fashion_cnn.onnx";
    if (access(path, R_OK) != 0)
        cr_skip_test("%s missing", path);
    oq_graph *g = pt_import(path, "input", 100, img, 3);
    oq_rt_tensor x = pt_load(g, PT_EX "test100_input.npy");
    pt_outs before = {0}, after = {0};
    pt_run(g, &x, &before);
    oq_options o = {.verify = true, .equalize = true};
    oq_diag d = {0};
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    pt_run(g, &x, &after);
    pt_compare(&after, &before, 1e-4, "equalize (fashion_cnn)");
    int rescaled = 0;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->op == OQ_OP_Conv || nd->op == OQ_OP_Gemm) {
            const char *wn = g->values[nd->in[1]].name;
            rescaled += strstr(wn, "_cle") != NULL;
        }
    }
    cr_expect_eq(rescaled, 4, "3 Conv + Gemm rescaled (MaxPool, Flatten crossed), got %d",
                 rescaled);
    pt_outs_free(&before);
    pt_outs_free(&after);
    oq_graph_free(g);
}
