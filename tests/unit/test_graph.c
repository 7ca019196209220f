/* ir/graph.c: op table order and lookup, values, nodes, uses, compaction, toposort. */
#include <criterion/criterion.h>
#include <string.h>

#include "ir/ir.h"

Test(graph, op_table_sorted_for_bsearch)
{
    for (int i = 1; i < OQ_OP_COUNT; i++)
        cr_assert(strcmp(oq_op_info(i - 1)->name, oq_op_info(i)->name) < 0,
                  "ops.def out of order at %s / %s", oq_op_info(i - 1)->name, oq_op_info(i)->name);
    cr_assert_eq(oq_op_lookup("Conv"), OQ_OP_Conv);
    cr_assert_eq(oq_op_lookup("Where"), OQ_OP_Where);
    cr_assert_eq(oq_op_lookup("NoSuchOp"), OQ_OP_UNKNOWN);
}

/* The columns of ops.def and csup.def agree with each other: csup's f32 column with the words
 * `onnxq ops` prints for it, a fusable activation is a one-input element-wise op, a fusion anchor
 * quantizes its own output, and opset versions are positive with inputs_since after since. */
Test(graph, op_table_columns_agree)
{
    for (int c = 0; c == OQ_C_NONE || oq_csup_text((oq_csup)c); c++) {   /* every row */
        const char *t = oq_csup_text((oq_csup)c);
        cr_expect_eq(oq_csup_f32((oq_csup)c), t && strstr(t, "fp32") != NULL,
                     "csup %d (%s): f32 column and text disagree", c, t ? t : "none");
    }
    for (int i = 0; i < OQ_OP_COUNT; i++) {
        const oq_opinfo *oi = oq_op_info(i);
        if (oi->flags & OQ_OPF_FUSEACT)
            cr_expect(oi->flags & OQ_OPF_UNARY, "%s: FUSEACT without UNARY", oi->name);
        if (oi->flags & OQ_OPF_ANCHOR)
            cr_expect(oi->flags & OQ_OPF_OWNQ, "%s: ANCHOR without OWNQ", oi->name);
        cr_expect(oi->since >= 1, "%s: opset %d", oi->name, oi->since);
        cr_expect(oi->inputs_since == 0 || oi->inputs_since > oi->since,
                  "%s: inputs from opset %d, introduced in %d", oi->name, oi->inputs_since,
                  oi->since);
        cr_expect(oi->domain != NULL, "%s: no domain", oi->name);
    }
}

Test(graph, values_nodes_uses_and_toposort)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    cr_assert_not_null(g);
    oq_shape s = {2, {1, 4}};
    uint32_t x = ir_add_value(g, "x", OQ_DT_FLOAT, &s);
    uint32_t a = ir_add_value(g, "a", OQ_DT_FLOAT, &s);
    uint32_t b = ir_add_value(g, "b", OQ_DT_FLOAT, &s);
    /* b = Relu(a) added before a = Neg(x): out of order on purpose */
    uint32_t n0 = ir_add_node(g, OQ_OP_Relu, "relu", &a, 1, &b, 1);
    uint32_t n1 = ir_add_node(g, OQ_OP_Neg, "neg", &x, 1, &a, 1);
    cr_assert_eq(n0, 0);
    cr_assert_eq(n1, 1);
    cr_assert_eq(ir_find_value(g, "a"), a);
    cr_assert_eq(ir_find_value(g, "zz"), OQ_NONE);
    oq_diag d = {0};
    cr_assert_eq(ir_toposort(g, &d), OQ_OK);
    cr_assert_eq(g->nodes[0].op, OQ_OP_Neg);
    cr_assert_eq(g->values[b].producer, 1u);
    ir_fill_uses(g);
    cr_assert_eq(g->values[x].nuse, 1u);
    cr_assert_eq(g->values[a].uses[0], 1u);
    const char *u = ir_unique_name(g, "a");
    cr_assert_str_neq(u, "a");
    g->nodes[1].dead = true;
    ir_compact(g);
    cr_assert_eq(g->nnode, 1u);
    cr_assert_eq(g->values[a].nuse, 0u);
    oq_graph_free(g);
}

Test(graph, cycle_is_an_error_naming_the_node)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    oq_shape s = {1, {3}};
    uint32_t a = ir_add_value(g, "a", OQ_DT_FLOAT, &s);
    uint32_t b = ir_add_value(g, "b", OQ_DT_FLOAT, &s);
    ir_add_node(g, OQ_OP_Relu, "r1", &a, 1, &b, 1);
    ir_add_node(g, OQ_OP_Relu, "r2", &b, 1, &a, 1);
    oq_diag d = {0};
    cr_assert_eq(ir_toposort(g, &d), OQ_ERR_INVALID_MODEL);
    cr_assert(strstr(d.msg, "(Relu)") != NULL, "message: %s", d.msg);
    oq_graph_free(g);
}

Test(graph, toposort_reversed_long_chain_is_fast_and_stable, .timeout = 10)
{
    /* a chain of 50000 Relu nodes written last-to-first: an O(n^2) sort would time out */
    enum { N = 50000 };
    oq_graph *g = oq_graph_new(NULL, NULL);
    oq_shape s = {1, {4}};
    uint32_t v[N + 1];
    for (int i = 0; i <= N; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "v%d", i);
        v[i] = ir_add_value(g, nm, OQ_DT_FLOAT, &s);
    }
    g->values[v[0]].is_input = true;
    for (int i = N - 1; i >= 0; i--)
        cr_assert_neq(ir_add_node(g, OQ_OP_Relu, "r", &v[i], 1, &v[i + 1], 1), OQ_NONE);
    /* plus two independent nodes that must keep their relative file order */
    uint32_t a = ir_add_value(g, "a", OQ_DT_FLOAT, &s), b = ir_add_value(g, "b", OQ_DT_FLOAT, &s);
    ir_add_node(g, OQ_OP_Neg, "second", &v[0], 1, &b, 1);
    ir_add_node(g, OQ_OP_Neg, "third", &v[0], 1, &a, 1);
    oq_diag d = {0};
    cr_assert_eq(ir_toposort(g, &d), OQ_OK, "%s", d.msg);
    for (uint32_t n = 0; n < g->nnode; n++)
        for (uint32_t i = 0; i < g->nodes[n].nin; i++) {
            uint32_t p = g->values[g->nodes[n].in[i]].producer;
            cr_assert(p == OQ_NONE || p < n, "node %u reads a value produced at %u", n, p);
        }
    uint32_t pb = g->values[b].producer, pa = g->values[a].producer;
    cr_expect_lt(pb, pa, "ties must keep file order");
    cr_expect_eq(ir_verify(g, &d), OQ_OK, "%s", d.msg);
    oq_graph_free(g);
}

/* The weight channel axis per-channel quantization uses comes from ops.def's wax column:
 * ConvTranspose with groups and MatMul with a batched weight are per tensor (axis 1 of a
 * grouped ConvTranspose weight [C, M/group, k] is not the output channel). */
Test(graph, weight_channel_axis_from_ops_def)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(ir_parse("input %x:f32[1,4,5,5]\n const %w:f32[8,4,3,3]\n"
                          " const %wt:f32[4,2,3,3]\n const %g:f32[6,4]\n const %m:f32[4,6]\n"
                          " const %b:f32[2,4,6]\n input %x2:f32[3,4]\n input %x3:f32[2,3,4]\n"
                          " %c = Conv(%x, %w)\n %t = ConvTranspose(%x, %wt)\n"
                          " %t2 = ConvTranspose(%x, %wt) {group=2}\n"
                          " %y = Gemm(%x2, %g) {transB=1}\n %y2 = Gemm(%x2, %m)\n"
                          " %z = MatMul(%x2, %m)\n %z3 = MatMul(%x3, %b)\n %r = Relu(%x)\n",
                          &g, &d), OQ_OK, "%s", d.msg);
    static const int want[] = {0, 1, -1, 0, 1, 1, -1, -1};
    for (uint32_t n = 0; n < g->nnode; n++)
        cr_expect_eq(ir_weight_axis(g, &g->nodes[n]), want[n], "node %u (%s): %d, want %d", n,
                     oq_op_info(g->nodes[n].op)->name, ir_weight_axis(g, &g->nodes[n]), want[n]);
    cr_expect(oq_op_info(OQ_OP_MaxPool)->flags & OQ_OPF_CHSCALE);
    cr_expect(!(oq_op_info(OQ_OP_Sigmoid)->flags & OQ_OPF_CHSCALE));
    oq_graph_free(g);
}
