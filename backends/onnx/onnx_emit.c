/* ONNX writer, node emission: each live IR node is written in the form the chosen opset
 * defines (axes/split/pads/Clip bounds as attributes below 13/18/11, Resize-10 and 11-12 input
 * lists, Softmax legacy 2-D semantics, Dropout ratio, Split num_outputs), typed attributes
 * copied, onnxq-internal attributes ("onnxq_*") dropped. */
#include <stdio.h>
#include <string.h>

#include "onnx_int.h"

/* Copies one typed IR attribute. */
static bool attr_copy(wctx *w, nodeb *b, const oq_attr *at, uint32_t node)
{
    switch (at->type) {
    case OQ_ATTR_INT: ow_attr_int(w, b, at->name, at->i); break;
    case OQ_ATTR_FLOAT: ow_attr_float(w, b, at->name, at->f); break;
    case OQ_ATTR_STRING: ow_attr_string(w, b, at->name, at->s ? at->s : ""); break;
    case OQ_ATTR_INTS: ow_attr_ints(w, b, at->name, at->ints, at->n); break;
    case OQ_ATTR_FLOATS: {
        Onnx__AttributeProto *a =
            ow_attr_new(w, b, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
        if (a) {
            a->n_floats = at->n;
            a->floats = at->floats;
        }
        break;
    }
    case OQ_ATTR_STRINGS: {
        Onnx__AttributeProto *a =
            ow_attr_new(w, b, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
        ProtobufCBinaryData *s = ow_alloc(w, (at->n + 1) * sizeof *s);
        if (a && s) {
            for (uint32_t i = 0; i < at->n; i++) {
                s[i].data = (uint8_t *)at->strings[i];
                s[i].len = strlen(at->strings[i]);
            }
            a->n_strings = at->n;
            a->strings = s;
        }
        break;
    }
    case OQ_ATTR_TENSOR: {
        if (!at->t)
            return oq_errorf(w->d, w->g, node, OQ_ERR_INTERNAL, "attribute '%s' has no tensor",
                             at->name) == OQ_OK;
        Onnx__TensorProto *t = ow_tensor(w, "", at->t->dtype, &at->t->shape, at->t->data, node);
        if (!t)
            return false;
        Onnx__AttributeProto *a =
            ow_attr_new(w, b, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
        if (a)
            a->t = t;
        break;
    }
    }
    return !w->nomem;
}

/* Attributes of n that the written opset does not know or that are internal to onnxq. */
static bool skip_attr(const wctx *w, const oq_node *n, const char *name)
{
    if (strncmp(name, "onnxq_", 6) == 0)
        return true;
    switch (n->op) {
    case OQ_OP_BatchNormalization:
        return (strcmp(name, "spatial") == 0 && w->opset >= 9) ||
               (strcmp(name, "training_mode") == 0 && w->opset < 14) ||
               strcmp(name, "is_test") == 0 || strcmp(name, "consumed_inputs") == 0;
    case OQ_OP_Dropout:
        return strcmp(name, "is_test") == 0 ||
               (strcmp(name, "ratio") == 0 && w->opset >= oq_op_info(n->op)->inputs_since);
    case OQ_OP_Split:
        return strcmp(name, "num_outputs") == 0 && w->opset < 18;
    case OQ_OP_QuantizeLinear:
    case OQ_OP_DequantizeLinear:
        return strcmp(name, "axis") == 0 && w->opset < 13;
    case OQ_OP_Softmax:
    case OQ_OP_LogSoftmax:
        return strcmp(name, "axis") == 0;      /* always rewritten by emit_softmax */
    case OQ_OP_Resize:
        return w->opset < 11 && strcmp(name, "mode") != 0;
    default:
        return false;
    }
}

/* Softmax/LogSoftmax: legacy 2-D semantics (onnxq_legacy_2d) or single-axis, for the opset.
 * Legacy at opset >= 13 over a non-last axis becomes Flatten -> Softmax(axis 1) -> Reshape. */
static bool emit_softmax(wctx *w, uint32_t ni, nodeb *b)
{
    const oq_node *n = &w->g->nodes[ni];
    const oq_value *x = &w->g->values[n->in[0]];
    bool legacy = ir_attr_i(n, OQ_A_Softmax_onnxq_legacy_2d) != 0;
    int64_t r = x->shape.rank;
    if (r < 1)
        return oq_errorf(w->d, w->g, ni, OQ_ERR_SHAPE, "input rank unknown; cannot write axis") ==
               OQ_OK;
    int64_t a = ow_softmax_axis(w, n);
    if (a < 0 || a >= r)
        return oq_errorf(w->d, w->g, ni, OQ_ERR_INVALID_MODEL, "axis out of range for rank %lld",
                         (long long)r) == OQ_OK;
    bool has_axis = ir_attr_get(n, OQ_A_Softmax_axis) != NULL;
    if (w->opset < 13 ? legacy : !legacy) {       /* native semantics: the IR's attribute */
        if (has_axis)
            ow_attr_int(w, b, "axis", ir_attr_i(n, OQ_A_Softmax_axis));
        return ow_push_node(w, b);
    }
    if (a == r - 1) {          /* same meaning in both semantics, spelled out */
        ow_attr_int(w, b, "axis", a);
        return ow_push_node(w, b);
    }
    /* legacy over [prod(0..a), prod(a..)] at opset >= 13 */
    const char *flat = ow_fresh_name(w, "flat"), *sm = ow_fresh_name(w, "softmax2d");
    const char *shp = ow_const_i64(w, "shape", x->shape.dim, (size_t)r, ni);
    if (!flat || !sm || !shp)
        return false;
    char nm[512];
    nodeb f, rs;
    snprintf(nm, sizeof nm, "%s_flatten", n->name);
    if (!ow_node_begin(w, &f, "Flatten", "", nm, false, 1, 1, 1))
        return false;
    ow_node_in_v(w, &f, n->in[0]);
    ow_node_out(&f, flat);
    ow_attr_int(w, &f, "axis", a);
    if (!ow_push_node(w, &f))
        return false;
    const char *out = b->p->output[0];
    b->p->input[0] = (char *)flat;
    b->vin[0] = OQ_NONE;
    b->p->output[0] = (char *)sm;
    ow_attr_int(w, b, "axis", 1);
    if (!ow_push_node(w, b))
        return false;
    snprintf(nm, sizeof nm, "%s_reshape", n->name);
    if (!ow_node_begin(w, &rs, "Reshape", "", nm, false, 2, 1, 0))
        return false;
    ow_node_in(&rs, sm);
    ow_node_in(&rs, shp);
    ow_node_out(&rs, out);
    return ow_push_node(w, &rs);
}

/* Input i (constant integers) becomes INTS attribute `attr`; the input is dropped (all inputs
 * from i on are removed by the caller via n_input). */
static bool input_to_ints_attr(wctx *w, uint32_t ni, nodeb *b, uint32_t i, const char *attr)
{
    const oq_node *n = &w->g->nodes[ni];
    if (ow_in(n, i) == OQ_NONE)
        return true;
    int64_t *v;
    int64_t k = ow_const_ints(w, n->in[i], &v);
    if (k < 0)
        return oq_errorf(w->d, w->g, ni, OQ_ERR_INTERNAL,
                         "input '%s' must be a constant to write it as attribute '%s'",
                         w->g->values[n->in[i]].name, attr) == OQ_OK;
    ow_attr_ints(w, b, attr, v, (size_t)k);
    return !w->nomem;
}

/* Split sizes from the output shapes along the split axis (for num_outputs below opset 18). */
static bool split_sizes(wctx *w, const oq_node *n, int64_t **sizes, bool *equal)
{
    int64_t r = w->g->values[n->in[0]].shape.rank;
    int64_t ax = ir_attr_i(n, OQ_A_Split_axis);
    if (ax < 0)
        ax += r;
    int64_t *s = ow_alloc(w, (n->nout + 1) * sizeof *s);
    if (!s || ax < 0 || ax >= r)
        return false;
    *equal = true;
    for (uint32_t i = 0; i < n->nout; i++) {
        if (n->out[i] == OQ_NONE || w->g->values[n->out[i]].shape.rank != r)
            return false;
        s[i] = w->g->values[n->out[i]].shape.dim[ax];
        if (s[i] < 0)
            return false;
        if (s[i] != s[0])
            *equal = false;
    }
    *sizes = s;
    return true;
}

/* Emits node ni for w->opset (skips dead nodes). */
bool ow_emit_node(wctx *w, uint32_t ni)
{
    const oq_graph *g = w->g;
    const oq_node *n = &g->nodes[ni];
    const char *op_type = n->op == OQ_OP_UNKNOWN ? n->op_type : oq_op_info(n->op)->name;
    const char *domain = n->op == OQ_OP_UNKNOWN ? (n->domain ? n->domain : "")
                                                : oq_op_info(n->op)->domain;
    nodeb b;
    if (!ow_node_begin(w, &b, op_type, domain, n->name, w->first_name[ni], n->nin + 2,
                       n->nout + 1, n->nattr + 8))
        return false;
    for (uint32_t i = 0; i < n->nin; i++)
        ow_node_in_v(w, &b, n->in[i]);
    for (uint32_t i = 0; i < n->nout; i++)
        ow_node_out(&b, ow_vname(w, n->out[i]));
    for (uint32_t i = 0; i < n->nattr; i++)
        if (!skip_attr(w, n, n->attr[i].name) && !attr_copy(w, &b, &n->attr[i], ni))
            return false;
    int64_t T = w->opset;
    int64_t T_in = oq_op_info(n->op)->inputs_since;  /* below: constant operands as attributes */
    switch (n->op) {
    case OQ_OP_Squeeze:
    case OQ_OP_Unsqueeze:
    case OQ_OP_ReduceSum:
    case OQ_OP_ReduceMean:
    case OQ_OP_ReduceMax:
        if (T < T_in) {
            if (!input_to_ints_attr(w, ni, &b, 1, "axes"))
                return false;
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Split: {
        bool has_split = ow_in(n, 1) != OQ_NONE;
        if (has_split && T < T_in) {
            if (!input_to_ints_attr(w, ni, &b, 1, "split"))
                return false;
            b.p->n_input = 1;
        } else if (!has_split && ir_attr_get(n, OQ_A_Split_num_outputs) && T < 18) {
            int64_t *sz;
            bool equal;
            if (!split_sizes(w, n, &sz, &equal))
                return oq_errorf(w->d, g, ni, OQ_ERR_SHAPE, "output shapes unknown; cannot "
                                 "write num_outputs below opset 18") == OQ_OK;
            if (!equal) {
                if (T < T_in) {
                    ow_attr_ints(w, &b, "split", sz, n->nout);
                } else {
                    const char *c = ow_const_i64(w, "split", sz, n->nout, ni);
                    if (!c)
                        return false;
                    b.p->n_input = 1;
                    ow_node_in(&b, c);
                }
            }
        } else if (!has_split && T >= 18 && !ir_attr_get(n, OQ_A_Split_num_outputs)) {
            ow_attr_int(w, &b, "num_outputs", n->nout);
        }
        break;
    }
    case OQ_OP_Clip:
        if (T < T_in) {
            float v;
            if (ow_in(n, 1) != OQ_NONE && ow_const_scalar_f(w, n->in[1], &v))
                ow_attr_float(w, &b, "min", v);
            if (ow_in(n, 2) != OQ_NONE && ow_const_scalar_f(w, n->in[2], &v))
                ow_attr_float(w, &b, "max", v);
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Pad:
        if (T < T_in) {
            float v;
            if (!input_to_ints_attr(w, ni, &b, 1, "pads"))
                return false;
            if (ow_in(n, 2) != OQ_NONE && ow_const_scalar_f(w, n->in[2], &v))
                ow_attr_float(w, &b, "value", v);
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Slice:
        if (T < T_in) {
            if (!input_to_ints_attr(w, ni, &b, 1, "starts") ||
                !input_to_ints_attr(w, ni, &b, 2, "ends") ||
                !input_to_ints_attr(w, ni, &b, 3, "axes"))
                return false;
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Resize:
        if (T < 11) {
            b.p->n_input = 0;              /* opset 10: Resize(X, scales) */
            ow_node_in_v(w, &b, n->in[0]);
            ow_node_in_v(w, &b, ow_in(n, 2));
        } else {
            if (g->opset <= 10 && !ir_attr_get(n, OQ_A_Resize_coordinate_transformation_mode)) {
                /* Upsample / Resize-10 semantics, spelled out for opset 11+ */
                ow_attr_string(w, &b, "coordinate_transformation_mode", "asymmetric");
                const char *mode = ir_attr_s(n, OQ_A_Resize_mode);
                if (strcmp(mode, "nearest") == 0 && !ir_attr_get(n, OQ_A_Resize_nearest_mode))
                    ow_attr_string(w, &b, "nearest_mode", "floor");
            }
            if (T < 13) {                  /* roi and scales are required inputs at 11-12 */
                while (b.p->n_input < 3)
                    ow_node_in(&b, "");
                if (!b.p->input[1][0] &&
                    !(b.p->input[1] = (char *)ow_const_empty_f32(w, "roi", ni)))
                    return false;
                if (!b.p->input[2][0] &&
                    !(b.p->input[2] = (char *)ow_const_empty_f32(w, "scales", ni)))
                    return false;
            }
        }
        break;
    case OQ_OP_Dropout:
        if (T < T_in) {
            float v;
            if (ow_in(n, 1) != OQ_NONE && ow_const_scalar_f(w, n->in[1], &v))
                ow_attr_float(w, &b, "ratio", v);
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Softmax:
    case OQ_OP_LogSoftmax:
        return emit_softmax(w, ni, &b);
    default:
        break;
    }
    ow_node_trim(&b, n->nin);
    return ow_push_node(w, &b);
}

