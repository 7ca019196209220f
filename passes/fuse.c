/* Activation fusion, PyTorch semantics: in Conv/Gemm/MatMul/Add -> activation, only the
 * activation's output is observed and quantized. Representation: the activation node stays;
 * the producer gets INT attribute "onnxq_fused" = 1 (dropped by the ONNX writer like every
 * onnxq_* attribute). The quantizer then inserts no Q/DQ between the two, and lower_int turns
 * the activation into the clamp bounds of the requantize step. Producers are the ops flagged
 * ANCHOR in ir/ops.def (Conv, ConvTranspose, Gemm, MatMul, Add), but not an Add with a scalar
 * constant operand (it belongs to an element-wise region such as Clip(x + 3, 0, 6),
 * passes/eltregion.c); activations those flagged FUSEACT (Relu, Clip with constant bounds --
 * Relu6 is Clip(0, 6) after canonicalize), the ones a clamp expresses: the others (HardSwish,
 * Sigmoid, ...) follow a quantized output as lookup tables. The producer's output must have
 * exactly one use (the activation) and not be a graph output; excluded nodes are not fused. */
#include <string.h>

#include "passes.h"

/* Is node p a fusion anchor (ops.def flag ANCHOR; an Add without a scalar constant)? */
static bool fusable_producer(const oq_graph *g, const oq_node *p)
{
    if (!(oq_op_info(p->op)->flags & OQ_OPF_ANCHOR))
        return false;
    for (uint32_t i = 0; p->op == OQ_OP_Add && i < p->nin; i++)
        if (p->in[i] != OQ_NONE && g->values[p->in[i]].data &&
            oq_shape_numel(&g->values[p->in[i]].shape) == 1)
            return false;
    return true;
}

/* Is node a an activation that fuses (ops.def flag FUSEACT; Clip with constant bounds)? */
static bool fusable_act(const oq_graph *g, const oq_node *a)
{
    if (!(oq_op_info(a->op)->flags & OQ_OPF_FUSEACT))
        return false;
    for (uint32_t k = 1; k < a->nin; k++)   /* Clip bounds must be constants */
        if (a->in[k] != OQ_NONE && !g->values[a->in[k]].data)
            return false;
    return true;
}

static bool name_excluded(const oq_graph *g, uint32_t n, const oq_options *o)
{
    for (uint32_t i = 0; i < o->nexclude; i++)
        if (strcmp(o->exclude[i], g->nodes[n].name) == 0)
            return true;
    return false;
}

/* Requires uses filled. Marks producers; does not move nodes. */
oq_status pass_fuse(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    for (uint32_t n = 0; n < g->nnode; n++) {
        oq_node *p = &g->nodes[n];
        if (p->dead || !fusable_producer(g, p) || p->nout != 1 || p->out[0] == OQ_NONE ||
            ir_attr_i(p, OQ_A_ANY_onnxq_fused))
            continue;
        const oq_value *y = &g->values[p->out[0]];
        if (y->is_output || y->nuse != 1 || y->dtype != OQ_DT_FLOAT)
            continue;
        uint32_t an = y->uses[0];
        const oq_node *a = &g->nodes[an];
        if (a->in[0] != p->out[0] || !fusable_act(g, a))
            continue;
        if (o && (oq_pass_excluded(g, n, o) || name_excluded(g, an, o)))
            continue;          /* the activation follows its producer's op type */
        oq_attr *at = ir_attr_add(g, n, "onnxq_fused", OQ_ATTR_INT);
        if (!at)
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory fusing");
        at->i = 1;
    }
    return oq_pass_finish(g, o, d);
}
