/* Opset adapters: rewrite each imported node into its canonical form, so inference,
 * interpreter, passes and backends see one form per op whatever opset (1..18) the file uses.
 * Attribute operands become constant inputs (Clip, Pad, Slice, Split, Squeeze, Unsqueeze,
 * Reduce*, Reshape-1), Upsample and Resize-10 become Resize(X, roi, scales, sizes) with the old
 * coordinate rules made explicit, legacy flags become explicit attributes (Softmax 2-D coercion),
 * Constant nodes become constant values. Each adapter touches only its node and new values. */
#include <float.h>
#include <string.h>

#include "fe_int.h"

uint32_t oq_fe_add_const(oq_graph *g, uint32_t n, const char *what, oq_dtype dt, const oq_shape *s,
                         const void *data)
{
    char base[200];
    snprintf(base, sizeof base, "%.120s/%.60s", g->nodes[n].name, what);
    const char *nm = ir_unique_name(g, base);
    if (!nm)
        return OQ_NONE;
    uint32_t v = ir_add_value(g, nm, dt, s);
    if (v == OQ_NONE || !ir_set_const(g, v, data))
        return OQ_NONE;
    return v;
}

/* Sets input slot k of node n to v, growing the input list with OQ_NONE as needed. */
static bool set_in(oq_graph *g, uint32_t n, uint32_t k, uint32_t v)
{
    oq_node *nd = &g->nodes[n];
    if (k >= nd->nin) {
        uint32_t *in = oq_arena_alloc(&g->arena, (size_t)(k + 1) * sizeof *in);
        if (!in)
            return false;
        for (uint32_t i = 0; i <= k; i++)
            in[i] = i < nd->nin ? nd->in[i] : OQ_NONE;
        nd->in = in;
        nd->nin = k + 1;
    }
    nd->in[k] = v;
    return true;
}

/* Removes attribute name from node n (no-op if absent). */
static void drop_attr(oq_node *nd, const char *name)
{
    for (uint32_t i = 0; i < nd->nattr; i++)
        if (strcmp(nd->attr[i].name, name) == 0) {
            memmove(&nd->attr[i], &nd->attr[i + 1], (nd->nattr - i - 1) * sizeof(oq_attr));
            nd->nattr--;
            return;
        }
}

static oq_status nomem(oq_graph *g, uint32_t n, oq_diag *d)
{
    return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory adapting the node");
}

/* INTS attribute `attr` -> int64 1-D constant at input slot k; attr dropped. Absent: nothing. */
static oq_status ints_to_input(oq_graph *g, uint32_t n, const char *attr, uint32_t k, oq_diag *d)
{
    const oq_attr *a = ir_attr(&g->nodes[n], attr);
    if (!a)
        return OQ_OK;
    if (a->type != OQ_ATTR_INTS && a->type != OQ_ATTR_INT)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute '%s' must be a list of ints",
                         attr);
    if (k < g->nodes[n].nin && g->nodes[n].in[k] != OQ_NONE)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "'%s' is given both as attribute and as input %u", attr, k);
    oq_shape s = {.rank = 1, .dim = {a->type == OQ_ATTR_INTS ? a->n : 1}};
    const void *data = a->type == OQ_ATTR_INTS ? (const void *)a->ints : (const void *)&a->i;
    uint32_t v = oq_fe_add_const(g, n, attr, OQ_DT_INT64, &s, data);
    if (v == OQ_NONE || !set_in(g, n, k, v))
        return nomem(g, n, d);
    drop_attr(&g->nodes[n], attr);
    return OQ_OK;
}

/* FLOAT attribute -> float scalar constant at slot k (absent: slot k = OQ_NONE, or def if
 * use_def). */
static oq_status float_to_input(oq_graph *g, uint32_t n, const char *attr, uint32_t k, bool use_def,
                                float def, oq_diag *d)
{
    const oq_attr *a = ir_attr(&g->nodes[n], attr);
    if (a && a->type != OQ_ATTR_FLOAT && a->type != OQ_ATTR_INT)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute '%s' must be a float", attr);
    uint32_t v = OQ_NONE;
    if (a || use_def) {
        float f = a ? (a->type == OQ_ATTR_FLOAT ? a->f : (float)a->i) : def;
        oq_shape s = {.rank = 0};
        if ((v = oq_fe_add_const(g, n, attr, OQ_DT_FLOAT, &s, &f)) == OQ_NONE)
            return nomem(g, n, d);
    }
    if (!set_in(g, n, k, v))
        return nomem(g, n, d);
    drop_attr(&g->nodes[n], attr);
    return OQ_OK;
}

/* Adds (or overwrites) a STRING attribute. */
static bool set_str(oq_graph *g, uint32_t n, const char *name, const char *val)
{
    drop_attr(&g->nodes[n], name);
    oq_attr *a = ir_attr_add(g, n, name, OQ_ATTR_STRING);
    return a && (a->s = oq_arena_strdup(&g->arena, val)) != NULL;
}

/* Constant node -> its output becomes a constant value; the node is marked dead. */
static oq_status fold_constant(oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    if (nd->nout != 1 || nd->out[0] == OQ_NONE)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "Constant must have one output");
    if (nd->nattr != 1)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "Constant must have exactly one value attribute (has %u)", nd->nattr);
    const oq_attr *a = &nd->attr[0];
    oq_value *v = &g->values[nd->out[0]];
    oq_shape s = {.rank = 0};
    if (strcmp(a->name, "value") == 0 && a->type == OQ_ATTR_TENSOR) {
        v->dtype = a->t->dtype;
        v->shape = a->t->shape;
        v->data = a->t->data;
    } else if (strcmp(a->name, "value_float") == 0 && a->type == OQ_ATTR_FLOAT) {
        v->dtype = OQ_DT_FLOAT;
        v->shape = s;
        if (!ir_set_const(g, nd->out[0], &a->f))
            return nomem(g, n, d);
    } else if (strcmp(a->name, "value_int") == 0 && a->type == OQ_ATTR_INT) {
        v->dtype = OQ_DT_INT64;
        v->shape = s;
        if (!ir_set_const(g, nd->out[0], &a->i))
            return nomem(g, n, d);
    } else if (strcmp(a->name, "value_floats") == 0 && a->type == OQ_ATTR_FLOATS) {
        v->dtype = OQ_DT_FLOAT;
        v->shape = (oq_shape){.rank = 1, .dim = {a->n}};
        if (!ir_set_const(g, nd->out[0], a->floats))
            return nomem(g, n, d);
    } else if (strcmp(a->name, "value_ints") == 0 && a->type == OQ_ATTR_INTS) {
        v->dtype = OQ_DT_INT64;
        v->shape = (oq_shape){.rank = 1, .dim = {a->n}};
        if (!ir_set_const(g, nd->out[0], a->ints))
            return nomem(g, n, d);
    } else {
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                         "Constant attribute '%s' is not supported (string and sparse constants)",
                         a->name);
    }
    g->nodes[n].dead = true;
    return OQ_OK;
}

/* True when value v is a constant with zero elements (an "empty" optional operand). */
static bool empty_const(const oq_graph *g, uint32_t v)
{
    return v != OQ_NONE && g->values[v].data && oq_shape_numel(&g->values[v].shape) == 0;
}

/* Upsample (any opset) and Resize-10 -> Resize(X, roi=NONE, scales, sizes=NONE) with the
 * asymmetric / floor rules those versions used; Resize >= 11: empty roi/scales/sizes -> NONE. */
static oq_status adapt_resize(oq_graph *g, uint32_t n, int64_t opset, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    bool upsample = strcmp(nd->op_type, "Upsample") == 0;
    if (upsample || opset < 11) {
        const char *mode = ir_attr_s(nd, OQ_A_Resize_mode);
        if (strcmp(mode, "bilinear") == 0)
            mode = "linear";
        if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "mode '%s' is not supported", mode);
        uint32_t scales = nd->nin > 1 ? nd->in[1] : OQ_NONE;
        const oq_attr *sa = ir_attr_get(nd, OQ_A_Resize_scales);
        if (sa) {
            if (sa->type != OQ_ATTR_FLOATS || scales != OQ_NONE)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "bad 'scales' attribute");
            oq_shape s = {.rank = 1, .dim = {sa->n}};
            if ((scales = oq_fe_add_const(g, n, "scales", OQ_DT_FLOAT, &s, sa->floats)) == OQ_NONE)
                return nomem(g, n, d);
            drop_attr(&g->nodes[n], "scales");
        }
        if (ir_attr_get(&g->nodes[n], OQ_A_Resize_height_scale) ||
            ir_attr_get(&g->nodes[n], OQ_A_Resize_width_scale))
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                             "experimental Upsample-1 (height_scale/width_scale) is not supported");
        if (scales == OQ_NONE)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "has no scales");
        uint32_t x = g->nodes[n].in[0];
        uint32_t *in = oq_arena_alloc(&g->arena, 4 * sizeof *in);
        if (!in || !set_str(g, n, "mode", mode) ||
            !set_str(g, n, "coordinate_transformation_mode", "asymmetric") ||
            !set_str(g, n, "nearest_mode", "floor"))
            return nomem(g, n, d);
        nd = &g->nodes[n];
        in[0] = x, in[1] = OQ_NONE, in[2] = scales, in[3] = OQ_NONE;
        nd->in = in;
        nd->nin = 4;
        nd->op_type = "Resize";
        return OQ_OK;
    }
    /* roi only matters for tf_crop_and_resize; empty constants mean absent */
    const char *ctm = ir_attr_s(nd, OQ_A_Resize_coordinate_transformation_mode);
    if (nd->nin > 1 && (empty_const(g, nd->in[1]) || strcmp(ctm, "tf_crop_and_resize") != 0))
        nd->in[1] = OQ_NONE;
    for (uint32_t k = 2; k < nd->nin && k < 4; k++)
        if (empty_const(g, nd->in[k]))
            nd->in[k] = OQ_NONE;
    return OQ_OK;
}

/* Opset < 7 binary ops: 'broadcast' (+ 'axis') -> numpy broadcasting. With an axis that is not
 * the numpy alignment, a constant B is given trailing 1-dims. */
static oq_status adapt_legacy_bcast(oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    const oq_attr *ax = ir_attr_get(nd, OQ_A_Add_axis);
    int64_t bc = ir_attr_i(nd, OQ_A_Add_broadcast);
    drop_attr(nd, "broadcast");
    if (!ax)
        return OQ_OK;
    int64_t axis = ax->i;
    drop_attr(nd, "axis");
    if (!bc || nd->nin < 2 || nd->in[0] == OQ_NONE || nd->in[1] == OQ_NONE)
        return OQ_OK;
    const oq_value *a = &g->values[nd->in[0]], *b = &g->values[nd->in[1]];
    if (b->shape.rank >= 0 && a->shape.rank >= 0 && axis < 0)
        axis += a->shape.rank;
    if (b->shape.rank >= 0 && a->shape.rank >= 0 && axis == a->shape.rank - b->shape.rank)
        return OQ_OK;
    if (!b->data || a->shape.rank < 0 || axis < 0 || axis + b->shape.rank > a->shape.rank)
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                         "legacy broadcast with axis=%lld needs a constant second input and a "
                         "known rank of the first", (long long)axis);
    oq_shape s = b->shape;
    int trail = (int)(a->shape.rank - axis - b->shape.rank);
    for (int i = 0; i < trail; i++)
        s.dim[s.rank++] = 1;
    uint32_t v = oq_fe_add_const(g, n, "B", b->dtype, &s, b->data);
    if (v == OQ_NONE)
        return nomem(g, n, d);
    g->nodes[n].in[1] = v;
    return OQ_OK;
}

/* PRelu < 7: a 1-D slope of C values is per channel (axis 1): reshape a constant slope to
 * [C, 1, ...] so numpy broadcasting agrees. */
static oq_status adapt_legacy_prelu(oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    if (nd->nin < 2 || nd->in[0] == OQ_NONE || nd->in[1] == OQ_NONE)
        return OQ_OK;
    const oq_value *x = &g->values[nd->in[0]], *sl = &g->values[nd->in[1]];
    if (sl->shape.rank != 1 || sl->shape.dim[0] == 1 || (x->shape.rank >= 0 && x->shape.rank <= 2))
        return OQ_OK;
    if (!sl->data || x->shape.rank < 0)
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                         "PRelu-6 per-channel slope needs a constant slope and a known input rank");
    oq_shape s = {.rank = x->shape.rank - 1, .dim = {sl->shape.dim[0]}};
    for (int i = 1; i < s.rank; i++)
        s.dim[i] = 1;
    uint32_t v = oq_fe_add_const(g, n, "slope", sl->dtype, &s, sl->data);
    if (v == OQ_NONE)
        return nomem(g, n, d);
    g->nodes[n].in[1] = v;
    return OQ_OK;
}

oq_status oq_fe_adapt(oq_graph *g, uint32_t n, int64_t opset, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    oq_status st = OQ_OK;
    drop_attr(nd, "consumed_inputs");   /* opset < 6 memory hint */
    if (opset < 7 && (oq_op_info(nd->op)->flags & OQ_OPF_BINARY))
        return adapt_legacy_bcast(g, n, d);
    switch (nd->op) {
    case OQ_OP_PRelu:
        if (opset < 7)
            return adapt_legacy_prelu(g, n, d);
        return OQ_OK;
    case OQ_OP_Constant:
        return fold_constant(g, n, d);
    case OQ_OP_Clip:   /* attribute form: opset < 11 (or a stray attribute later) */
        if (opset < 11 || ir_attr_get(nd, OQ_A_Clip_min) || ir_attr_get(nd, OQ_A_Clip_max)) {
            uint32_t k = nd->nin;
            if (k > 1)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "Clip bounds given both as attributes and as inputs");
            if ((st = float_to_input(g, n, "min", 1, false, 0, d)) != OQ_OK ||
                (st = float_to_input(g, n, "max", 2, false, 0, d)) != OQ_OK)
                return st;
        }
        return OQ_OK;
    case OQ_OP_Pad:
        if (opset < 11 || ir_attr_get(nd, OQ_A_Conv_pads) || ir_attr_get(nd, OQ_A_Pad_paddings)) {
            if (nd->nin > 1)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "Pad operands given both as attributes and as inputs");
            const char *pn = ir_attr_get(nd, OQ_A_Conv_pads) ? "pads" : "paddings";
            if (!ir_attr(nd, pn))
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "has no 'pads' attribute");
            if ((st = ints_to_input(g, n, pn, 1, d)) != OQ_OK)
                return st;
            const char *mode = ir_attr_s(&g->nodes[n], OQ_A_Pad_mode);
            bool has_value = ir_attr_get(&g->nodes[n], OQ_A_Pad_value) != NULL;
            if (has_value && strcmp(mode, "constant") == 0)
                return float_to_input(g, n, "value", 2, false, 0, d);
            drop_attr(&g->nodes[n], "value");
            return OQ_OK;
        }
        if (nd->nin > 3 && nd->in[3] != OQ_NONE)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "Pad with an 'axes' input "
                             "(opset 18) is not supported");
        if (nd->nin > 3)
            nd->nin = 3;
        return OQ_OK;
    case OQ_OP_Slice:
        if (opset < 10 || ir_attr_get(nd, OQ_A_Slice_starts)) {
            if (nd->nin > 1)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "Slice operands given both as attributes and as inputs");
            if (!ir_attr_get(nd, OQ_A_Slice_starts) || !ir_attr_get(nd, OQ_A_Slice_ends))
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "needs 'starts' and 'ends'");
            if ((st = ints_to_input(g, n, "starts", 1, d)) != OQ_OK ||
                (st = ints_to_input(g, n, "ends", 2, d)) != OQ_OK ||
                (st = ints_to_input(g, n, "axes", 3, d)) != OQ_OK)
                return st;
        }
        return OQ_OK;
    /* the attribute forms (Split < 13, Squeeze/Unsqueeze/ReduceSum < 13, ReduceMean/ReduceMax
     * < 18) are converted whenever the attribute is there; an attribute and an input both
     * given is an error */
    case OQ_OP_Split:
        return ints_to_input(g, n, "split", 1, d);
    case OQ_OP_Squeeze:
    case OQ_OP_Unsqueeze:
    case OQ_OP_ReduceSum:
    case OQ_OP_ReduceMean:
    case OQ_OP_ReduceMax:
        return ints_to_input(g, n, "axes", 1, d);
    case OQ_OP_Concat:
        if (opset < 4 && !ir_attr_get(nd, OQ_A_Concat_axis)) {   /* Concat-1: axis defaulted to 1 */
            oq_attr *a = ir_attr_add(g, n, "axis", OQ_ATTR_INT);
            if (!a)
                return nomem(g, n, d);
            a->i = 1;
        }
        return OQ_OK;
    case OQ_OP_Reshape:
        if (ir_attr_get(nd, OQ_A_Reshape_shape)) {   /* Reshape-1 */
            if (nd->nin > 1)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "shape given twice");
            return ints_to_input(g, n, "shape", 1, d);
        }
        return OQ_OK;
    case OQ_OP_Resize:
        return adapt_resize(g, n, opset, d);
    case OQ_OP_Softmax:
    case OQ_OP_LogSoftmax:
        if (opset < 13) {
            oq_attr *a = ir_attr_add(g, n, "onnxq_legacy_2d", OQ_ATTR_INT);
            if (!a)
                return nomem(g, n, d);
            a->i = 1;
        }
        return OQ_OK;
    case OQ_OP_BatchNormalization:
        if (ir_attr_i(nd, OQ_A_BatchNormalization_training_mode) != 0)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                             "training_mode=1 is not supported (inference only)");
        if (ir_attr_i(nd, OQ_A_BatchNormalization_spatial) != 1)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "spatial=0 is not supported");
        if (opset < 7 && ir_attr_i(nd, OQ_A_BatchNormalization_is_test) == 0 && nd->nout > 1)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                             "is_test=0 (training) is not supported");
        drop_attr(nd, "is_test");
        drop_attr(nd, "spatial");
        drop_attr(nd, "training_mode");
        return OQ_OK;
    case OQ_OP_Dropout:
        drop_attr(nd, "is_test");
        return OQ_OK;
    case OQ_OP_Gemm:
        drop_attr(nd, "broadcast");
        return OQ_OK;
    case OQ_OP_Cast: {
        const oq_attr *a = ir_attr_get(nd, OQ_A_Cast_to);
        if (a && a->type == OQ_ATTR_STRING) {   /* Cast-1: type by name */
            static const char *const names[] = {
#define OQ_DTYPE(name, num, size, str) [num] = #name,
#include "../ir/dtypes.def"
#undef OQ_DTYPE
            };
            int64_t to = -1;
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (names[i] && strcmp(names[i], a->s) == 0)
                    to = (int64_t)i;
            if (to <= 0)
                return oq_errorf(d, g, n, OQ_ERR_DTYPE, "unknown type '%s'", a->s);
            drop_attr(nd, "to");
            oq_attr *na = ir_attr_add(g, n, "to", OQ_ATTR_INT);
            if (!na)
                return nomem(g, n, d);
            na->i = to;
        }
        return OQ_OK;
    }
    default:
        return OQ_OK;
    }
}

oq_status oq_fe_adapt_outputs(oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_node *nd = &g->nodes[n];
    bool bn = nd->op == OQ_OP_BatchNormalization;
    if (nd->nout <= 1 || !(bn || nd->op == OQ_OP_Dropout || nd->op == OQ_OP_MaxPool ||
                           nd->op == OQ_OP_LayerNormalization))
        return OQ_OK;
    /* optional outputs nobody reads become OQ_NONE; BN's are training-only */
    for (uint32_t i = 1; i < nd->nout; i++) {
        uint32_t v = nd->out[i];
        if (v == OQ_NONE)
            continue;
        if (g->values[v].nuse || g->values[v].is_output) {
            if (bn)
                return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                                 "training output %u ('%s') is used; only inference is supported",
                                 i, g->values[v].name);
            continue;
        }
        g->values[v].producer = OQ_NONE;
        nd->out[i] = OQ_NONE;
    }
    while (nd->nout > 1 && nd->out[nd->nout - 1] == OQ_NONE)
        nd->nout--;
    return OQ_OK;
}
