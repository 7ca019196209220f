/* ir/attrs.c: the attribute table is sorted for bsearch, its ops exist, and the accessors give a
 * present attribute's value or the table's default for the node's own op. */
#include "util.h"

Test(attrs, table_sorted_by_op_then_name)
{
    for (int i = 1; i < OQ_A_COUNT; i++) {
        const oq_attrinfo *a = oq_attr_info(i - 1), *b = oq_attr_info(i);
        cr_assert(a->op < b->op || (a->op == b->op && strcmp(a->name, b->name) < 0),
                  "attrs.def out of order at %s.%s / %s.%s", oq_op_info(a->op)->name, a->name,
                  oq_op_info(b->op)->name, b->name);
    }
    for (int i = 0; i < OQ_A_COUNT; i++) {
        const oq_attrinfo *a = oq_attr_info(i);
        cr_assert(a->op == OQ_ATTR_OP_ANY || (a->op >= 0 && a->op < OQ_OP_COUNT));
        cr_assert_eq(oq_attr_find(a->op < 0 ? OQ_OP_Relu : (oq_op)a->op, a->name), a,
                     "row %s not found by bsearch", a->name);
        cr_assert(a->def != OQ_ADEF_VALUE || a->type == OQ_ATTR_INT ||
                  a->type == OQ_ATTR_FLOAT || a->type == OQ_ATTR_STRING,
                  "%s: only scalar attributes have a default value", a->name);
    }
    cr_assert_null(oq_attr_find(OQ_OP_Relu, "alpha"));
    cr_assert_eq(oq_attr_find(OQ_OP_Relu, "onnxq_fused"), oq_attr_info(OQ_A_ANY_onnxq_fused));
    cr_assert_eq(oq_attr_find(OQ_OP_MaxPool, "kernel_shape")->def, OQ_ADEF_REQUIRED);
}

Test(attrs, defaults_come_from_the_nodes_op)
{
    oq_graph *g = tu_parse("input %x:f32[2]\n %a = LeakyRelu(%x)\n %b = HardSigmoid(%a)\n"
                           " %c = HardSigmoid(%b) {alpha=0.5, beta=1}\n"
                           " %d = Softmax(%c)\n %e = Flatten(%d)\n output %e\n");
    const oq_node *lr = &g->nodes[0], *hs = &g->nodes[1], *hs2 = &g->nodes[2];
    cr_expect_float_eq(ir_attr_f(lr, OQ_A_LeakyRelu_alpha), 0.01f, 0);
    /* code shared by both ops may pass either id: the default follows the node's op */
    cr_expect_float_eq(ir_attr_f(hs, OQ_A_LeakyRelu_alpha), 0.2f, 0);
    cr_expect_float_eq(ir_attr_f(hs, OQ_A_HardSigmoid_beta), 0.5f, 0);
    cr_expect_float_eq(ir_attr_f(hs2, OQ_A_HardSigmoid_alpha), 0.5f, 0);
    cr_expect_float_eq(ir_attr_f(hs2, OQ_A_HardSigmoid_beta), 1.0f, 0);   /* INT read as value */
    cr_expect_eq(ir_attr_i(&g->nodes[3], OQ_A_Softmax_axis), -1);
    cr_expect_eq(ir_attr_i(&g->nodes[4], OQ_A_Softmax_axis), 1);         /* Flatten's default */
    cr_expect_eq(ir_attr_i(lr, OQ_A_ANY_onnxq_fused), 0);
    cr_expect_null(ir_attr_get(lr, OQ_A_LeakyRelu_alpha));
    cr_expect_not_null(ir_attr_get(hs2, OQ_A_HardSigmoid_alpha));
    oq_graph_free(g);
}

Test(attrs, strings_and_lists)
{
    oq_graph *g = tu_parse("input %x:f32[1,1,4,4]\n %y = MaxPool(%x) {kernel_shape=[2,2]}\n"
                           " %z = AveragePool(%y) {kernel_shape=[1,1], auto_pad=\"VALID\"}\n"
                           " output %z\n");
    const int64_t *ks;
    cr_expect_str_eq(ir_attr_s(&g->nodes[0], OQ_A_MaxPool_auto_pad), "NOTSET");
    cr_expect_str_eq(ir_attr_s(&g->nodes[1], OQ_A_MaxPool_auto_pad), "VALID");
    cr_expect_eq(ir_attr_is(&g->nodes[0], OQ_A_MaxPool_kernel_shape, &ks), 2);
    cr_expect_eq(ks[1], 2);
    cr_expect_eq(ir_attr_is(&g->nodes[0], OQ_A_MaxPool_strides, &ks), -1);
    cr_expect_null(ks);
    oq_graph_free(g);
}
