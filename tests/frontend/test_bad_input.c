/* Hostile and broken models: each gets one status and one message that
 * names the file (and the node/op where there is one); nothing crashes, hangs or reads out
 * of bounds (the sanitizer build runs these too). Models are built in the test with the
 * protobuf-c API or by hand as raw bytes, written to a temp folder, imported by path. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fe_test.h"

#define MODEL(rel) OQ_TESTDATA "/" rel "/model.onnx"

/* Imports m from <tmp>/<file>; expects status st, a message starting with the path and
 * containing each non-NULL needle. */
static void expect_bad(fm *m, const char *file, oq_status st, const char *n1, const char *n2)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    char path[512];
    oq_status got = fm_import_file(m, file, NULL, &g, &d, path, sizeof path);
    cr_expect_eq(got, st, "%s: status '%s' want '%s': %s", file, oq_status_str(got),
                 oq_status_str(st), d.msg);
    cr_expect_null(g, "%s: graph returned on error", file);
    cr_expect_eq(d.status, got);
    cr_expect(strncmp(d.msg, path, strlen(path)) == 0, "%s: message does not name the file: %s",
              file, d.msg);
    if (n1)
        cr_expect(strstr(d.msg, n1), "%s: message lacks '%s': %s", file, n1, d.msg);
    if (n2)
        cr_expect(strstr(d.msg, n2), "%s: message lacks '%s': %s", file, n2, d.msg);
    if (g)
        oq_graph_free(g);
}

/* Writes raw bytes as <tmp>/<file> and imports them. */
static oq_status import_bytes(const char *file, const void *p, size_t n, oq_diag *d, char *path)
{
    snprintf(path, 512, "%s/%s", fe_tmpdir(), file);
    fe_write(path, p, n);
    oq_graph *g = NULL;
    oq_status st = oq_import_onnx(path, NULL, &g, d);
    cr_expect((st == OQ_OK) == (g != NULL));
    oq_graph_free(g);
    return st;
}

/* A one-node Relu model: x[2,3] -> y. */
static fm *relu_model(void)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 3});
    fm_node(m, "Relu", "relu", "x", "y");
    fm_output(m, "y");
    return m;
}

Test(frontend_bad, truncated_file)
{
    size_t len;
    unsigned char *buf = fe_slurp(MODEL("pytorch-converted/test_Conv2d"), &len);
    int refused = 0;
    for (size_t cut = 1; cut < len; cut += len / 37 + 1) {
        oq_diag d = {0};
        char path[512];
        oq_status st = import_bytes("truncated.onnx", buf, cut, &d, path);
        if (st != OQ_OK) {
            refused++;
            cr_expect(strncmp(d.msg, path, strlen(path)) == 0, "cut %zu: %s", cut, d.msg);
        }
    }
    cr_expect_gt(refused, 30, "truncations must be refused (%d)", refused);
    oq_diag d = {0};
    char path[512];
    cr_expect_eq(import_bytes("half.onnx", buf, len / 2, &d, path), OQ_ERR_INVALID_MODEL, "%s",
                 d.msg);
    cr_expect(strstr(d.msg, "truncated or corrupted"), "%s", d.msg);
    free(buf);
}

/* Deterministic byte corruption over a real model (in memory): never a crash; every
 * refusal carries a status and a message. */
Test(frontend_bad, corrupted_bytes)
{
    size_t len;
    unsigned char *buf = fe_slurp(MODEL("node/test_conv_with_strides_padding"), &len);
    unsigned char *m = malloc(len);
    uint32_t seed = 12345;
    for (int it = 0; it < 3000; it++) {
        memcpy(m, buf, len);
        for (int k = 0; k < 1 + it % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            m[pos] = (unsigned char)(seed >> 16);
        }
        oq_diag d = {0};
        oq_graph *g = NULL;
        for (int lenient = 0; lenient < 2; lenient++) {
            oq_import_opts o = {.allow_unknown_ops = lenient};
            oq_status st = oq_import_onnx_mem(m, len, NULL, &o, &g, &d);
            if (st == OQ_OK)
                oq_graph_free(g);
            else
                cr_assert(d.msg[0] && g == NULL, "iteration %d: status %d without message", it, st);
        }
    }
    free(m);
    free(buf);
}

Test(frontend_bad, initializer_dims_overflow)
{
    fm *m = relu_model();
    fm_init(m, "w", 1, 3, (int64_t[]){1LL << 40, 1LL << 40, 16}, "", 0);
    expect_bad(m, "dims_overflow.onnx", OQ_ERR_INVALID_MODEL, "'w'", "overflow");
    fm_free(m);
    m = relu_model();
    fm_init(m, "w", 1, 1, (int64_t[]){1LL << 62}, "", 0);   /* numel fits, bytes do not */
    expect_bad(m, "bytes_overflow.onnx", OQ_ERR_INVALID_MODEL, "'w'", NULL);
    fm_free(m);
}

Test(frontend_bad, input_dims_overflow)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 3, (int64_t[]){1LL << 40, 1LL << 40, 1LL << 40});
    fm_node(m, "Relu", "relu", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "input_overflow.onnx", OQ_ERR_INVALID_MODEL, "'x'", "overflow");
    fm_free(m);
}

Test(frontend_bad, negative_dims)
{
    fm *m = relu_model();
    float w[2] = {0};
    fm_init(m, "w", 1, 2, (int64_t[]){-1, -2}, w, sizeof w);
    expect_bad(m, "neg_init.onnx", OQ_ERR_INVALID_MODEL, "'w'", "negative");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 3});
    Onnx__ValueInfoProto *vi = fm_model(m)->graph->input[0];
    vi->type->tensor_type->shape->dim[1]->dim_value = -3;
    fm_node(m, "Relu", "relu", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "neg_input.onnx", OQ_ERR_INVALID_MODEL, "'x'", "negative");
    fm_free(m);
}

Test(frontend_bad, raw_data_shorter_than_dims)
{
    fm *m = relu_model();
    float w[5] = {0};
    fm_init(m, "w", 1, 2, (int64_t[]){2, 3}, w, sizeof w);
    expect_bad(m, "short_raw.onnx", OQ_ERR_INVALID_MODEL, "'w'", "raw_data holds 20 bytes");
    fm_free(m);
    m = relu_model();
    Onnx__TensorProto *t = fm_init(m, "w", 1, 1, (int64_t[]){4}, NULL, 0);
    t->n_float_data = 2;
    t->float_data = fm_alloc(m, 2 * sizeof(float));
    expect_bad(m, "short_typed.onnx", OQ_ERR_INVALID_MODEL, "'w'", "holds 2 values");
    fm_free(m);
}

Test(frontend_bad, typed_fields_decode)
{
    /* the good path of the typed fields: int32_data carries uint8/int8/bool/float16 */
    fm *m = relu_model();
    Onnx__TensorProto *t = fm_init(m, "u8", 2, 1, (int64_t[]){3}, NULL, 0);
    t->n_int32_data = 3;
    t->int32_data = fm_alloc(m, 3 * sizeof(int32_t));
    t->int32_data[0] = 0, t->int32_data[1] = 200, t->int32_data[2] = 255;
    Onnx__TensorProto *h = fm_init(m, "f16", 10, 1, (int64_t[]){1}, NULL, 0);
    h->n_int32_data = 1;
    h->int32_data = fm_alloc(m, sizeof(int32_t));
    h->int32_data[0] = 0x3c00;
    Onnx__TensorProto *l = fm_init(m, "i64", 7, 1, (int64_t[]){2}, NULL, 0);
    l->n_int64_data = 2;
    l->int64_data = fm_alloc(m, 2 * sizeof(int64_t));
    l->int64_data[0] = -5, l->int64_data[1] = 1LL << 40;
    Onnx__TensorProto *db = fm_init(m, "f64", 11, 0, NULL, NULL, 0);
    db->n_double_data = 1;
    db->double_data = fm_alloc(m, sizeof(double));
    db->double_data[0] = 0.125;
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    const uint8_t *u = g->values[fe_value(g, "u8")].data;
    cr_expect(u[0] == 0 && u[1] == 200 && u[2] == 255);
    cr_expect_eq(*(uint16_t *)g->values[fe_value(g, "f16")].data, 0x3c00);
    const int64_t *iv = g->values[fe_value(g, "i64")].data;
    cr_expect(iv[0] == -5 && iv[1] == 1LL << 40);
    cr_expect_eq(*(double *)g->values[fe_value(g, "f64")].data, 0.125);
    cr_expect_eq(g->values[fe_value(g, "f64")].shape.rank, 0);
    oq_graph_free(g);
    fm_free(m);
}

Test(frontend_bad, cycle)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Add", "a", "x,c", "b");
    fm_node(m, "Relu", "r", "b", "c");
    fm_output(m, "c");
    expect_bad(m, "cycle.onnx", OQ_ERR_INVALID_MODEL, "cycle", "node 'a' (Add)");
    fm_free(m);
    m = fm_new(8, 13);
    fm_node(m, "Relu", "self", "z", "z");
    fm_output(m, "z");
    expect_bad(m, "self_loop.onnx", OQ_ERR_INVALID_MODEL, "cycle", "'self'");
    fm_free(m);
}

Test(frontend_bad, undefined_input)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Add", "adder", "x,ghost", "y");
    fm_output(m, "y");
    expect_bad(m, "undefined.onnx", OQ_ERR_INVALID_MODEL, "'ghost'", "node 'adder' (Add)");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r", "x", "y");
    fm_output(m, "nowhere");
    expect_bad(m, "undefined_out.onnx", OQ_ERR_INVALID_MODEL, "'nowhere'", NULL);
    fm_free(m);
}

Test(frontend_bad, unknown_ops)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "FancyOp", "f1", "x", "y");
    fm_node(m, "OtherOp", "o1", "y", "z");
    fm_output(m, "z");
    expect_bad(m, "unknown.onnx", OQ_ERR_UNSUPPORTED_OP, "FancyOp (1 node: 'f1')",
               "OtherOp (1 node: 'o1')");
    fm_free(m);
}

Test(frontend_bad, opset_and_ir_version)
{
    fm *m = fm_new(8, 19);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "opset19.onnx", OQ_ERR_UNSUPPORTED_OP, "opset 19", "newer");
    fm_free(m);
    m = relu_model();
    fm_model(m)->ir_version = 11;
    expect_bad(m, "ir11.onnx", OQ_ERR_INVALID_MODEL, "IR version 11", NULL);
    fm_model(m)->ir_version = 2;
    expect_bad(m, "ir2.onnx", OQ_ERR_INVALID_MODEL, "IR version 2", NULL);
    fm_model(m)->has_ir_version = 0;
    expect_bad(m, "ir_missing.onnx", OQ_ERR_INVALID_MODEL, "IR version", NULL);
    fm_free(m);
    m = relu_model();
    fm_model(m)->n_opset_import = 0;
    expect_bad(m, "no_opset.onnx", OQ_ERR_INVALID_MODEL, "opset_import", NULL);
    fm_free(m);
}

/* Appends a length-delimited field to buf at *n. */
static void wrap_field(unsigned char *buf, size_t *n, unsigned field, const unsigned char *p,
                       size_t len)
{
    unsigned char hdr[16];
    size_t h = 0;
    hdr[h++] = (unsigned char)(field << 3 | 2);
    size_t v = len;
    do {
        hdr[h++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    memmove(buf + h, p, len);
    memcpy(buf, hdr, h);
    *n = h + len;
}

Test(frontend_bad, claimed_2gb_length)
{
    /* ir_version 7, then graph (field 7) claiming 2^31 bytes followed by 6 real ones */
    const unsigned char bytes[] = {0x08, 0x07, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x08,
                                   0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00};
    oq_diag d = {0};
    char path[512];
    cr_expect_eq(import_bytes("claims_2gb.onnx", bytes, sizeof bytes, &d, path),
                 OQ_ERR_INVALID_MODEL, "%s", d.msg);
    cr_expect(strncmp(d.msg, path, strlen(path)) == 0, "%s", d.msg);
    /* a raw_data claiming 2 GB inside an initializer */
    const unsigned char t[] = {0x08, 0x07, 0x3a, 0x0a, 0x2a, 0x08, 0x4a, 0x80, 0x80, 0x80, 0x80,
                               0x08, 0x00, 0x00};
    oq_diag d2 = {0};
    cr_expect_eq(import_bytes("raw_2gb.onnx", t, sizeof t, &d2, path), OQ_ERR_INVALID_MODEL,
                 "%s", d2.msg);
}

Test(frontend_bad, deep_nesting)
{
    /* TypeProto{sequence_type{elem_type: TypeProto{...}}} nested 20000 levels deep */
    size_t cap = 20000 * 8 + 64;
    unsigned char *a = calloc(1, cap), *b = calloc(1, cap);
    size_t n = 0;
    for (int i = 0; i < 10000; i++) {
        wrap_field(b, &n, 1, a, n);   /* Sequence.elem_type */
        wrap_field(a, &n, 4, b, n);   /* TypeProto.sequence_type */
    }
    wrap_field(b, &n, 2, a, n);       /* ValueInfo.type */
    memmove(b + 3, b, n);             /* ValueInfo.name = "x" */
    b[0] = 0x0a, b[1] = 0x01, b[2] = 'x';
    n += 3;
    wrap_field(a, &n, 11, b, n);      /* GraphProto.input */
    wrap_field(b + 2, &n, 7, a, n);   /* ModelProto.graph */
    b[0] = 0x08, b[1] = 0x07;
    n += 2;
    oq_diag d = {0};
    char path[512];
    cr_expect_eq(import_bytes("deep.onnx", b, n, &d, path), OQ_ERR_INVALID_MODEL, "%s", d.msg);
    cr_expect(strstr(d.msg, "nested"), "%s", d.msg);
    free(a);
    free(b);
}

Test(frontend_bad, duplicate_value_names)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r1", "x", "y");
    fm_node(m, "Neg", "r2", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "dup_output.onnx", OQ_ERR_INVALID_MODEL, "'y'", "SSA");
    fm_free(m);
    m = relu_model();
    float w[1] = {0};
    fm_init(m, "w", 1, 1, (int64_t[]){1}, w, sizeof w);
    fm_init(m, "w", 1, 1, (int64_t[]){1}, w, sizeof w);
    expect_bad(m, "dup_init.onnx", OQ_ERR_INVALID_MODEL, "'w'", "SSA");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r1", "x", "x");
    fm_output(m, "x");
    expect_bad(m, "redefine_input.onnx", OQ_ERR_INVALID_MODEL, "'x'", "SSA");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_node(m, "Relu", "r1", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "dup_input.onnx", OQ_ERR_INVALID_MODEL, "'x'", "SSA");
    fm_free(m);
}

Test(frontend_bad, rank_too_large_and_arity)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    fm_node(m, "Relu", "r", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "rank9.onnx", OQ_ERR_SHAPE, "rank 9", NULL);
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 4, 4});
    fm_node(m, "Conv", "conv", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "conv_arity.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)", "inputs");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){4});
    fm_node(m, "Add", "add", "x,", "y");
    fm_output(m, "y");
    expect_bad(m, "empty_required.onnx", OQ_ERR_INVALID_MODEL, "node 'add' (Add)", "required");
    fm_free(m);
}

Test(frontend_bad, bad_constants_and_attrs)
{
    fm *m = relu_model();
    Onnx__NodeProto *c = fm_node(m, "Constant", "cs", "", "s");
    Onnx__AttributeProto *a = fm_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = fm_str(m, "value_string");
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a->has_s = 1;
    c->n_attribute = 1;
    c->attribute = fm_alloc(m, sizeof *c->attribute);
    c->attribute[0] = a;
    expect_bad(m, "string_const.onnx", OQ_ERR_UNSUPPORTED_ATTR, "node 'cs' (Constant)", NULL);
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){4});
    Onnx__NodeProto *n = fm_node(m, "LeakyRelu", "lr", "x", "y");
    fm_attr_float(m, n, "alpha", 0.1f);
    fm_attr_float(m, n, "alpha", 0.2f);
    fm_output(m, "y");
    expect_bad(m, "dup_attr.onnx", OQ_ERR_INVALID_MODEL, "'alpha'", "node 'lr' (LeakyRelu)");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){4});
    fm_node(m, "", "noop", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "no_op_type.onnx", OQ_ERR_INVALID_MODEL, "op_type", "'noop'");
    fm_free(m);
}

Test(frontend_bad, missing_and_empty_files)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/does_not_exist.onnx", fe_tmpdir());
    cr_expect_eq(oq_import_onnx(path, NULL, &g, &d), OQ_ERR_IO);
    cr_expect(strstr(d.msg, path) == d.msg, "%s", d.msg);
    oq_diag d2 = {0};
    cr_expect_eq(import_bytes("empty.onnx", "", 0, &d2, path), OQ_ERR_INVALID_MODEL, "%s", d2.msg);
    oq_diag d3 = {0};
    cr_expect_eq(oq_import_onnx(fe_tmpdir(), NULL, &g, &d3), OQ_ERR_IO, "a folder: %s", d3.msg);
}

/* A model whose initializer 'w' [2] float points at external data (location, offset, length). */
static fm *ext_model(const char *loc, const char *offset, const char *length)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    Onnx__TensorProto *t = fm_init(m, "w", 1, 1, (int64_t[]){2}, NULL, 0);
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    const char *kv[3][2] = {{"location", loc}, {"offset", offset}, {"length", length}};
    t->external_data = fm_alloc(m, 3 * sizeof *t->external_data);
    for (int i = 0; i < 3; i++) {
        if (!kv[i][1])
            continue;
        Onnx__StringStringEntryProto *e = fm_alloc(m, sizeof *e);
        onnx__string_string_entry_proto__init(e);
        e->key = fm_str(m, kv[i][0]);
        e->value = fm_str(m, kv[i][1]);
        t->external_data[t->n_external_data++] = e;
    }
    fm_node(m, "Add", "add", "x,w", "y");
    fm_output(m, "y");
    return m;
}

Test(frontend_bad, external_data_escapes)
{
    char p[700], q[700];
    float w[2] = {1, 2};
    snprintf(p, sizeof p, "%s/ok.bin", fe_tmpdir());
    fe_write(p, w, sizeof w);
    /* a file outside the model's folder, and a symlink to it inside */
    snprintf(p, sizeof p, "%s/outside", fe_tmpdir());
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/outside/secret.bin", fe_tmpdir());
    fe_write(p, w, sizeof w);
    snprintf(q, sizeof q, "%s/link.bin", fe_tmpdir());
    unlink(q);
    cr_assert_eq(symlink("outside/secret.bin", q), 0);   /* inside: still in the folder tree */

    fm *m = ext_model("ok.bin", "0", "8");
    oq_diag d = {0};
    oq_graph *g = NULL;
    char path[512];
    cr_assert_eq(fm_import_file(m, "ext_good.onnx", NULL, &g, &d, path, sizeof path), OQ_OK, "%s",
                 d.msg);
    oq_graph_free(g);
    fm_free(m);

    m = ext_model("/etc/passwd", "0", "8");
    expect_bad(m, "ext_abs.onnx", OQ_ERR_INVALID_MODEL, "absolute", "'w'");
    fm_free(m);
    m = ext_model("../ok.bin", "0", "8");
    expect_bad(m, "ext_dotdot.onnx", OQ_ERR_INVALID_MODEL, "leaves the model's folder", NULL);
    fm_free(m);
    m = ext_model("outside/../../x.bin", "0", "8");
    expect_bad(m, "ext_dotdot2.onnx", OQ_ERR_INVALID_MODEL, "leaves the model's folder", NULL);
    fm_free(m);
    m = ext_model("missing.bin", "0", "8");
    expect_bad(m, "ext_missing.onnx", OQ_ERR_IO, "missing.bin", NULL);
    fm_free(m);
    m = ext_model("ok.bin", "4", "8");
    expect_bad(m, "ext_short.onnx", OQ_ERR_INVALID_MODEL, "ok.bin", "offset 4");
    fm_free(m);
    m = ext_model("ok.bin", "0", "12");
    expect_bad(m, "ext_len.onnx", OQ_ERR_INVALID_MODEL, "length 12", NULL);
    fm_free(m);
    m = ext_model("ok.bin", "-1", NULL);
    expect_bad(m, "ext_badoff.onnx", OQ_ERR_INVALID_MODEL, "offset", NULL);
    fm_free(m);
    m = ext_model("ok.bin", "99999999999999999999", NULL);
    expect_bad(m, "ext_hugeoff.onnx", OQ_ERR_INVALID_MODEL, "offset", NULL);
    fm_free(m);
    m = ext_model(NULL, "0", "8");
    expect_bad(m, "ext_noloc.onnx", OQ_ERR_INVALID_MODEL, "location", NULL);
    fm_free(m);

    /* symlink escaping the model's folder: the model lives in outside/../sub */
    snprintf(p, sizeof p, "%s/sub", fe_tmpdir());
    mkdir(p, 0700);
    snprintf(q, sizeof q, "%s/sub/escape.bin", fe_tmpdir());
    unlink(q);
    snprintf(p, sizeof p, "%s/outside/secret.bin", fe_tmpdir());
    cr_assert_eq(symlink(p, q), 0);
    m = ext_model("escape.bin", "0", "8");
    expect_bad(m, "sub/ext_symlink.onnx", OQ_ERR_INVALID_MODEL, "outside the model's folder", NULL);
    fm_free(m);
}

Test(frontend_bad, untyped_input)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    fm_model(m)->graph->input[0]->type = NULL;
    fm_node(m, "Relu", "r", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "untyped.onnx", OQ_ERR_DTYPE, "'x'", "element type");
    fm_free(m);
}

/* Hostile scale: many unsupported types (message stays bounded), a node with thousands of
 * attributes, and a long chain stored in reverse order (sorting stays linear). */
Test(frontend_bad, hostile_scale, .timeout = 60)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    char prev[32] = "x", cur[32], op[32];
    for (int i = 0; i < 100; i++) {
        snprintf(cur, sizeof cur, "t%d", i);
        snprintf(op, sizeof op, "Weird%d", i);
        fm_node(m, op, NULL, prev, cur);
        strcpy(prev, cur);
    }
    fm_output(m, prev);
    expect_bad(m, "many_types.onnx", OQ_ERR_UNSUPPORTED_OP, "more than 24 unsupported",
               "and 76 more nodes");
    fm_free(m);

    m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){2});
    Onnx__NodeProto *n = fm_node(m, "Relu", "r", "x", "y");
    for (int i = 0; i < 20000; i++) {
        char an[32];
        snprintf(an, sizeof an, "junk%d", i);
        fm_attr_int(m, n, an, i);
    }
    fm_output(m, "y");
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->nodes[0].nattr, 20000);
    cr_expect_eq(ir_attr_int(&g->nodes[0], "junk19999", -1), 19999);
    oq_graph_free(g);
    fm_attr_int(m, n, "junk123", 0);
    expect_bad(m, "dup_attr_many.onnx", OQ_ERR_INVALID_MODEL, "'junk123' given twice", NULL);
    fm_free(m);

    /* 50000 nodes, file order reversed: y_k = Relu(y_{k-1}) stored last-to-first */
    enum { N = 50000 };
    m = fm_new(8, 13);
    fm_input(m, "y0", 1, 1, (int64_t[]){2});
    for (int i = N; i >= 1; i--) {
        char in[32], out[32];
        snprintf(in, sizeof in, "y%d", i - 1);
        snprintf(out, sizeof out, "y%d", i);
        fm_node(m, "Relu", NULL, in, out);
    }
    snprintf(prev, sizeof prev, "y%d", N);
    fm_output(m, prev);
    oq_diag d2 = {0};
    cr_assert_eq(fm_import(m, NULL, &g, &d2), OQ_OK, "%s", d2.msg);
    cr_assert_eq(g->nnode, N);
    for (uint32_t k = 0; k < g->nnode; k++) {
        char want[32];
        snprintf(want, sizeof want, "y%u", k + 1);
        cr_assert_str_eq(g->values[g->nodes[k].out[0]].name, want, "node %u out of order", k);
    }
    oq_graph_free(g);
    fm_free(m);
}

/* A FIFO as model or as external data must be refused, not block the import forever. */
Test(frontend_bad, fifo_never_blocks, .timeout = 20)
{
    char p[600];
    snprintf(p, sizeof p, "%s/fifo.onnx", fe_tmpdir());
    unlink(p);
    cr_assert_eq(mkfifo(p, 0600), 0);
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_expect_eq(oq_import_onnx(p, NULL, &g, &d), OQ_ERR_IO);
    cr_expect(strstr(d.msg, "not a regular file"), "%s", d.msg);
    snprintf(p, sizeof p, "%s/fifo.bin", fe_tmpdir());
    unlink(p);
    cr_assert_eq(mkfifo(p, 0600), 0);
    fm *m = ext_model("fifo.bin", "0", "8");
    expect_bad(m, "ext_fifo.onnx", OQ_ERR_IO, "fifo.bin", "regular file");
    fm_free(m);
}

/* x[1,2,8,8] -> Conv(w[4,1,3,3]) named 'conv' with group 2 (unless the test sets group). */
static fm *conv_model(Onnx__NodeProto **conv, bool group)
{
    static const float w[4 * 1 * 3 * 3] = {0};
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 2, 8, 8});
    fm_init(m, "w", 1, 4, (int64_t[]){4, 1, 3, 3}, w, sizeof w);
    *conv = fm_node(m, "Conv", "conv", "x,w", "y");
    if (group)
        fm_attr_int(m, *conv, "group", 2);
    fm_output(m, "y");
    return m;
}

/* Attributes of the wrong type are refused by the verifier on import, naming file, node, op
 * and attribute (before, a float kernel_shape or a string strides read as absent). */
Test(frontend_bad, attribute_of_wrong_type)
{
    Onnx__NodeProto *c;
    fm *m = conv_model(&c, true);
    fm_attr_floats(m, c, "kernel_shape", 2, (float[]){3, 3});
    expect_bad(m, "float_kernel.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'kernel_shape' is FLOATS; Conv takes INTS");
    fm_free(m);
    m = conv_model(&c, true);
    fm_attr_str(m, c, "strides", "1,1");
    expect_bad(m, "string_strides.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'strides' is STRING");
    fm_free(m);
    m = conv_model(&c, false);
    fm_attr_tensor(m, c, "group", fm_tensor(m, 7, 0, NULL, (int64_t[]){2}, 8));
    expect_bad(m, "tensor_group.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'group' is TENSOR; Conv takes INT");
    fm_free(m);
    m = fm_new(8, 13);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 2, 8, 8});
    fm_node(m, "MaxPool", "pool", "x", "y");
    fm_output(m, "y");
    expect_bad(m, "pool_no_kernel.onnx", OQ_ERR_INVALID_MODEL, "node 'pool' (MaxPool)",
               "attribute 'kernel_shape' is missing");
    fm_free(m);
}

/* Convolution attributes that contradict the inputs: before, a kernel_shape other than the
 * weight's was accepted and the interpreter and the emitted C computed different things. */
Test(frontend_bad, conv_attributes_against_shapes)
{
    Onnx__NodeProto *c;
    fm *m = conv_model(&c, true);
    fm_attr_ints(m, c, "kernel_shape", 2, (int64_t[]){5, 5});
    expect_bad(m, "kernel_vs_weight.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'kernel_shape' has 5 in spatial dim 0 but weight 'w' has 3");
    fm_free(m);
    m = conv_model(&c, true);
    fm_attr_ints(m, c, "strides", 1, (int64_t[]){1});
    expect_bad(m, "short_strides.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'strides' has 1 entries; 2 spatial dims need 2");
    fm_free(m);
    m = conv_model(&c, true);
    fm_attr_ints(m, c, "pads", 2, (int64_t[]){1, 1});
    expect_bad(m, "short_pads.onnx", OQ_ERR_INVALID_MODEL, "'pads' has 2 entries", "need 4");
    fm_free(m);
    m = conv_model(&c, true);
    fm_attr_ints(m, c, "strides", 2, (int64_t[]){1, 0});
    expect_bad(m, "zero_stride.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'strides' has 0 at index 1; expected >= 1");
    fm_free(m);
    m = conv_model(&c, true);
    fm_attr_ints(m, c, "dilations", 2, (int64_t[]){-1, 1});
    expect_bad(m, "neg_dilation.onnx", OQ_ERR_INVALID_MODEL, "'dilations' has -1", NULL);
    fm_free(m);
    m = conv_model(&c, false);
    fm_attr_int(m, c, "group", 3);
    expect_bad(m, "group3.onnx", OQ_ERR_INVALID_MODEL, "node 'conv' (Conv)",
               "attribute 'group' = 3 does not divide the 2 channels of input 'x'");
    fm_free(m);
    m = conv_model(&c, false);
    fm_attr_int(m, c, "group", 0);
    expect_bad(m, "group0.onnx", OQ_ERR_INVALID_MODEL, "attribute 'group' is 0", NULL);
    fm_free(m);
}

/* Attributes onnxq does not know stay accepted (exporters add some); known ones that agree
 * import as before. */
Test(frontend_bad, unknown_attribute_is_accepted)
{
    Onnx__NodeProto *c;
    fm *m = conv_model(&c, true);
    fm_attr_str(m, c, "exporter_note", "made by a tool");
    fm_attr_ints(m, c, "kernel_shape", 2, (int64_t[]){3, 3});
    fm_attr_float(m, c, "alpha", 1.0f);     /* not a Conv attribute: ignored */
    oq_graph *g = NULL;
    oq_diag d = {0};
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->values[fe_value(g, "y")].shape.dim[1], 4);
    oq_graph_free(g);
    fm_free(m);
}
