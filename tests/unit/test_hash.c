/* ir/hash.c: equal graphs hash equal (independent of internal value/node names and attribute
 * order), any change of structure, attribute, type or a single weight bit changes the hash;
 * ir_hash_node / ir_nodes_equivalent key CSE on op + attrs + input ids. */
#include "util.h"

static const char *base = "input %x:f32[1,4]\n const %w:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                          "%m = MatMul(%x, %w) # mm\n %y = LeakyRelu(%m) {alpha=0.1} # act\n"
                          "output %y\n";

static uint64_t hash_of(const char *text)
{
    oq_graph *g = tu_parse(text);
    uint64_t h = ir_hash_graph(g);
    oq_graph_free(g);
    return h;
}

Test(hash, same_graph_same_hash_and_names_do_not_count)
{
    uint64_t ha = hash_of(base);
    cr_expect_neq(ha, 0u);
    cr_expect_eq(ha, hash_of(base));
    cr_expect_eq(ha, hash_of("input %x:f32[1,4]\n const %weights:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%t0 = MatMul(%x, %weights) # other\n"
                             "%y = LeakyRelu(%t0) {alpha=0.1} # names\n output %y\n"),
                 "internal names must not change the hash");
}

Test(hash, one_bit_of_a_weight_changes_the_hash)
{
    oq_graph *g = tu_parse(base);
    uint64_t h0 = ir_hash_graph(g);
    uint32_t w = ir_find_value(g, "w");
    uint32_t *bits = g->values[w].data;
    for (int word = 0; word < 8; word++)
        for (int bit = 0; bit < 32; bit += 7) {
            bits[word] ^= 1u << bit;
            cr_expect_neq(ir_hash_graph(g), h0, "flip of bit %d in weight %d not seen", bit, word);
            bits[word] ^= 1u << bit;
        }
    cr_expect_eq(ir_hash_graph(g), h0);
    oq_graph_free(g);
}

Test(hash, structure_attrs_types_and_io_names_count)
{
    uint64_t h = hash_of(base);
    /* attribute value */
    cr_expect_neq(h, hash_of("input %x:f32[1,4]\n const %w:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%m = MatMul(%x, %w)\n %y = LeakyRelu(%m) {alpha=0.2}\n output %y\n"));
    /* op */
    cr_expect_neq(h, hash_of("input %x:f32[1,4]\n const %w:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%m = MatMul(%x, %w)\n %y = Relu(%m)\n output %y\n"));
    /* input shape */
    cr_expect_neq(h, hash_of("input %x:f32[2,4]\n const %w:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%m = MatMul(%x, %w)\n %y = LeakyRelu(%m) {alpha=0.1}\n output %y\n"));
    /* edge order: MatMul(w, x) is not MatMul(x, w) */
    cr_expect_neq(h, hash_of("input %x:f32[1,4]\n const %w:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%m = MatMul(%w, %x)\n %y = LeakyRelu(%m) {alpha=0.1}\n output %y\n"));
    /* graph output name (the model's interface) */
    cr_expect_neq(h, hash_of("input %x:f32[1,4]\n const %w:f32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%m = MatMul(%x, %w)\n %out = LeakyRelu(%m) {alpha=0.1}\n output %out\n"));
    /* weight dtype with the same bytes count */
    cr_expect_neq(h, hash_of("input %x:f32[1,4]\n const %w:i32[4,2] = {1,2,3,4,5,6,7,8}\n"
                             "%m = MatMul(%x, %w)\n %y = LeakyRelu(%m) {alpha=0.1}\n output %y\n"));
}

Test(hash, attribute_order_does_not_count)
{
    cr_expect_eq(hash_of("input %x:f32[1,1,4,4]\n"
                         "%y = MaxPool(%x) {kernel_shape=[2,2], strides=[2,2]}\n output %y\n"),
                 hash_of("input %x:f32[1,1,4,4]\n"
                         "%y = MaxPool(%x) {strides=[2,2], kernel_shape=[2,2]}\n output %y\n"));
}

Test(hash, node_hash_and_equivalence_for_cse)
{
    oq_graph *g = tu_parse("input %x:f32[1,1,4,4]\n input %z:f32[1,1,4,4]\n"
                           "%a = MaxPool(%x) {kernel_shape=[2,2], strides=[2,2]}\n"
                           "%b = MaxPool(%x) {strides=[2,2], kernel_shape=[2,2]}\n"
                           "%c = MaxPool(%x) {kernel_shape=[2,2], strides=[1,1]}\n"
                           "%d = MaxPool(%z) {kernel_shape=[2,2], strides=[2,2]}\n"
                           "%e = AveragePool(%x) {kernel_shape=[2,2], strides=[2,2]}\n");
    cr_expect_eq(ir_hash_node(g, 0), ir_hash_node(g, 1));
    cr_expect(ir_nodes_equivalent(g, 0, 1));
    cr_expect_neq(ir_hash_node(g, 0), ir_hash_node(g, 2));
    cr_expect(!ir_nodes_equivalent(g, 0, 2));
    cr_expect_neq(ir_hash_node(g, 0), ir_hash_node(g, 3));
    cr_expect(!ir_nodes_equivalent(g, 0, 3));
    cr_expect_neq(ir_hash_node(g, 0), ir_hash_node(g, 4));
    cr_expect(!ir_nodes_equivalent(g, 0, 4));
    oq_graph_free(g);
}

Test(hash, tensor_attributes_compare_by_content)
{
    oq_graph *g = tu_parse("input %s:i64[2]\n"
                           "%a = ConstantOfShape(%s) {value=tensor(f32[1] {1.0})}\n"
                           "%b = ConstantOfShape(%s) {value=tensor(f32[1] {1.0})}\n"
                           "%c = ConstantOfShape(%s) {value=tensor(f32[1] {2.0})}\n");
    cr_expect(ir_nodes_equivalent(g, 0, 1));
    cr_expect_eq(ir_hash_node(g, 0), ir_hash_node(g, 1));
    cr_expect(!ir_nodes_equivalent(g, 0, 2));
    cr_expect_neq(ir_hash_node(g, 0), ir_hash_node(g, 2));
    oq_graph_free(g);
}
