/* ir/verify.c: a well-formed graph verifies; each broken invariant (SSA, order, arity, undefined
 * input, dtype clash, bad qparams, stale use lists, dead producer) is reported with the node. */
#include "util.h"

static const char *good = "input %x:f32[1,4]\n const %w:f32[4,2]\n const %b:f32[2]\n"
                          "%m = MatMul(%x, %w) # mm\n %y = Add(%m, %b) # add\n %r = Relu(%y) # relu\n"
                          "output %r\n";

/* Runs ir_verify, expecting want; message into msg. */
static void expect_verify(const oq_graph *g, oq_status want, const char *part)
{
    oq_diag d = {0};
    oq_status st = ir_verify(g, &d);
    cr_expect_eq(st, want, "status %s, want %s: %s", oq_status_str(st), oq_status_str(want), d.msg);
    if (part)
        cr_expect(strstr(d.msg, part) != NULL, "message '%s' lacks '%s'", d.msg, part);
}

Test(verify, good_graph_before_and_after_infer_and_uses)
{
    oq_graph *g = tu_parse(good);
    expect_verify(g, OQ_OK, NULL);
    oq_diag d = {0};
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
    expect_verify(g, OQ_OK, NULL);
    ir_fill_uses(g);
    expect_verify(g, OQ_OK, NULL);
    oq_graph_free(g);
}

Test(verify, second_producer_breaks_ssa)
{
    oq_graph *g = tu_parse(good);
    uint32_t x = ir_find_value(g, "x"), m = ir_find_value(g, "m");
    ir_add_node(g, OQ_OP_Neg, "dup", &x, 1, &m, 1);
    expect_verify(g, OQ_ERR_INVALID_MODEL, "not SSA");
    oq_graph_free(g);
}

Test(verify, use_before_definition_breaks_order)
{
    oq_graph *g = tu_parse("input %x:f32[2]\n %b = Relu(%a) # first\n %a = Neg(%x)\n");
    expect_verify(g, OQ_ERR_INVALID_MODEL, "node 'first' (Relu)");
    oq_graph_free(g);
}

Test(verify, arity_from_ops_def)
{
    oq_graph *g = tu_parse("input %x:f32[2]\n %y = Relu(%x)\n");
    g->nodes[0].nin = 0;
    expect_verify(g, OQ_ERR_INVALID_MODEL, "0 inputs");
    g->nodes[0].nin = 1;
    g->nodes[0].in[0] = OQ_NONE;
    expect_verify(g, OQ_ERR_INVALID_MODEL, "required input 0");
    oq_graph_free(g);
}

Test(verify, undefined_input_is_named)
{
    oq_graph *g = tu_parse("input %x:f32[2]\n %y = Relu(%x) # r\n");
    uint32_t ghost = ir_add_value(g, "ghost", OQ_DT_FLOAT, NULL);
    g->nodes[0].in[0] = ghost;
    expect_verify(g, OQ_ERR_INVALID_MODEL, "'ghost' is not defined");
    g->nodes[0].in[0] = 12345;
    expect_verify(g, OQ_ERR_INTERNAL, "bad id");
    oq_graph_free(g);
}

Test(verify, dtype_clashes)
{
    oq_graph *g = tu_parse("input %a:f32[2]\n input %b:i64[2]\n %c = Add(%a, %b) # add\n");
    expect_verify(g, OQ_ERR_DTYPE, "'add' (Add)");
    oq_graph_free(g);
    g = tu_parse("input %a:f32[2]\n %c:i8[2] = Relu(%a)\n");
    expect_verify(g, OQ_ERR_DTYPE, "output 'c' is int8");
    oq_graph_free(g);
    g = tu_parse("input %a:f32[2]\n %c:f32[3] = Relu(%a)\n");
    expect_verify(g, OQ_ERR_SHAPE, "differs in shape");
    oq_graph_free(g);
    g = tu_parse("input %a:f32[2]\n %c:f32[2] = Equal(%a, %a)\n");
    expect_verify(g, OQ_ERR_DTYPE, "expected bool");
    oq_graph_free(g);
}

Test(verify, qparams_and_constants)
{
    oq_graph *g = tu_parse("const %w:i8[3,2]<q i8 axis=0 s=[0.5,0.5] zp=[0,0]>\n"
                           "%y = Identity(%w)\n");
    expect_verify(g, OQ_ERR_SHAPE, "2 qparams for dim 0 of size 3");
    oq_graph_free(g);
    g = tu_parse("const %w:i8[2]<q i8 axis=0 s=[0.0] zp=[0]>\n %y = Identity(%w)\n");
    expect_verify(g, OQ_ERR_DATA, "scale[0]");
    oq_graph_free(g);
    g = tu_parse("const %w:f32[2] = {1.0, 2.0}\n %y = Identity(%w)\n");
    g->values[ir_find_value(g, "w")].shape.dim[0] = -1;
    expect_verify(g, OQ_ERR_SHAPE, "unknown shape");
    oq_graph_free(g);
}

Test(verify, stale_use_lists_are_caught)
{
    oq_graph *g = tu_parse(good);
    ir_fill_uses(g);
    /* rewire relu to read m directly without refilling uses */
    uint32_t m = ir_find_value(g, "m");
    g->nodes[2].in[0] = m;
    expect_verify(g, OQ_ERR_INTERNAL, "stale");
    ir_fill_uses(g);
    expect_verify(g, OQ_OK, NULL);
    oq_graph_free(g);
}

Test(verify, dead_producer_and_compaction)
{
    oq_graph *g = tu_parse(good);
    g->nodes[1].dead = true;   /* add is deleted but relu still reads y */
    expect_verify(g, OQ_ERR_INVALID_MODEL, "deleted node");
    /* a proper deletion: replace uses of y by m, then compact */
    ir_fill_uses(g);
    ir_replace_uses(g, ir_find_value(g, "y"), ir_find_value(g, "m"));
    ir_compact(g);
    expect_verify(g, OQ_OK, NULL);
    cr_expect_eq(g->nnode, 2u);
    oq_graph_free(g);
}

Test(verify, graph_inputs_and_outputs)
{
    oq_graph *g = tu_parse(good);
    g->values[g->inputs[0]].is_input = false;
    expect_verify(g, OQ_ERR_INTERNAL, "not marked is_input");
    g->values[g->inputs[0]].is_input = true;
    g->outputs[0] = ir_add_value(g, "nowhere", OQ_DT_FLOAT, NULL);
    expect_verify(g, OQ_ERR_INVALID_MODEL, "'nowhere' is not defined");
    oq_graph_free(g);
}

Test(verify, many_uses_of_one_value_stay_linear, .timeout = 20)
{
    enum { N = 60000 };
    oq_graph *g = tu_parse("input %x:f32[1]\n");
    static uint32_t in[N];
    for (int i = 0; i < N; i++)
        in[i] = ir_find_value(g, "x");
    uint32_t y = ir_add_value(g, "y", OQ_DT_UNDEFINED, NULL);
    uint32_t n = ir_add_node(g, OQ_OP_Concat, "cat", in, N, &y, 1);
    cr_assert_neq(n, OQ_NONE);
    cr_assert_not_null(ir_attr_add(g, n, "axis", OQ_ATTR_INT));
    oq_diag d = {0};
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(g->values[y].shape.dim[0], N);
    ir_fill_uses(g);
    cr_expect_eq(ir_verify(g, &d), OQ_OK, "%s", d.msg);
    cr_expect_neq(ir_hash_graph(g), 0u);
    oq_graph_free(g);
}

/* Attributes against ir/attrs.def and the shapes: wrong type, missing required, kernel_shape
 * against the weight, list lengths; an attribute the table does not know passes. */
Test(verify, attributes_checked_against_table_and_shapes)
{
    static const char *pre = "input %x:f32[1,2,8,8]\n const %w:f32[4,1,3,3]\n";
    static const struct {
        const char *node, *part;
    } cases[] = {
        {"%y = Conv(%x, %w) {group=2, kernel_shape=floats [3, 3]}", "'kernel_shape' is FLOATS"},
        {"%y = Conv(%x, %w) {group=2, strides=\"2\"}", "'strides' is STRING; Conv takes INTS"},
        {"%y = Conv(%x, %w) {group=2, kernel_shape=[3, 5]}", "has 5 in spatial dim 1"},
        {"%y = Conv(%x, %w) {group=2, pads=[1, 1]}", "'pads' has 2 entries; 2 spatial dims"},
        {"%y = Conv(%x, %w) {group=2, dilations=[1, 0]}", "'dilations' has 0 at index 1"},
        {"%y = Conv(%x, %w)", "expects 1 x group 1"},
        {"%y = MaxPool(%x) {strides=[2, 2]}", "attribute 'kernel_shape' is missing"},
        {"%y = Cast(%x)", "attribute 'to' is missing"},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(buf, sizeof buf, "%s %s # n\n", pre, cases[i].node);
        oq_graph *g = tu_parse(buf);
        expect_verify(g, OQ_ERR_INVALID_MODEL, cases[i].part);
        oq_graph_free(g);
    }
    snprintf(buf, sizeof buf, "%s %%y = Conv(%%x, %%w) {group=2, kernel_shape=[3, 3], "
             "made_by=\"tool\", alpha=2} # n\n", pre);
    oq_graph *g = tu_parse(buf);
    expect_verify(g, OQ_OK, NULL);
    oq_graph_free(g);
}
