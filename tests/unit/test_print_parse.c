/* ir/print.c + ir/parse.c: the text form round-trips (print -> parse -> print is identical,
 * hash unchanged), every attribute type and dtype survives, odd names are quoted, and bad text
 * gets a line-numbered error instead of a crash. */
#include <stdlib.h>

#include "util.h"

/* Prints g into a malloc'd string. */
static char *print_str(const oq_graph *g, bool with_data)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert_not_null(f);
    ir_print(g, f, with_data);
    fclose(f);
    return buf;
}

/* print(parse(text)) == print(parse(print(parse(text)))) and the hashes agree. */
static void roundtrip(const char *text)
{
    oq_graph *g = tu_parse(text);
    char *a = print_str(g, true);
    oq_graph *h = tu_parse(a);
    char *b = print_str(h, true);
    cr_expect_str_eq(a, b, "round trip differs:\n%s\n---\n%s", a, b);
    cr_expect_eq(ir_hash_graph(g), ir_hash_graph(h));
    free(a);
    free(b);
    oq_graph_free(g);
    oq_graph_free(h);
}

Test(print_parse, exact_text_of_a_conv_line)
{
    oq_graph *g = tu_infer("graph \"m\" opset=13 ir_version=7\n"
                           "input %x:f32[1,3,28,28]\n const %w:f32[8,3,3,3]\n const %b:f32[8]\n"
                           "%y = Conv(%x, %w, %b) {kernel_shape=[3,3], pads=[1,1,1,1]} # conv_1\n"
                           "output %y\n");
    char *s = print_str(g, false);
    cr_expect(strstr(s, "%y:f32[1,8,28,28] = Conv(%x, %w, %b) {kernel_shape=[3,3], "
                        "pads=[1,1,1,1]} # conv_1\n") != NULL, "printed:\n%s", s);
    cr_expect(strstr(s, "input %x:f32[1,3,28,28]\n") != NULL, "printed:\n%s", s);
    cr_expect(strstr(s, "const %w:f32[8,3,3,3] # 216 values, xxh3 ") != NULL, "printed:\n%s", s);
    cr_expect(strstr(s, "output %y\n") != NULL, "printed:\n%s", s);
    free(s);
    oq_graph_free(g);
}

Test(print_parse, roundtrip_all_attribute_kinds_and_dtypes)
{
    roundtrip("graph \"all kinds\" opset=17 ir_version=8 producer=\"pytorch\"\n"
              "input %x:f32[2,?,4]\n input %u:f32\n input %s:i64[]\n"
              "const %c1:f32[3] = {1.5, -0.0, 3.40282347e+38}\n"
              "const %c2:f64[2] = {0.10000000000000001, -2.5}\n"
              "const %c3:i8[2] = {-128, 127}\n const %c4:u8[2] = {0, 255}\n"
              "const %c5:i32[1] = {-2147483648}\n const %c6:i64[1] = {-9223372036854775807}\n"
              "const %c7:bool[2] = {0, 1}\n const %c8:u16[1] = {65535}\n const %c9:f16[1] = {15360}\n"
              "const %c10:i16[1] = {-32768}\n const %c11:u32[1] = {4294967295}\n"
              "const %c12:u64[1] = {18446744073709551615}\n const %c13:f32[2] = {inf, -inf}\n"
              "%y = Resize(%x, _, %c1) {mode=\"linear\", cubic_coeff_a=-0.75, exclude_outside=0}\n"
              "%z = ConstantOfShape(%s) {value=tensor(f32[1] {2.5})}\n"
              "%w = Concat(%x, %x) {axis=-1, dummy_f=floats[0.5,1.0], dummy_s=strings[\"a\",\"b,c\"], "
              "dummy_i=[], dummy_t=tensor(i64[2] {1, 2})}\n"
              "output %y\n output %w\n");
}

Test(print_parse, nan_and_qparams_and_absent_io)
{
    roundtrip("input %x:f32[1,4]\n const %n:f32[1] = {nan}\n"
              "const %w:i8[4,4]<q i8 axis=0 s=[0.5,0.25,0.125,1.0] zp=[0,0,0,0]> = "
              "{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}\n"
              "%q:u8[1,4]<q u8 axis=0 s=[0.0235294122] zp=[128]> = Identity(%x)\n"
              "%a, _ = Dropout(%x)\n %l, _, %i = LayerNormalization(%x, %n)\n output %a\n");
    oq_graph *g = tu_parse("input %x:f32[1,4]\n"
                           "%q:u8[1,4]<q u8 axis=0 s=[0.0235294122] zp=[128]> = Identity(%x)\n");
    const oq_value *q = tu_val(g, "q");
    cr_expect_eq(q->q.n, 1u);
    cr_expect_eq(q->q.zero_point[0], 128);
    cr_expect_eq(q->q.scale[0], 0.0235294122f);
    cr_expect_eq(q->q.dtype, OQ_DT_UINT8);
    oq_graph_free(g);
}

Test(print_parse, odd_names_are_quoted_and_survive)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    oq_shape s = {1, {2}};
    uint32_t x = ir_add_value(g, "onnx::Conv_12", OQ_DT_FLOAT, &s);
    uint32_t y = ir_add_value(g, "has space \"q\"\n", OQ_DT_FLOAT, &s);
    uint32_t z = ir_add_value(g, "", OQ_DT_FLOAT, &s);
    uint32_t u = ir_add_value(g, "_", OQ_DT_FLOAT, &s);
    g->values[x].is_input = true;
    uint32_t *ins = oq_arena_alloc(&g->arena, sizeof *ins);
    ins[0] = x;
    g->inputs = ins;
    g->ninput = 1;
    ir_add_node(g, OQ_OP_Relu, "/layer1/relu", &x, 1, &y, 1);
    ir_add_node(g, OQ_OP_Neg, "n2", &y, 1, &z, 1);
    ir_add_node(g, OQ_OP_Neg, "n3", &z, 1, &u, 1);
    char *a = print_str(g, true);
    cr_expect(strstr(a, "%\"onnx::Conv_12\"") != NULL, "printed:\n%s", a);
    cr_expect(strstr(a, "# /layer1/relu") != NULL, "printed:\n%s", a);
    cr_expect(strstr(a, "%v2:f32[2] = Neg(") != NULL, "printed:\n%s", a);
    oq_graph *h = tu_parse(a);
    cr_expect_neq(ir_find_value(h, "onnx::Conv_12"), OQ_NONE);
    cr_expect_neq(ir_find_value(h, "has space \"q\"\n"), OQ_NONE);
    cr_expect_neq(ir_find_value(h, "_"), OQ_NONE);
    cr_expect_str_eq(h->nodes[0].name, "/layer1/relu");
    char *b = print_str(h, true);
    cr_expect_str_eq(a, b);
    cr_expect_eq(ir_hash_graph(g), ir_hash_graph(h));
    free(a);
    free(b);
    oq_graph_free(g);
    oq_graph_free(h);
}

Test(print_parse, forward_reference_then_toposort)
{
    oq_graph *g = tu_parse("input %x:f32[2]\n %b = Relu(%a)\n %a = Neg(%x)\n output %b\n");
    cr_expect_eq(g->nodes[0].op, OQ_OP_Relu);
    oq_diag d = {0};
    cr_expect_neq(ir_verify(g, &d), OQ_OK, "out of order must not verify");
    d = (oq_diag){0};
    cr_assert_eq(ir_toposort(g, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->nodes[0].op, OQ_OP_Neg);
    cr_expect_eq(ir_verify(g, &d), OQ_OK, "%s", d.msg);
    oq_graph_free(g);
}

/* Expects ir_parse(text) to fail with status st and a message containing part. */
static void bad(const char *text, oq_status st, const char *part)
{
    oq_graph *g = (oq_graph *)1;
    oq_diag d = {0};
    cr_expect_eq(ir_parse(text, &g, &d), st, "text <<%s>>: message %s", text, d.msg);
    cr_expect_null(g);
    cr_expect(strstr(d.msg, part) != NULL, "text <<%s>>: message '%s' lacks '%s'", text, d.msg,
              part);
}

Test(print_parse, errors_name_the_line)
{
    bad("input %x:f32[2]\n\n %y = Frobnicate(%x)\n", OQ_ERR_UNSUPPORTED_OP, "line 3: unknown op");
    bad("input %x:f32[2]\n %y = Relu(%z)\n", OQ_ERR_INVALID_MODEL, "'z' is used but never");
    bad("input %x:f32[2]\n %x = Relu(%x)\n", OQ_ERR_INVALID_MODEL, "defined twice");
    bad("input %x:q33[2]\n", OQ_ERR_DTYPE, "unknown type");
    bad("input %x:f32[1,2,3,4,5,6,7,8,9]\n", OQ_ERR_SHAPE, "rank exceeds");
    bad("const %c:f32[3] = {1.0, 2.0}\n", OQ_ERR_INVALID_MODEL, "2 data values for 3");
    bad("const %c:f32[1] = {1.0\n", OQ_ERR_INVALID_MODEL, "unterminated");
    bad("const %c:f32[1] = {abc}\n", OQ_ERR_INVALID_MODEL, "bad number");
    bad("input %x:f32[2]\n %y = Relu(%x) {a=\"unterminated}\n", OQ_ERR_INVALID_MODEL,
        "unterminated string");
    bad("input %x:f32[2]\n %y = Relu(%x) trailing\n", OQ_ERR_INVALID_MODEL, "unexpected text");
    bad("input %x:f32[-2]\n", OQ_ERR_SHAPE, "negative dim");
    bad("const %c:f32[?] \n", OQ_ERR_SHAPE, "known shape");
    bad("input %x:f32[99999999999999999999999]\n", OQ_ERR_INVALID_MODEL, "bad integer");
}

Test(print_parse, float_reason_roundtrips)
{
    oq_graph *g = tu_parse("input %x:f32[2]\n%y = Relu(%x) float=excluded # r\n"
                           "%z = Sigmoid(%y) float=op_types\n%w = Tanh(%z)\noutput %w\n");
    cr_expect_eq(g->nodes[0].float_why, OQ_FLOAT_EXCLUDED);
    cr_expect_eq(g->nodes[1].float_why, OQ_FLOAT_OP_TYPES);
    cr_expect_eq(g->nodes[2].float_why, OQ_FLOAT_NONE);
    char *s = print_str(g, false);
    cr_expect(strstr(s, "= Relu(%x) float=excluded # r\n") != NULL, "printed:\n%s", s);
    cr_expect(strstr(s, "= Tanh(%z) # ") != NULL, "printed:\n%s", s);
    free(s);
    oq_graph_free(g);
    roundtrip("input %x:f32[2]\n%y = Relu(%x) {} float=op_types # r\noutput %y\n");
    bad("input %x:f32[2]\n %y = Relu(%x) float=tired\n", OQ_ERR_INVALID_MODEL,
        "unknown float reason");
}

Test(print_parse, comments_and_blank_lines_are_skipped)
{
    oq_graph *g = tu_parse("# a golden file header\n\n   # indented comment\ninput %x:f32[1]\n"
                           "%y = Relu(%x) # r\n");
    cr_expect_eq(g->nnode, 1u);
    cr_expect_str_eq(g->nodes[0].name, "r");
    oq_graph_free(g);
}

Test(print_parse, dtype_short_names_roundtrip)
{
    static const oq_dtype all[] = {OQ_DT_FLOAT, OQ_DT_UINT8, OQ_DT_INT8, OQ_DT_UINT16,
                                   OQ_DT_INT16, OQ_DT_INT32, OQ_DT_INT64, OQ_DT_STRING,
                                   OQ_DT_BOOL, OQ_DT_FLOAT16, OQ_DT_DOUBLE, OQ_DT_UINT32,
                                   OQ_DT_UINT64, OQ_DT_BFLOAT16, OQ_DT_UNDEFINED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *s = ir_dtype_short(all[i]);
        oq_dtype t;
        cr_expect(ir_dtype_from_short(s, strlen(s), &t), "%s", s);
        cr_expect_eq(t, all[i], "%s", s);
    }
}

Test(print_parse, summarized_constants_parse_as_zero_constants)
{
    oq_graph *g = tu_parse("const %w:f32[2,2] # 4 values, xxh3 0123456789abcdef, range [1, 2]\n");
    const oq_value *w = tu_val(g, "w");
    cr_assert_not_null(w->data);
    cr_expect_eq(((const float *)w->data)[3], 0.0f);
    oq_graph_free(g);
}

Test(print_parse, fuzz_regressions)
{
    /* found by a libFuzzer run over parse -> toposort -> infer -> verify -> hash -> print */
    oq_graph *g = tu_parse("");
    oq_diag d = {0};
    cr_expect_eq(ir_toposort(g, &d), OQ_OK, "empty graph: %s", d.msg);
    cr_expect_eq(ir_infer(g, &d), OQ_OK);
    cr_expect_eq(ir_verify(g, &d), OQ_OK);
    cr_expect_neq(ir_hash_graph(g), 0u);
    oq_graph_free(g);
    bad("input %x:f32[1,4,3,1]\n const %w:f32[4,2,31,2,31,9,10,8]\n", OQ_ERR_SHAPE,
        "more than 2^22");
}
