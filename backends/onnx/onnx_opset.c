/* ONNX writer, opset choice: the written default-domain opset is the model's (or the one asked
 * for), raised to the minimum the graph's ops need (ops.def column opset: the version that
 * introduced each op, and the one that made its attribute operands inputs when one is computed
 * at run time) and their canonical forms need (form_needs: per-axis Q/DQ 13, ...). An explicit
 * opset below that is an error naming the node. Also the constant-input readers the rewrites
 * share. */
#include <string.h>

#include "onnx_int.h"

/* ------------------------------------------------------------------ constant inputs */

bool ow_is_const(const wctx *w, uint32_t v)
{
    return v != OQ_NONE && w->g->values[v].data != NULL;
}

/* Reads constant integer input v (INT64 or INT32) into *out (arena); -1 if not constant. */
int64_t ow_const_ints(wctx *w, uint32_t v, int64_t **out)
{
    if (!ow_is_const(w, v))
        return -1;
    const oq_value *val = &w->g->values[v];
    int64_t n = oq_shape_numel(&val->shape);
    if (n < 0 || (val->dtype != OQ_DT_INT64 && val->dtype != OQ_DT_INT32))
        return -1;
    int64_t *p = ow_alloc(w, (size_t)(n ? n : 1) * sizeof *p);
    if (!p)
        return -1;
    for (int64_t i = 0; i < n; i++)
        p[i] = val->dtype == OQ_DT_INT64 ? ((const int64_t *)val->data)[i]
                                         : ((const int32_t *)val->data)[i];
    *out = p;
    return n;
}

/* Reads a constant scalar (one element) of v as float; false if not a constant number. */
bool ow_const_scalar_f(const wctx *w, uint32_t v, float *out)
{
    if (!ow_is_const(w, v))
        return false;
    const oq_value *val = &w->g->values[v];
    if (oq_shape_numel(&val->shape) != 1)
        return false;
    switch (val->dtype) {
    case OQ_DT_FLOAT: *out = *(const float *)val->data; return true;
    case OQ_DT_DOUBLE: *out = (float)*(const double *)val->data; return true;
    case OQ_DT_INT32: *out = (float)*(const int32_t *)val->data; return true;
    case OQ_DT_INT64: *out = (float)*(const int64_t *)val->data; return true;
    case OQ_DT_UINT8: *out = *(const uint8_t *)val->data; return true;
    case OQ_DT_INT8: *out = *(const int8_t *)val->data; return true;
    default: return false;
    }
}

/* True if constant integer input i of n has every element equal to one. */
static bool all_ones(wctx *w, const oq_node *n, uint32_t i)
{
    int64_t *v;
    int64_t k = ow_const_ints(w, ow_in(n, i), &v);
    if (k < 0)
        return false;
    for (int64_t j = 0; j < k; j++)
        if (v[j] != 1)
            return false;
    return true;
}

/* Normalized axis attribute of a Softmax-family node (legacy default 1, else -1). */
int64_t ow_softmax_axis(const wctx *w, const oq_node *n)
{
    int64_t r = w->g->values[n->in[0]].shape.rank;
    int64_t a = ir_softmax_axis(n);
    return a < 0 ? a + r : a;
}

/* ------------------------------------------------------------------ opset selection */

/* Minimum default-domain opset that node n's canonical form needs beyond the op's own
 * (attributes, inputs computed at run time, ...); OW_MIN_OPSET when none. *why says what. */
static int64_t form_needs(wctx *w, const oq_node *n, const char **why)
{
    const oq_graph *g = w->g;
    switch (n->op) {
    case OQ_OP_QuantizeLinear:
    case OQ_OP_DequantizeLinear: {
        uint32_t s = ow_in(n, 1);
        if (s != OQ_NONE && g->values[s].shape.rank > 0 &&
            oq_shape_numel(&g->values[s].shape) != 1) {
            *why = "per-axis quantization";
            return 13;
        }
        return OW_MIN_OPSET;
    }
    case OQ_OP_Clip: {
        oq_dtype xt = g->values[n->in[0]].dtype;
        if (xt != OQ_DT_FLOAT && xt != OQ_DT_UNDEFINED) {
            *why = "Clip on a non-float type";
            return 12;
        }
        return OW_MIN_OPSET;
    }
    case OQ_OP_Slice:
        if (ow_in(n, 4) != OQ_NONE && !all_ones(w, n, 4)) {
            *why = "Slice steps";
            return 10;
        }
        return OW_MIN_OPSET;
    case OQ_OP_Resize: {
        /* Resize-10 is Resize(X, scales), nearest or linear, asymmetric coordinates and (for
         * nearest) floor; an IR from an opset <= 10 model means exactly that when silent */
        const char *ctm = ir_resize_str(g, n, OQ_A_Resize_coordinate_transformation_mode);
        const char *mode = ir_attr_s(n, OQ_A_Resize_mode);
        const char *nmode = ir_resize_str(g, n, OQ_A_Resize_nearest_mode);
        int64_t need = OW_MIN_OPSET;
        for (uint32_t i = 0; i < n->nattr; i++) {
            const char *a = n->attr[i].name;
            if (strcmp(a, "antialias") == 0 || strcmp(a, "axes") == 0 ||
                strcmp(a, "keep_aspect_ratio_policy") == 0) {
                *why = "Resize attribute from opset 18";
                return 18;
            }
            if (strcmp(a, "mode") && strcmp(a, "coordinate_transformation_mode") &&
                strcmp(a, "nearest_mode") && strncmp(a, "onnxq_", 6))
                need = 11;
        }
        if (ow_in(n, 1) != OQ_NONE || ow_in(n, 3) != OQ_NONE || ow_in(n, 2) == OQ_NONE ||
            strcmp(ctm, "asymmetric") != 0 || strcmp(mode, "cubic") == 0 ||
            (strcmp(mode, "nearest") == 0 && strcmp(nmode, "floor") != 0))
            need = 11;
        if (need == 11)
            *why = "Resize with roi, sizes, cubic mode or non-asymmetric coordinates";
        return need;
    }
    case OQ_OP_Softmax:
    case OQ_OP_LogSoftmax: {
        bool legacy = ir_attr_i(n, OQ_A_Softmax_onnxq_legacy_2d) != 0;
        int64_t r = g->values[n->in[0]].shape.rank;
        if (!legacy && ow_softmax_axis(w, n) != r - 1) {
            *why = "softmax over an inner axis";
            return 13;
        }
        return OW_MIN_OPSET;
    }
    case OQ_OP_Gemm:
        if (ow_in(n, 2) == OQ_NONE) {
            *why = "Gemm without C";
            return 11;
        }
        return OW_MIN_OPSET;
    default:
        return OW_MIN_OPSET;
    }
}

/* Minimum default-domain opset that can express node n: the version that introduced its op,
 * the one that made its attribute operands inputs when one is computed at run time (ops.def
 * column opset; ops of another domain need none), or what its form needs. */
static int64_t opset_needs(wctx *w, const oq_node *n, const char **why)
{
    const oq_opinfo *oi = oq_op_info(n->op);
    *why = oi->name;
    int64_t need = oi->domain[0] ? OW_MIN_OPSET : oi->since;
    for (uint32_t i = 1; oi->inputs_since > need && i < n->nin; i++)
        if (n->in[i] != OQ_NONE && !ow_is_const(w, n->in[i])) {
            need = oi->inputs_since;
            *why = "an operand computed at run time (an attribute in older opsets)";
        }
    const char *fwhy = oi->name;
    int64_t k = form_needs(w, n, &fwhy);
    if (k > need) {
        need = k;
        *why = fwhy;
    }
    return need;
}

/* Decides w->opset; on an explicit opset too low for a node, reports it and returns false. */
bool ow_choose_opset(wctx *w)
{
    const oq_graph *g = w->g;
    int64_t base = w->o && w->o->opset > 0 ? w->o->opset : g->opset;
    if (base < OW_MIN_OPSET)
        base = OW_MIN_OPSET;
    int64_t need = base;
    for (uint32_t i = 0; i < g->nnode; i++) {
        const oq_node *n = &g->nodes[i];
        if (n->dead || n->op == OQ_OP_UNKNOWN)
            continue;
        const char *why;
        int64_t k = opset_needs(w, n, &why);
        if (k > base && w->o && w->o->opset > 0) {
            oq_errorf(w->d, g, i, OQ_ERR_USAGE,
                      "cannot write opset %lld: %s needs opset %lld or later",
                      (long long)base, why, (long long)k);
            return false;
        }
        if (k > need)
            need = k;
    }
    w->opset = need;
    return true;
}

/* IR version that goes with an opset (ONNX's versioning table; at least 4 so initializers need
 * not be graph inputs). */
int64_t ow_ir_version(int64_t opset)
{
    if (opset >= 19)
        return 9;
    if (opset >= 15)
        return 8;
    if (opset >= 12)
        return 7;
    if (opset >= 11)
        return 6;
    if (opset >= 10)
        return 5;
    return 4;
}

