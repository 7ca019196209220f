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
