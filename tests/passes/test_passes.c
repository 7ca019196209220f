/* Graph passes on real exported models: each pass (and the whole float pipeline) keeps the fp32
 * outputs within 1e-4 relative (interpreter before vs after), plus structural checks on
 * hand-built graphs (what each pass must do). Models: Debian libonnx-testdata's
 * pytorch-converted set and examples/fashion_cnn.onnx. */
#include "pt_util.h"

typedef oq_status (*pass_fn)(oq_graph *, const oq_options *, oq_diag *);

static const struct {
    const char *name;
    pass_fn fn;
} passes[] = {
    {"canonicalize", pass_canonicalize}, {"constfold", pass_constfold}, {"dce", pass_dce},
    {"cse", pass_cse},                   {"bnfold", pass_bnfold},       {"fuse", pass_fuse},
};

static const char *const models[] = {
    "test_BatchNorm1d_3d_input_eval", "test_BatchNorm2d_eval", "test_BatchNorm2d_momentum_eval",
    "test_BatchNorm3d_eval", "test_Conv2d", "test_Conv2d_groups", "test_Conv2d_depthwise_strided",
    "test_Conv2d_no_bias", "test_ConvTranspose2d", "test_Linear", "test_Linear_no_bias",
    "test_ReLU", "test_MaxPool2d", "test_Softmax", "test_PixelShuffle", "test_LeakyReLU",
};

/* Runs one pass (or all when fn is NULL) on model m and compares the outputs. */
static void check_model(const char *dir, pass_fn fn, const char *what)
{
    char path[512], in[512];
    snprintf(path, sizeof path, PT_DATA "%s/model.onnx", dir);
    snprintf(in, sizeof in, PT_DATA "%s/test_data_set_0/input_0.pb", dir);
    if (access(path, R_OK) != 0)
        cr_skip_test("%s missing", path);
    oq_graph *g = pt_import(path, NULL, 0, NULL, 0);
    oq_rt_tensor x = pt_load(g, in);
    pt_outs before = {0}, after = {0};
    pt_run(g, &x, &before);
    oq_options o = {.verify = true};
    oq_diag d = {0};
    oq_status st = fn ? fn(g, &o, &d) : oq_run_passes(g, &o, &d);
    cr_assert_eq(st, OQ_OK, "%s on %s: %s", what, dir, d.msg);
    pt_run(g, &x, &after);
    char msg[256];
    snprintf(msg, sizeof msg, "%s on %s", what, dir);
    pt_compare(&after, &before, 1e-4, msg);
    pt_outs_free(&before);
    pt_outs_free(&after);
    oq_graph_free(g);
}

Test(passes, each_pass_keeps_outputs_on_pytorch_models)
{
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++)
        for (size_t p = 0; p < sizeof passes / sizeof passes[0]; p++)
            check_model(models[m], passes[p].fn, passes[p].name);
}

Test(passes, pipeline_keeps_outputs_on_pytorch_models)
{
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++)
        check_model(models[m], NULL, "pipeline");
}

static const int64_t img[] = {1, 28, 28};

/* fashion_cnn: first 16 test images, each pass then the whole pipeline. */
Test(passes, fashion_cnn_pipeline)
{
    const char *path = PT_EX "fashion_cnn.onnx";
    if (access(path, R_OK) != 0)
        cr_skip_test("%s missing", path);
    for (size_t p = 0; p <= sizeof passes / sizeof passes[0]; p++) {
        oq_graph *g = pt_import(path, "input", 100, img, 3);
        oq_rt_tensor x = pt_load(g, PT_EX "test100_input.npy");
        pt_outs before = {0}, after = {0};
        pt_run(g, &x, &before);
        oq_options o = {.verify = true};
        oq_diag d = {0};
        bool all = p == sizeof passes / sizeof passes[0];
        oq_status st = all ? oq_run_passes(g, &o, &d) : passes[p].fn(g, &o, &d);
        const char *what = all ? "pipeline" : passes[p].name;
        cr_assert_eq(st, OQ_OK, "%s: %s", what, d.msg);
        if (all) {
            cr_expect_eq(pt_count_op(g, OQ_OP_BatchNormalization), 0, "BN folded");
            int fused = 0;
            for (uint32_t n = 0; n < g->nnode; n++)
                fused += g->nodes[n].op == OQ_OP_Conv && ir_attr_int(&g->nodes[n], "onnxq_fused", 0);
            cr_expect_eq(fused, 3, "3 Conv+Relu fused, got %d", fused);
        }
        pt_run(g, &x, &after);
        pt_compare(&after, &before, 1e-4, what);
        pt_outs_free(&before);
        pt_outs_free(&after);
        oq_graph_free(g);
    }
}

/* ---- structural checks on hand-built graphs ---- */

static uint32_t add_in(oq_graph *g, const char *name, int r, const int64_t *dims)
{
    oq_shape s = {.rank = r};
    for (int i = 0; i < r; i++)
        s.dim[i] = dims[i];
    uint32_t v = ir_add_value(g, name, OQ_DT_FLOAT, &s);
    g->values[v].is_input = true;
    uint32_t *in = oq_arena_alloc(&g->arena, (g->ninput + 1) * sizeof *in);
    if (g->ninput)
        memcpy(in, g->inputs, g->ninput * sizeof *in);
    in[g->ninput++] = v;
    g->inputs = in;
    return v;
}

static uint32_t add_c(oq_graph *g, const char *name, int r, const int64_t *dims, const float *x)
{
    oq_shape s = {.rank = r};
    for (int i = 0; i < r; i++)
        s.dim[i] = dims[i];
    return oq_add_const(g, name, OQ_DT_FLOAT, &s, x);
}

static uint32_t add_v(oq_graph *g, const char *name)
{
    return ir_add_value(g, name, OQ_DT_FLOAT, NULL);
}

static void set_out(oq_graph *g, uint32_t v)
{
    uint32_t *o = oq_arena_alloc(&g->arena, (g->noutput + 1) * sizeof *o);
    if (g->noutput)
        memcpy(o, g->outputs, g->noutput * sizeof *o);
    o[g->noutput++] = v;
    g->outputs = o;
    g->values[v].is_output = true;
}

static void infer(oq_graph *g)
{
    oq_diag d = {0};
    ir_fill_uses(g);
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
}

Test(passes, canonicalize_linear_clip_identity)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    const int64_t xd[] = {2, 4}, wd[] = {4, 3}, bd[] = {3}, sd[] = {1};
    float w[12], b[3] = {0.5f, -1, 2}, zero = 0, inf = INFINITY;
    for (int i = 0; i < 12; i++)
        w[i] = (float)(i % 5) - 2.0f;
    uint32_t x = add_in(g, "x", 2, xd);
    uint32_t W = add_c(g, "W", 2, wd, w), B = add_c(g, "B", 1, bd, b);
    uint32_t lo = add_c(g, "lo", 0, sd, &zero), hi = add_c(g, "hi", 0, sd, &inf);
    uint32_t m = add_v(g, "m"), a = add_v(g, "a"), i = add_v(g, "i"), y = add_v(g, "y");
    ir_add_node(g, OQ_OP_MatMul, "mm", (uint32_t[]){x, W}, 2, &m, 1);
    ir_add_node(g, OQ_OP_Add, "add", (uint32_t[]){m, B}, 2, &a, 1);
    ir_add_node(g, OQ_OP_Identity, "id", &a, 1, &i, 1);
    ir_add_node(g, OQ_OP_Clip, "clip", (uint32_t[]){i, lo, hi}, 3, &y, 1);
    set_out(g, y);
    infer(g);
    float xin[8] = {1, -2, 3, 0.5f, -1, 0, 2, 1};
    oq_rt_tensor t = {OQ_DT_FLOAT, g->values[x].shape, xin};
    pt_outs before = {0}, after = {0};
    pt_run(g, &t, &before);
    oq_options o = {.verify = true};
    oq_diag d = {0};
    cr_assert_eq(pass_canonicalize(g, &o, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->nnode, 2u, "Gemm + Relu remain, got %u nodes", g->nnode);
    cr_expect_eq(pt_count_op(g, OQ_OP_Gemm), 1);
    cr_expect_eq(pt_count_op(g, OQ_OP_Relu), 1);
    cr_expect_eq(pt_count_op(g, OQ_OP_Identity) + pt_count_op(g, OQ_OP_MatMul), 0);
    pt_run(g, &t, &after);
    pt_compare(&after, &before, 1e-6, "canonicalize");
    pt_outs_free(&before);
    pt_outs_free(&after);
    oq_graph_free(g);
}

Test(passes, cse_and_dce)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    const int64_t xd[] = {3}, sd[] = {1};
    float two = 2, two_again = 2;
    uint32_t x = add_in(g, "x", 1, xd);
    uint32_t c1 = add_c(g, "c1", 0, sd, &two), c2 = add_c(g, "c2", 0, sd, &two_again);
    uint32_t p = add_v(g, "p"), q = add_v(g, "q"), r = add_v(g, "r"), dead = add_v(g, "dead");
    ir_add_node(g, OQ_OP_Mul, "m1", (uint32_t[]){x, c1}, 2, &p, 1);
    ir_add_node(g, OQ_OP_Mul, "m2", (uint32_t[]){x, c2}, 2, &q, 1); /* same after const merge */
    ir_add_node(g, OQ_OP_Add, "sum", (uint32_t[]){p, q}, 2, &r, 1);
    ir_add_node(g, OQ_OP_Neg, "unused", &x, 1, &dead, 1);
    set_out(g, r);
    infer(g);
    oq_options o = {.verify = true};
    oq_diag d = {0};
    cr_assert_eq(pass_cse(g, &o, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(pt_count_op(g, OQ_OP_Mul), 1, "equal Mul nodes merged");
    const oq_node *s = NULL;
    for (uint32_t n = 0; n < g->nnode; n++)
        if (g->nodes[n].op == OQ_OP_Add)
            s = &g->nodes[n];
    cr_assert(s);
    cr_expect_eq(s->in[0], s->in[1], "Add reads the one Mul twice");
    cr_assert_eq(pass_dce(g, &o, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(pt_count_op(g, OQ_OP_Neg), 0, "unused branch removed");
    cr_expect_eq(g->nnode, 2u);
    oq_graph_free(g);
}

Test(passes, bnfold_shared_producer_becomes_mul_add)
{
    /* Conv output used by BN and by the graph output: cannot fold, BN -> Mul + Add */
    oq_graph *g = oq_graph_new(NULL, NULL);
    const int64_t xd[] = {1, 2, 3, 3}, wd[] = {2, 2, 1, 1}, cd[] = {2};
    float w[4] = {1, 2, -1, 0.5f}, sc[2] = {2, 0.5f}, bb[2] = {1, -1}, mean[2] = {0.1f, 0.2f},
          var[2] = {4, 0.25f};
    uint32_t x = add_in(g, "x", 4, xd);
    uint32_t W = add_c(g, "W", 4, wd, w);
    uint32_t S = add_c(g, "s", 1, cd, sc), Bb = add_c(g, "b", 1, cd, bb);
    uint32_t M = add_c(g, "mean", 1, cd, mean), V = add_c(g, "var", 1, cd, var);
    uint32_t c = add_v(g, "c"), y = add_v(g, "y");
    ir_add_node(g, OQ_OP_Conv, "conv", (uint32_t[]){x, W}, 2, &c, 1);
    ir_add_node(g, OQ_OP_BatchNormalization, "bn", (uint32_t[]){c, S, Bb, M, V}, 5, &y, 1);
    set_out(g, y);
    set_out(g, c);
    infer(g);
    float xin[18];
    for (int i = 0; i < 18; i++)
        xin[i] = (float)i * 0.25f - 2.0f;
    oq_rt_tensor t = {OQ_DT_FLOAT, g->values[x].shape, xin};
    pt_outs before = {0}, after = {0};
    pt_run(g, &t, &before);
    oq_options o = {.verify = true};
    oq_diag d = {0};
    cr_assert_eq(pass_bnfold(g, &o, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(pt_count_op(g, OQ_OP_BatchNormalization), 0);
    cr_expect_eq(pt_count_op(g, OQ_OP_Mul), 1);
    cr_expect_eq(pt_count_op(g, OQ_OP_Add), 1);
    pt_run(g, &t, &after);
    pt_compare(&after, &before, 1e-5, "bn -> mul+add");
    pt_outs_free(&before);
    pt_outs_free(&after);
    oq_graph_free(g);
}

Test(passes, pipeline_names_and_stop_after)
{
    const char *const *names = oq_pass_names();
    cr_expect_str_eq(names[0], "canonicalize");
    cr_expect_not_null(oq_pass_description("bnfold"));
    cr_expect_null(oq_pass_description("nope"));
    const char *path = PT_DATA "test_BatchNorm2d_eval/model.onnx";
    if (access(path, R_OK) != 0)
        cr_skip_test("%s missing", path);
    oq_graph *g = pt_import(path, NULL, 0, NULL, 0);
    oq_diag d = {0};
    oq_options bad = {.stop_after = "nope"};
    cr_expect_eq(oq_run_passes(g, &bad, &d), OQ_ERR_USAGE);
    cr_expect(strstr(d.msg, "nope") != NULL, "%s", d.msg);
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    oq_options o = {.stop_after = "dce", .dump_after = "dce", .dump_file = f};
    d = (oq_diag){0};
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    fclose(f);
    cr_expect(strstr(buf, "BatchNormalization") != NULL, "stopped before bnfold:\n%s", buf);
    oq_graph_free(g);
}

Test(passes, constfold_evaluates_constant_subgraphs)
{
    /* y = x * (Sqrt(c1) + c2): Sqrt and Add are folded into one constant, Mul stays */
    oq_graph *g = oq_graph_new(NULL, NULL);
    const int64_t xd[] = {4}, cd[] = {4};
    float c1[4] = {4, 9, 16, 25}, c2[4] = {1, 1, 1, -1};
    uint32_t x = add_in(g, "x", 1, xd);
    uint32_t a = add_c(g, "c1", 1, cd, c1), b = add_c(g, "c2", 1, cd, c2);
    uint32_t s = add_v(g, "s"), t = add_v(g, "t"), y = add_v(g, "y");
    ir_add_node(g, OQ_OP_Sqrt, "sqrt", &a, 1, &s, 1);
    ir_add_node(g, OQ_OP_Add, "add", (uint32_t[]){s, b}, 2, &t, 1);
    ir_add_node(g, OQ_OP_Mul, "mul", (uint32_t[]){x, t}, 2, &y, 1);
    set_out(g, y);
    infer(g);
    oq_options o = {.verify = true};
    oq_diag d = {0};
    cr_assert_eq(pass_constfold(g, &o, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->nnode, 1u, "only Mul remains, got %u nodes", g->nnode);
    cr_assert_eq(g->nodes[0].op, OQ_OP_Mul);
    const float *k = g->values[g->nodes[0].in[1]].data;
    cr_assert_not_null(k);
    const float want[4] = {3, 4, 5, 4};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(k[i], want[i], "folded[%d] = %g want %g", i, k[i], want[i]);
    oq_graph_free(g);
}
