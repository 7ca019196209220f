/* Importer on real models from Debian's libonnx-testdata: shapes, attributes, constants,
 * initializers that are also inputs, name synthesis, shape overrides, unknown-op listing. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "fe_test.h"

#define MODEL(rel) OQ_TESTDATA "/" rel "/model.onnx"

/* Imports a conformance model; fails the test with the message on error. */
static oq_graph *load(const char *path)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    oq_import_opts o = {0};
    oq_status st = oq_import_onnx(path, &o, &g, &d);
    cr_assert_eq(st, OQ_OK, "%s: %s", path, d.msg);
    cr_assert_not_null(g);
    return g;
}

static void expect_shape(const oq_graph *g, uint32_t v, int rank, const int64_t *dims)
{
    const oq_value *val = &g->values[v];
    cr_assert_eq(val->shape.rank, rank, "%s: rank %d want %d", val->name, val->shape.rank, rank);
    for (int i = 0; i < rank; i++)
        cr_expect_eq(val->shape.dim[i], dims[i], "%s: dim %d: got %lld want %lld", val->name, i,
                     (long long)val->shape.dim[i], (long long)dims[i]);
}

Test(frontend, conv_attrs_and_input_shapes)
{
    oq_graph *g = load(MODEL("node/test_conv_with_strides_padding"));
    cr_assert_eq(g->opset, 11);
    cr_assert_eq(g->ir_version, 6);
    cr_assert_eq(g->ninput, 2);
    cr_assert_eq(g->noutput, 1);
    expect_shape(g, g->inputs[0], 4, (int64_t[]){1, 1, 7, 5});
    expect_shape(g, g->inputs[1], 4, (int64_t[]){1, 1, 3, 3});
    cr_assert_eq(g->nnode, 1);
    const oq_node *n = &g->nodes[0];
    cr_assert_eq(n->op, OQ_OP_Conv);
    cr_assert_str_eq(n->op_type, "Conv");
    const int64_t *v;
    cr_assert_eq(ir_attr_ints(n, "strides", &v), 2);
    cr_expect(v[0] == 2 && v[1] == 2);
    cr_assert_eq(ir_attr_ints(n, "pads", &v), 4);
    cr_expect(v[0] == 1 && v[1] == 1 && v[2] == 1 && v[3] == 1);
    cr_assert_eq(ir_attr_ints(n, "kernel_shape", &v), 2);
    cr_expect(v[0] == 3 && v[1] == 3);
    cr_expect_eq(ir_attr(n, "strides")->type, OQ_ATTR_INTS);
    oq_graph_free(g);
}

/* pytorch-converted (IR 3, opset 6): initializers are listed as inputs too; they must come
 * out as constants, leaving only the real input. Values checked against onnx.numpy_helper. */
Test(frontend, initializers_listed_as_inputs_are_constants)
{
    oq_graph *g = load(MODEL("pytorch-converted/test_Conv2d"));
    cr_assert_eq(g->ir_version, 3);
    cr_assert_eq(g->opset, 6);
    cr_assert_eq(g->ninput, 1, "only '0' is a real input, got %u", g->ninput);
    cr_assert_str_eq(g->values[g->inputs[0]].name, "0");
    uint32_t w = fe_value(g, "1"), b = fe_value(g, "2");
    cr_expect_not(g->values[w].is_input);
    cr_assert_not_null(g->values[w].data);
    cr_assert_eq(g->values[w].dtype, OQ_DT_FLOAT);
    expect_shape(g, w, 4, (int64_t[]){4, 3, 3, 2});
    expect_shape(g, b, 1, (int64_t[]){4});
    cr_expect_eq(((uintptr_t)g->values[w].data) % 64, 0, "constant data is 64-byte aligned");
    const int64_t *k;
    cr_assert_eq(ir_attr_int(&g->nodes[0], "group", -1), 1);
    cr_assert_eq(ir_attr_ints(&g->nodes[0], "kernel_shape", &k), 2);
    cr_expect(k[0] == 3 && k[1] == 2);
    oq_graph_free(g);
}

/* The same bytes through the tensor reader: an initializer equals the file's test input. */
Test(frontend, initializer_bytes_match_raw_file)
{
    oq_graph *g = load(MODEL("pytorch-converted/test_Conv2d"));
    uint32_t w = fe_value(g, "1");
    size_t nb = ir_value_nbytes(g, w);
    cr_assert_eq(nb, 4u * 3 * 3 * 2 * 4);
    /* checksum of the weights, independent of any layout assumption beyond raw float32 */
    double sum = 0;
    const float *p = g->values[w].data;
    for (size_t i = 0; i < nb / 4; i++)
        sum += p[i];
    cr_expect(sum == sum && sum > -1e6 && sum < 1e6, "weights are finite");
    oq_graph_free(g);
}

Test(frontend, empty_node_names_are_synthesized)
{
    oq_graph *g = load(MODEL("node/test_relu"));
    cr_assert_eq(g->nnode, 1);
    cr_expect_str_eq(g->nodes[0].name, "Relu_0");
    oq_graph_free(g);
}

Test(frontend, relu_shape_inferred)
{
    oq_graph *g = load(MODEL("node/test_relu"));
    expect_shape(g, g->outputs[0], 3, (int64_t[]){3, 4, 5});
    cr_expect_eq(g->values[g->outputs[0]].dtype, OQ_DT_FLOAT);
    cr_expect(g->values[g->outputs[0]].is_output);
    oq_graph_free(g);
}

/* Every conformance model either imports or fails with a message naming the file; never a
 * crash. The count of imported models is a floor against regressions. */
Test(frontend, every_conformance_model_imports_or_says_why, .timeout = 120)
{
    static const char *const sets[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    int ok = 0, failed = 0;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", OQ_TESTDATA, sets[s]);
        DIR *dp = opendir(dir);
        cr_assert_not_null(dp, "%s missing (package libonnx-testdata)", dir);
        struct dirent *e;
        while ((e = readdir(dp))) {
            if (e->d_name[0] == '.')
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s/model.onnx", dir, e->d_name);
            oq_diag d = {0};
            oq_graph *g = NULL;
            oq_import_opts o = {0};
            if (oq_import_onnx(path, &o, &g, &d) == OQ_OK) {
                ok++;
                oq_graph_free(g);
                continue;
            }
            failed++;
            cr_expect_null(g);
            cr_expect(strncmp(d.msg, path, strlen(path)) == 0, "message does not name the file: %s",
                      d.msg);
        }
        closedir(dp);
    }
    cr_log_info("conformance models: %d imported, %d refused", ok, failed);
    cr_expect_geq(ok, 450, "only %d models imported", ok);
}

Test(frontend, unknown_ops_kept_for_inspect)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    oq_import_opts o = {.allow_unknown_ops = true};
    cr_assert_eq(oq_import_onnx(MODEL("node/test_acos"), &o, &g, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(g->nnode, 1);
    cr_expect_eq(g->nodes[0].op, OQ_OP_UNKNOWN);
    cr_expect_str_eq(g->nodes[0].op_type, "Acos");
    oq_graph_free(g);
    oq_diag d2 = {0};
    o.allow_unknown_ops = false;
    cr_assert_eq(oq_import_onnx(MODEL("node/test_acos"), &o, &g, &d2), OQ_ERR_UNSUPPORTED_OP);
    cr_expect_null(g);
    cr_expect(strstr(d2.msg, "Acos") && strstr(d2.msg, "'Acos_0'"), "%s", d2.msg);
}

/* Two unknown types over three nodes, plus a foreign domain: one message lists them all. */
Test(frontend, all_unsupported_ops_in_one_message)
{
    fm *m = fm_new(8, 13);
    int64_t dims[] = {2};
    fm_input(m, "x", 1, 1, dims);
    fm_node(m, "Acos", "a1", "x", "y1");
    fm_node(m, "Relu", "r", "y1", "y2");
    fm_node(m, "Cosh", "c1", "y2", "y3");
    fm_node(m, "Acos", "a2", "y3", "y4");
    Onnx__NodeProto *ms = fm_node(m, "Gelu", "ms", "y4", "y5");
    ms->domain = fm_str(m, "com.microsoft");
    fm_output(m, "y5");
    oq_diag d = {0};
    oq_graph *g = NULL;
    char path[512];
    oq_status st = fm_import_file(m, "unknown_ops.onnx", NULL, &g, &d, path, sizeof path);
    cr_assert_eq(st, OQ_ERR_UNSUPPORTED_OP, "%s", d.msg);
    cr_expect(strstr(d.msg, path) == d.msg, "names the file: %s", d.msg);
    cr_expect(strstr(d.msg, "3 unsupported operator types"), "%s", d.msg);
    cr_expect(strstr(d.msg, "not in onnxq's op table"), "%s", d.msg);
    cr_expect(strstr(d.msg, "Acos (2 nodes: 'a1', 'a2')"), "%s", d.msg);
    cr_expect(strstr(d.msg, "Cosh (1 node: 'c1')"), "%s", d.msg);
    cr_expect(strstr(d.msg, "com.microsoft:Gelu (1 node: 'ms')"), "%s", d.msg);
    cr_expect_null(strstr(d.msg, "Relu"), "%s", d.msg);
    fm_free(m);
}

/* dim_param -> -1; --input-shape fixes it; an unknown name is a usage error listing inputs. */
Test(frontend, input_shape_override)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "data", 1, 2, (int64_t[]){-1, 4});
    fm_node(m, "Relu", "r", "data", "y");
    fm_output(m, "y");
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    expect_shape(g, g->inputs[0], 2, (int64_t[]){-1, 4});
    oq_graph_free(g);

    oq_input_shape is = {.name = "data", .shape = {.rank = 2, .dim = {8, 4}}};
    oq_import_opts o = {.shapes = &is, .nshapes = 1};
    cr_assert_eq(fm_import(m, &o, &g, &d), OQ_OK, "%s", d.msg);
    expect_shape(g, g->inputs[0], 2, (int64_t[]){8, 4});
    expect_shape(g, g->outputs[0], 2, (int64_t[]){8, 4});
    oq_graph_free(g);

    oq_input_shape bad = {.name = "dta", .shape = {.rank = 2, .dim = {8, 4}}};
    oq_import_opts ob = {.shapes = &bad, .nshapes = 1};
    oq_diag d2 = {0};
    cr_assert_eq(fm_import(m, &ob, &g, &d2), OQ_ERR_USAGE);
    cr_expect_null(g);
    cr_expect(strstr(d2.msg, "'dta'") && strstr(d2.msg, "'data'"), "%s", d2.msg);

    oq_input_shape rk = {.name = "data", .shape = {.rank = 3, .dim = {8, 4, 1}}};
    oq_import_opts orr = {.shapes = &rk, .nshapes = 1};
    oq_diag d3 = {0};
    cr_assert_eq(fm_import(m, &orr, &g, &d3), OQ_ERR_SHAPE, "%s", d3.msg);
    fm_free(m);
}

/* Nodes out of order in the file are sorted; the graph's nodes end topologically ordered. */
Test(frontend, unsorted_nodes_are_sorted)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){3});
    fm_node(m, "Neg", "second", "t", "y");
    fm_node(m, "Relu", "first", "x", "t");
    fm_output(m, "y");
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(g->nnode, 2);
    cr_expect_str_eq(g->nodes[0].name, "first");
    cr_expect_str_eq(g->nodes[1].name, "second");
    cr_expect_eq(g->values[fe_value(g, "t")].producer, 0);
    oq_graph_free(g);
    fm_free(m);
}

/* Attributes keep their ONNX types: INT stays INT, FLOATS stay FLOATS, strings are copied. */
Test(frontend, attribute_types)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 4, 4});
    Onnx__NodeProto *n = fm_node(m, "MaxPool", "mp", "x", "y");
    fm_attr_ints(m, n, "kernel_shape", 2, (int64_t[]){2, 2});
    fm_attr_int(m, n, "ceil_mode", 1);
    fm_attr_str(m, n, "auto_pad", "NOTSET");
    Onnx__NodeProto *l = fm_node(m, "LeakyRelu", "lr", "y", "z");
    fm_attr_float(m, l, "alpha", 0.25f);
    fm_output(m, "z");
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    const oq_node *mp = &g->nodes[fe_node_of_op(g, OQ_OP_MaxPool, 0)];
    cr_expect_eq(ir_attr(mp, "ceil_mode")->type, OQ_ATTR_INT);
    cr_expect_eq(ir_attr_int(mp, "ceil_mode", 0), 1);
    cr_expect_str_eq(ir_attr_str(mp, "auto_pad", ""), "NOTSET");
    const oq_node *lr = &g->nodes[fe_node_of_op(g, OQ_OP_LeakyRelu, 0)];
    cr_expect_eq(ir_attr_float(lr, "alpha", 0), 0.25f);
    oq_graph_free(g);
    fm_free(m);
}

/* External data: weights in a file beside the model (offset + length), read back exactly. */
Test(frontend, external_data)
{
    char dir[600], wpath[700];
    snprintf(dir, sizeof dir, "%s/ext_ok", fe_tmpdir());
    mkdir(dir, 0700);
    float w[6] = {1, -2, 3.5f, -4, 5, 6.25f};
    unsigned char file[64 + sizeof w] = {0};
    memcpy(file + 64, w, sizeof w);
    snprintf(wpath, sizeof wpath, "%s/weights.bin", dir);
    fe_write(wpath, file, sizeof file);

    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 3});
    Onnx__TensorProto *t = fm_init(m, "w", 1, 2, (int64_t[]){2, 3}, NULL, 0);
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    const char *kv[][2] = {{"location", "weights.bin"}, {"offset", "64"}, {"length", "24"}};
    t->n_external_data = 3;
    t->external_data = fm_alloc(m, 3 * sizeof *t->external_data);
    for (int i = 0; i < 3; i++) {
        Onnx__StringStringEntryProto *e = fm_alloc(m, sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = fm_str(m, kv[i][0]);
        e->value = fm_str(m, kv[i][1]);
        t->external_data[i] = e;
    }
    fm_node(m, "Add", "add", "x,w", "y");
    fm_output(m, "y");
    size_t len;
    uint8_t *buf = fm_pack(m, &len);
    char mpath[700];
    snprintf(mpath, sizeof mpath, "%s/model.onnx", dir);
    fe_write(mpath, buf, len);
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(mpath, NULL, &g, &d), OQ_OK, "%s", d.msg);
    uint32_t v = fe_value(g, "w");
    cr_assert_not_null(g->values[v].data);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(((float *)g->values[v].data)[i], w[i], "at [%d]", i);
    oq_graph_free(g);
    /* from memory without a folder: refused, not read from the working directory */
    oq_diag d2 = {0};
    cr_assert_eq(oq_import_onnx_mem(buf, len, NULL, NULL, &g, &d2), OQ_ERR_INVALID_MODEL);
    cr_expect(strstr(d2.msg, "weights.bin"), "%s", d2.msg);
    /* from memory with the folder: read */
    oq_diag d3 = {0};
    cr_assert_eq(oq_import_onnx_mem(buf, len, dir, NULL, &g, &d3), OQ_OK, "%s", d3.msg);
    oq_graph_free(g);
    fm_free(m);
}

/* inspect of unknown ops keeps their string-list attributes; wide nodes keep every input. */
Test(frontend, lenient_strings_and_wide_nodes)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 8, 1, (int64_t[]){2});
    Onnx__NodeProto *n = fm_node(m, "StringNormalizer", "sn", "x", "y");
    Onnx__AttributeProto *a = fm_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = fm_str(m, "stopwords");
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    a->n_strings = 2;
    a->strings = fm_alloc(m, 2 * sizeof *a->strings);
    a->strings[0] = (ProtobufCBinaryData){3, (uint8_t *)fm_str(m, "the")};
    a->strings[1] = (ProtobufCBinaryData){1, (uint8_t *)fm_str(m, "a")};
    n->n_attribute = 1;
    n->attribute = fm_alloc(m, sizeof *n->attribute);
    n->attribute[0] = a;
    fm_output(m, "y");
    oq_import_opts o = {.allow_unknown_ops = true};
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, &o, &g, &d), OQ_OK, "%s", d.msg);
    const oq_attr *at = ir_attr(&g->nodes[0], "stopwords");
    cr_assert_not_null(at);
    cr_assert_eq(at->type, OQ_ATTR_STRINGS);
    cr_assert_eq(at->n, 2);
    cr_expect_str_eq(at->strings[0], "the");
    cr_expect_str_eq(at->strings[1], "a");
    oq_graph_free(g);
    fm_free(m);

    enum { W = 3000 };
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){1});
    static char ins[W * 2 + 1];
    ins[0] = 'x';
    for (int i = 1; i < W; i++)
        memcpy(ins + 1 + 2 * (i - 1), ",x", 2);
    ins[2 * W - 1] = 0;
    fm_attr_int(m, fm_node(m, "Concat", "wide", ins, "y"), "axis", 0);
    fm_output(m, "y");
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->nodes[0].nin, W);
    cr_expect_eq(g->values[g->outputs[0]].shape.dim[0], W);
    oq_graph_free(g);
    fm_free(m);
}

static int nwarn_seen;
static char last_warn[1024];
static void grab_warn(void *ctx, const char *msg)
{
    (void)ctx;
    nwarn_seen++;
    snprintf(last_warn, sizeof last_warn, "%s", msg);
}

Test(frontend, input_shape_override_checks)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 4});
    fm_node(m, "Relu", "r", "x", "y");
    fm_output(m, "y");
    oq_graph *g = NULL;
    oq_input_shape s1 = {.name = "x", .shape = {.rank = 2, .dim = {2, -4}}};
    oq_import_opts o1 = {.shapes = &s1, .nshapes = 1};
    oq_diag d1 = {0};
    cr_expect_eq(fm_import(m, &o1, &g, &d1), OQ_ERR_USAGE);
    cr_expect(strstr(d1.msg, "negative"), "%s", d1.msg);
    oq_input_shape s2 = {.name = "x", .shape = {.rank = 2, .dim = {1LL << 40, 1LL << 40}}};
    oq_import_opts o2 = {.shapes = &s2, .nshapes = 1};
    oq_diag d2 = {0};
    cr_expect_eq(fm_import(m, &o2, &g, &d2), OQ_ERR_USAGE);
    cr_expect(strstr(d2.msg, "overflows"), "%s", d2.msg);
    /* changing a fixed dim works and warns */
    oq_input_shape s3 = {.name = "x", .shape = {.rank = 2, .dim = {3, 4}}};
    oq_import_opts o3 = {.shapes = &s3, .nshapes = 1};
    oq_diag d3 = {.warn = grab_warn};
    nwarn_seen = 0;
    cr_assert_eq(fm_import(m, &o3, &g, &d3), OQ_OK, "%s", d3.msg);
    cr_expect_eq(nwarn_seen, 1);
    cr_expect(strstr(last_warn, "changed from 2 to 3"), "%s", last_warn);
    cr_expect_eq(g->values[g->outputs[0]].shape.dim[0], 3);
    oq_graph_free(g);
    fm_free(m);
}

Test(frontend, sparse_initializer_and_output_count)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r", "x", "y");
    fm_output(m, "y");
    Onnx__GraphProto *gp = fm_model(m)->graph;
    Onnx__SparseTensorProto *sp = fm_alloc(m, sizeof *sp);
    onnx__sparse_tensor_proto__init(sp);
    sp->values = fm_tensor(m, 1, 1, (int64_t[]){1}, (float[]){1}, 4);
    sp->values->name = fm_str(m, "sw");
    gp->n_sparse_initializer = 1;
    gp->sparse_initializer = fm_alloc(m, sizeof *gp->sparse_initializer);
    gp->sparse_initializer[0] = sp;
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_expect_eq(fm_import(m, NULL, &g, &d), OQ_ERR_UNSUPPORTED_ATTR, "%s", d.msg);
    cr_expect(strstr(d.msg, "sparse") && strstr(d.msg, "'sw'"), "%s", d.msg);
    fm_free(m);

    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Add", "two_out", "x,x", "y,z");
    fm_output(m, "y");
    oq_diag d2 = {0};
    cr_expect_eq(fm_import(m, NULL, &g, &d2), OQ_ERR_INVALID_MODEL, "%s", d2.msg);
    cr_expect(strstr(d2.msg, "node 'two_out' (Add)") && strstr(d2.msg, "2 outputs"), "%s",
              d2.msg);
    fm_free(m);
}

/* A graph output declared with another shape or type than inference computes: a warning each,
 * the inferred type wins; a matching declaration is silent. */
Test(frontend, declared_output_mismatch_warns)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r", "x", "y");
    fm_node(m, "Neg", "n", "x", "z");
    fm_node(m, "Abs", "a", "x", "w");
    fm_output_typed(m, "y", 1, 1, (int64_t[]){5});
    fm_output_typed(m, "z", 7, 1, (int64_t[]){2});
    fm_output_typed(m, "w", 1, 1, (int64_t[]){-1});
    oq_diag d = {.warn = grab_warn};
    oq_graph *g = NULL;
    nwarn_seen = 0;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(nwarn_seen, 2, "one warning per mismatching output (got %d)", nwarn_seen);
    cr_expect(strstr(last_warn, "'z'") && strstr(last_warn, "declared int64"), "%s", last_warn);
    cr_expect_eq(g->values[fe_value(g, "y")].shape.dim[0], 2);
    cr_expect_eq(g->values[fe_value(g, "z")].dtype, OQ_DT_FLOAT);
    oq_graph_free(g);
    fm_free(m);
}
