/* The quantizer: float graph (after the float passes and calibration) -> the QDQ form
 * (passes/README.md). Static mode: every float activation that enters or leaves a quantized node gets
 * QuantizeLinear -> DequantizeLinear (scalar scale / zero-point constants; uint8 asymmetric by
 * default, per o); weights become int8 symmetric [-127,127] constants (per output channel
 * unless per_tensor) feeding a DequantizeLinear; biases int32 with scale s_in * s_w[c], zp 0,
 * widening s_w[c] (with a warning) where the int32 would overflow. A quantized node's output
 * keeps its value id: the node now writes a fresh float value, and Q -> DQ produce the old id,
 * so every consumer and graph output reads the dequantized tensor. A float producer's output
 * feeding a quantized node gets a Q -> DQ copy that only the quantized consumers read.
 * Ops flagged KEEPQ in ir/ops.def (data movement but Concat, and the pools) reuse their input's
 * qparams; OWNQ ops (weight ops, Add, Mul, Concat, activations) get their own; a Concat's
 * inputs made for it alone take the Concat's qparams (one scale for all of its inputs). Outputs
 * of "onnxq_fused" producers are not quantized (the activation after them is), per PyTorch
 * fusion semantics.
 * Element-wise regions (eltregion.c: x * HardSigmoid(x), x * Clip(x + 3, 0, 6) / 6, ...) are
 * quantized as one node: Q/DQ on the source and on the tails, none inside, so lower_int turns
 * each into one lookup table. A region is quantized when it holds an OWNQ op, or when its
 * source is already quantized and every reader of its tails is an OWNQ or weight op.
 * Pre-quantized input: values already read by a QuantizeLinear or written by a
 * DequantizeLinear keep their Q/DQ; only the still-float edges are quantized.
 * Dynamic mode: MatMul/Gemm with a constant weight -> DynamicQuantizeLinear + MatMulInteger +
 * Cast + Mul(x_scale * w_scale) (+ Add bias), ONNX Runtime's dynamic form. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

typedef struct qctx {
    oq_graph *g;
    const oq_calib *c;
    const oq_options *o;
    oq_diag *d;
    oq_qscheme act;            /* activation scheme */
    uint32_t nvalue0;          /* values before quantization (the per-value arrays' size) */
    bool *has;                 /* value has qparams (quantized, or pre-quantized) */
    float *scale;              /* its per-tensor qparams */
    int32_t *zp;
    uint32_t *dq;              /* value id consumers should read (== v when renamed) */
    uint32_t *src;             /* per value made by quantize_input (id - nvalue0): its source */
    uint32_t nsrc;             /* entries of src */
    int8_t *qnode;             /* per original node: -1 undecided, 0 float, 1 quantized */
    bool *ovr_used;            /* per override: matched a quantized tensor */
    bool *forced;              /* per original value: qparams imposed by a Concat (scale/zp) */
    uint32_t nnode0;           /* nodes before quantization */
    uint32_t *esrc;            /* per original node: its element-wise region's source, or OQ_NONE */
    uint8_t *erole;            /* per original node: OQ_ELT_NONE / INNER / TAIL */
    int8_t *edec;              /* per original value: region from it quantized (-1 undecided) */
    bool *inf;                 /* per original value: may hold +-inf (inf_values) */
} qctx;

static bool is_weight_op(oq_op op) { return oq_op_info(op)->flags & OQ_OPF_WEIGHTS; }

/* Output reuses the input's qparams. */
static bool keeps_qparams(oq_op op) { return oq_op_info(op)->flags & OQ_OPF_KEEPQ; }

static bool own_qparams_op(oq_op op) { return oq_op_info(op)->flags & OQ_OPF_OWNQ; }

static bool is_float_act(const oq_graph *g, uint32_t v)
{
    return v != OQ_NONE && g->values[v].dtype == OQ_DT_FLOAT && !g->values[v].data;
}

static const char *vname(const oq_graph *g, uint32_t v) { return g->values[v].name; }

/* Adds a scalar (rank 0) or 1-D constant. */
static uint32_t const_vec(oq_graph *g, const char *base, const char *suffix, oq_dtype dt,
                          int64_t n, bool scalar, const void *data)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.400s%s", base, suffix);
    oq_shape s = {.rank = scalar ? 0 : 1, .dim = {n}};
    return oq_add_const(g, buf, dt, &s, data);
}

static bool set_q(oq_graph *g, uint32_t v, oq_dtype dt, int32_t axis, uint32_t n,
                  const float *scale, const int32_t *zp)
{
    oq_quant *q = &g->values[v].q;
    q->scale = oq_arena_dup(&g->arena, scale, n * sizeof *scale);
    q->zero_point = oq_arena_dup(&g->arena, zp, n * sizeof *zp);
    if (!q->scale || !q->zero_point)
        return false;
    q->dtype = dt;
    q->axis = axis;
    q->n = n;
    return true;
}

/* Scalar scale / zero-point constants for activation qparams. */
static bool act_consts(qctx *q, const char *base, float s, int32_t z, uint32_t *sv, uint32_t *zv)
{
    *sv = const_vec(q->g, base, "_scale", OQ_DT_FLOAT, 1, true, &s);
    if (q->act.dtype == OQ_DT_UINT8) {
        uint8_t u = (uint8_t)z;
        *zv = const_vec(q->g, base, "_zero_point", OQ_DT_UINT8, 1, true, &u);
    } else {
        int8_t i = (int8_t)z;
        *zv = const_vec(q->g, base, "_zero_point", OQ_DT_INT8, 1, true, &i);
    }
    return *sv != OQ_NONE && *zv != OQ_NONE;
}

/* Appends src -> Q -> DQ -> dst with qparams (s, z); names from base. */
static oq_status add_qdq(qctx *q, const char *base, uint32_t src, uint32_t dst, float s, int32_t z)
{
    oq_graph *g = q->g;
    uint32_t sv, zv;
    char buf[512];
    snprintf(buf, sizeof buf, "%.400s_quantized", base);
    const char *qn = ir_unique_name(g, buf);
    uint32_t qv = qn ? ir_add_value(g, qn, q->act.dtype, &g->values[src].shape) : OQ_NONE;
    if (qv == OQ_NONE || !act_consts(q, base, s, z, &sv, &zv) ||
        !set_q(g, qv, q->act.dtype, 0, 1, &s, &z))
        return oq_errorf(q->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory quantizing '%s'", base);
    snprintf(buf, sizeof buf, "%.400s_QuantizeLinear", base);
    uint32_t qin[3] = {src, sv, zv}, dqin[3] = {qv, sv, zv};
    if (ir_add_node(g, OQ_OP_QuantizeLinear, buf, qin, 3, &qv, 1) == OQ_NONE)
        return oq_errorf(q->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    snprintf(buf, sizeof buf, "%.400s_DequantizeLinear", base);
    if (ir_add_node(g, OQ_OP_DequantizeLinear, buf, dqin, 3, &dst, 1) == OQ_NONE)
        return oq_errorf(q->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    return OQ_OK;
}

/* Is v read only by element-wise regions from it that hold an OWNQ op (so they are
 * quantized, file comment), and not a graph output? Their constant stretches need no codes. */
static bool region_source_only(const qctx *q, uint32_t v)
{
    const oq_graph *g = q->g;
    const oq_value *x = &g->values[v];
    if (v >= q->nvalue0 || x->is_output || !x->nuse)
        return false;
    for (uint32_t u = 0; u < x->nuse; u++) {
        uint32_t n = x->uses[u];
        if (!g->nodes[n].dead && (n >= q->nnode0 || q->esrc[n] != v))
            return false;
    }
    for (uint32_t n = 0; n < q->nnode0; n++)
        if (q->esrc[n] == v && own_qparams_op(g->nodes[n].op))
            return true;
    return false;
}

/* Activation qparams of v: an --override, else the calibration with the chosen observer. */
static oq_status calib_qparams(qctx *q, uint32_t node, uint32_t v, float *s, int32_t *z)
{
    float lo, hi;
    oq_obs_kind kind = q->o->observer;
    if (v < q->nvalue0 && q->forced[v]) {
        *s = q->scale[v];
        *z = q->zp[v];
        return OQ_OK;
    }
    for (uint32_t i = 0; i < q->o->noverride; i++) {
        const oq_override *ov = &q->o->overrides[i];
        if (strcmp(ov->tensor, vname(q->g, v)) != 0)
            continue;
        q->ovr_used[i] = true;
        if (!ov->fixed) {
            kind = ov->observer;
            break;
        }
        int32_t qmin, qmax;
        oq_qrange(&q->act, &qmin, &qmax);
        if (!(ov->scale > 0) || ov->zero_point < qmin || ov->zero_point > qmax)
            return oq_errorf(q->d, q->g, node, OQ_ERR_USAGE,
                             "--override %s: scale %g / zero point %d not valid for %s",
                             ov->tensor, ov->scale, ov->zero_point, oq_dtype_name(q->act.dtype));
        *s = ov->scale;
        *z = ov->zero_point;
        return OQ_OK;
    }
    if (!oq_calib_range(q->c, v, kind, q->o->percentile, &lo, &hi))
        return oq_errorf(q->d, q->g, node, OQ_ERR_DATA,
                         "no calibration statistics for value '%s' (give --calib DATA: a "
                         "model that is not, or only partly, quantized needs calibration "
                         "samples for its float edges)", vname(q->g, v));
    if (region_source_only(q, v)) {
        oq_status st = oq_elt_active_range(q->g, q->esrc, q->erole, q->nnode0, v, &lo, &hi,
                                           q->d);
        if (st != OQ_OK)
            return st;
    }
    oq_calc_qparams(&q->act, &lo, &hi, 1, s, z);
    return OQ_OK;
}

/* Makes input v of a quantized node readable as dequantized: returns the id to read. */
static oq_status quantize_input(qctx *q, uint32_t node, uint32_t v, uint32_t *out)
{
    oq_graph *g = q->g;
    *out = v;
    if (v >= q->nvalue0 || !is_float_act(g, v))
        return OQ_OK;
    uint32_t pn = g->values[v].producer;
    if (pn != OQ_NONE && ir_attr_i(&g->nodes[pn], OQ_A_ANY_onnxq_fused))
        return OQ_OK;          /* inside a fused pattern: stays float */
    if (q->has[v]) {
        *out = q->dq[v];
        return OQ_OK;
    }
    float s;
    int32_t z;
    oq_status st = calib_qparams(q, node, v, &s, &z);
    if (st != OQ_OK)
        return st;
    char buf[512];
    snprintf(buf, sizeof buf, "%.400s_dq", vname(g, v));
    const char *nm = ir_unique_name(g, buf);
    uint32_t dst = nm ? ir_add_value(g, nm, OQ_DT_FLOAT, &g->values[v].shape) : OQ_NONE;
    if (dst == OQ_NONE)
        return oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
    if ((st = add_qdq(q, vname(g, v), v, dst, s, z)))
        return st;
    q->has[v] = true;
    q->scale[v] = s;
    q->zp[v] = z;
    q->dq[v] = dst;
    if (dst - q->nvalue0 >= q->nsrc) {
        uint32_t n = (dst - q->nvalue0 + 1) * 2;
        uint32_t *a = realloc(q->src, (size_t)n * sizeof *a);
        if (!a)
            return oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
        for (uint32_t i = q->nsrc; i < n; i++)
            a[i] = OQ_NONE;
        q->src = a;
        q->nsrc = n;
    }
    q->src[dst - q->nvalue0] = v;
    *out = dst;
    return OQ_OK;
}

/* Quantizes output y of node: the node writes a new float value, Q -> DQ write y. */
static oq_status quantize_output(qctx *q, uint32_t node, uint32_t oi, float s, int32_t z)
{
    oq_graph *g = q->g;
    uint32_t y = g->nodes[node].out[oi];
    char buf[512];
    snprintf(buf, sizeof buf, "%.400s_preq", vname(g, y));
    const char *nm = ir_unique_name(g, buf);
    uint32_t p = nm ? ir_add_value(g, nm, OQ_DT_FLOAT, &g->values[y].shape) : OQ_NONE;
    if (p == OQ_NONE)
        return oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
    g->nodes[node].out[oi] = p;
    g->values[p].producer = node;
    g->values[p].producer_out = oi;
    oq_status st = add_qdq(q, vname(g, y), p, y, s, z);
    if (st != OQ_OK)
        return st;
    q->has[y] = true;
    q->scale[y] = s;
    q->zp[y] = z;
    q->dq[y] = y;
    return OQ_OK;
}

/* Quantizes w[] (numel n) along axis of shape s with scales sc (per channel). */
static void quant_weights(const float *w, int8_t *wq, const oq_shape *s, int axis,
                          const float *sc)
{
    int64_t n = oq_shape_numel(s), inner = 1, C = axis >= 0 ? s->dim[axis] : 1;
    for (int i = axis + 1; axis >= 0 && i < s->rank; i++)
        inner *= s->dim[i];
    for (int64_t i = 0; i < n; i++) {
        int64_t c = axis >= 0 ? (i / inner) % C : 0;
        float r = nearbyintf(w[i] / sc[c]);
        wq[i] = (int8_t)(r < -127.0f ? -127 : r > 127.0f ? 127 : r);
    }
}

/* Weight (in[1]) and bias (in[2]) of weight op `node` into int8 / int32 + DequantizeLinear;
 * s_in is the activation input's scale. */
/* Refuses a float constant with NaN or infinity (it would quantize to 0 or the clamp bound
 * without a word); OQ_NONE or a non-float value passes. */
static oq_status check_finite(qctx *q, uint32_t node, uint32_t v)
{
    const oq_graph *g = q->g;
    if (v == OQ_NONE || !g->values[v].data || g->values[v].dtype != OQ_DT_FLOAT)
        return OQ_OK;
    const float *p = g->values[v].data;
    int64_t n = oq_shape_numel(&g->values[v].shape);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return oq_errorf(q->d, g, node, OQ_ERR_INVALID_MODEL,
                             "constant '%s' holds %s at flat index %lld: it cannot be quantized "
                             "(fix the model, or leave the node float with --exclude)",
                             g->values[v].name, isnan(p[i]) ? "NaN" : "an infinity", (long long)i);
    return OQ_OK;
}

static oq_status quantize_weights(qctx *q, uint32_t node, float s_in)
{
    oq_graph *g = q->g;
    const oq_node *nd = &g->nodes[node];
    uint32_t wv = nd->in[1];
    const oq_value *W = &g->values[wv];
    int axis = q->o->per_tensor ? -1 : ir_weight_axis(g, nd);
    uint32_t C = axis >= 0 ? (uint32_t)W->shape.dim[axis] : 1;
    int64_t nw = oq_shape_numel(&W->shape);
    /* output channels that the bias indexes: weight channel c, or 1 when per tensor */
    uint32_t bv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    bool bias = bv != OQ_NONE && g->values[bv].data && g->values[bv].dtype == OQ_DT_FLOAT &&
                g->values[bv].shape.rank == 1;
    int64_t nb = bias ? g->values[bv].shape.dim[0] : 0;
    if (bias && axis >= 0 && nb != (int64_t)C)
        bias = false;          /* e.g. a grouped ConvTranspose: leave the bias float */
    oq_observer ob;
    oq_status st = check_finite(q, node, wv);
    if (st == OQ_OK && bias)
        st = check_finite(q, node, bv);
    if (st == OQ_OK)
        st = oq_observer_init(&ob, OQ_OBS_MINMAX, axis, C, q->d);
    if (st != OQ_OK)
        return st;
    ob.vt->observe(&ob, W->data, &W->shape);
    float *sc = malloc(C * sizeof *sc + C * sizeof(int32_t));
    int8_t *wq = malloc((size_t)nw);
    int32_t *bq = malloc((size_t)(nb + 1) * sizeof *bq);
    float *bs = malloc((size_t)(nb + 1) * sizeof *bs);
    if (!sc || !wq || !bq || !bs) {
        st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory quantizing weights");
        goto out;
    }
    int32_t *zp = (int32_t *)(sc + C);
    const oq_qscheme w8 = {OQ_DT_INT8, true, false, true};
    if ((st = oq_observer_qparams(&ob, &w8, sc, zp, q->d)))
        goto out;
    if (bias) {                /* int32 guard: |b / (s_in * s_w)| must stay below 2^31 - 1 */
        const float *b = g->values[bv].data;
        for (int64_t c = 0; c < nb; c++) {
            uint32_t wc = axis >= 0 ? (uint32_t)c : 0;
            double lim = 2147483520.0;     /* a float step below 2^31 */
            double need = fabs((double)b[c]) / ((double)s_in * lim);
            if (need > sc[wc]) {
                float old = sc[wc];
                sc[wc] = (float)(need * (1.0 + 1e-6));
                oq_warnf(q->d, g, node,
                         "bias[%lld] = %g would overflow int32 with weight scale %g: "
                         "weight scale of channel %u widened to %g", (long long)c, b[c], old, wc,
                         sc[wc]);
            }
        }
        for (int64_t c = 0; c < nb; c++) {
            uint32_t wc = axis >= 0 ? (uint32_t)c : 0;
            bs[c] = s_in * sc[wc];
            double r = nearbyint((double)b[c] / (double)bs[c]);
            r = r > 2147483647.0 ? 2147483647.0 : r < -2147483647.0 ? -2147483647.0 : r;
            bq[c] = (int32_t)r;
        }
    }
    quant_weights(W->data, wq, &W->shape, axis, sc);
    /* weight: int8 constant + DequantizeLinear */
    char base[512];
    snprintf(base, sizeof base, "%.400s", vname(g, wv));
    char qbuf[512];
    snprintf(qbuf, sizeof qbuf, "%.400s_quantized", base);
    const char *qn = ir_unique_name(g, qbuf);
    uint32_t wqv = qn ? ir_add_value(g, qn, OQ_DT_INT8, &g->values[wv].shape) : OQ_NONE;
    if (wqv == OQ_NONE) {
        st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    int8_t *z8 = calloc(C, 1);
    uint32_t wsv = const_vec(g, base, "_scale", OQ_DT_FLOAT, C, axis < 0, sc);
    uint32_t wzv = z8 ? const_vec(g, base, "_zero_point", OQ_DT_INT8, C, axis < 0, z8) : OQ_NONE;
    free(z8);
    snprintf(base, sizeof base, "%.400s_dequantized", vname(g, wv));
    const char *dn = ir_unique_name(g, base);
    uint32_t wdv = dn ? ir_add_value(g, dn, OQ_DT_FLOAT, &g->values[wv].shape) : OQ_NONE;
    if (!ir_set_const(g, wqv, wq) || wsv == OQ_NONE || wzv == OQ_NONE || wdv == OQ_NONE ||
        !set_q(g, wqv, OQ_DT_INT8, axis < 0 ? 0 : axis, C, sc, zp)) {
        st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(base, sizeof base, "%.400s_DequantizeLinear", vname(g, wv));
    uint32_t din[3] = {wqv, wsv, wzv};
    uint32_t dqn = ir_add_node(g, OQ_OP_DequantizeLinear, base, din, 3, &wdv, 1);
    if (dqn == OQ_NONE) {
        st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (axis >= 0) {
        oq_attr *a = ir_attr_add(g, dqn, "axis", OQ_ATTR_INT);
        if (!a) {
            st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
            goto out;
        }
        a->i = axis;
    }
    g->nodes[node].in[1] = wdv;
    if (bias) {
        snprintf(base, sizeof base, "%.400s", vname(g, bv));
        int32_t *z32 = calloc((size_t)nb, sizeof *z32);
        bool per = axis >= 0;
        uint32_t bqv = const_vec(g, base, "_quantized", OQ_DT_INT32, nb, false, bq);
        uint32_t bsv = const_vec(g, base, "_scale", OQ_DT_FLOAT, per ? nb : 1, !per, bs);
        uint32_t bzv = z32 ? const_vec(g, base, "_zero_point", OQ_DT_INT32, per ? nb : 1, !per, z32)
                           : OQ_NONE;
        snprintf(base, sizeof base, "%.400s_dequantized", vname(g, bv));
        const char *bn = ir_unique_name(g, base);
        uint32_t bdv = bn ? ir_add_value(g, bn, OQ_DT_FLOAT, &g->values[bv].shape) : OQ_NONE;
        bool ok = bqv != OQ_NONE && bsv != OQ_NONE && bzv != OQ_NONE && bdv != OQ_NONE &&
                  set_q(g, bqv, OQ_DT_INT32, 0, per ? (uint32_t)nb : 1, bs, z32);
        free(z32);
        if (!ok) {
            st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
            goto out;
        }
        snprintf(base, sizeof base, "%.400s_DequantizeLinear", vname(g, bv));
        uint32_t bin[3] = {bqv, bsv, bzv};
        uint32_t bdn = ir_add_node(g, OQ_OP_DequantizeLinear, base, bin, 3, &bdv, 1);
        oq_attr *a = bdn != OQ_NONE && per ? ir_attr_add(g, bdn, "axis", OQ_ATTR_INT) : NULL;
        if (bdn == OQ_NONE || (per && !a)) {
            st = oq_errorf(q->d, g, node, OQ_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (a)
            a->i = 0;
        g->nodes[node].in[2] = bdv;
    }
out:
    oq_observer_free(&ob);
    free(sc);
    free(wq);
    free(bq);
    free(bs);
    return st;
}

/* Whether the exclude / op_types lists name things that exist (USAGE error if not). */
static oq_status check_lists(const oq_graph *g, const oq_options *o, oq_diag *d)
{
    for (uint32_t i = 0; i < o->nexclude; i++) {
        bool found = false;
        for (uint32_t n = 0; n < g->nnode && !found; n++)
            found = strcmp(g->nodes[n].name, o->exclude[i]) == 0;
        if (!found)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "--exclude: no node is named '%s'",
                             o->exclude[i]);
    }
    for (uint32_t i = 0; i < o->nop_types; i++) {
        bool found = false;
        for (uint32_t n = 0; n < g->nnode && !found; n++)
            found = strcmp(g->nodes[n].op_type, o->op_types[i]) == 0;
        if (!found)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                             "--op-types: the model has no '%s' node", o->op_types[i]);
    }
    return OQ_OK;
}

/* Values already in Q/DQ form (pre-quantized model): read by a QuantizeLinear or written by a
 * DequantizeLinear; value->q is filled on their integer side from constant scale/zp. */
static void mark_prequantized(qctx *q)
{
    oq_graph *g = q->g;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->op != OQ_OP_QuantizeLinear && nd->op != OQ_OP_DequantizeLinear)
            continue;
        uint32_t fv = nd->op == OQ_OP_QuantizeLinear ? nd->in[0] : nd->out[0];
        uint32_t iv = nd->op == OQ_OP_QuantizeLinear ? nd->out[0] : nd->in[0];
        if (fv != OQ_NONE && fv < q->nvalue0) {
            q->has[fv] = true;
            q->dq[fv] = fv;
        }
        uint32_t sv = nd->nin > 1 ? nd->in[1] : OQ_NONE, zv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
        if (iv == OQ_NONE || sv == OQ_NONE || !g->values[sv].data || g->values[iv].q.n)
            continue;
        int64_t k = oq_shape_numel(&g->values[sv].shape);
        if (k <= 0 || k > 1 << 20)
            continue;
        float *s = oq_arena_dup(&g->arena, g->values[sv].data, (size_t)k * sizeof(float));
        int32_t *z = oq_arena_alloc(&g->arena, (size_t)k * sizeof(int32_t));
        if (!s || !z)
            continue;
        oq_dtype zt = zv != OQ_NONE ? g->values[zv].dtype : OQ_DT_UINT8;
        for (int64_t i = 0; i < k; i++) {
            const void *zd = zv != OQ_NONE ? g->values[zv].data : NULL;
            z[i] = !zd ? 0 : zt == OQ_DT_UINT8 ? ((const uint8_t *)zd)[i]
                 : zt == OQ_DT_INT8 ? ((const int8_t *)zd)[i] : ((const int32_t *)zd)[i];
        }
        oq_quant *qq = &g->values[iv].q;
        qq->dtype = g->values[iv].dtype;
        int64_t ax = ir_attr_i(nd, OQ_A_DequantizeLinear_axis);
        int r = g->values[iv].shape.rank;
        qq->axis = k > 1 ? (int32_t)(ax < 0 ? ax + r : ax) : 0;
        qq->n = (uint32_t)k;
        qq->scale = s;
        qq->zero_point = z;
        if (nd->op == OQ_OP_DequantizeLinear && k == 1 && fv < q->nvalue0) {
            q->scale[fv] = s[0];
            q->zp[fv] = z[0];
        }
    }
}

/* Marks in q->inf the values that may hold +-inf: float constants with an infinite element,
 * and what Where, Add, Sub, Mul, Neg, Cast and data movement compute from such a value (an
 * additive attention mask: Where(pad, -inf, 0) added to the scores). An int8 tensor has no
 * infinity (the observers skip non-finite elements, so the -inf would quantize to a finite
 * value and the mask would be lost): decide() keeps nodes that read or write one in float. */
static void inf_values(qctx *q)
{
    const oq_graph *g = q->g;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *x = &g->values[v];
        if (!x->data || x->dtype != OQ_DT_FLOAT)
            continue;
        int64_t n = oq_shape_numel(&x->shape);
        for (int64_t i = 0; i < n && !q->inf[v]; i++)
            q->inf[v] = isinf(((const float *)x->data)[i]);
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        bool pass = (oq_op_info(nd->op)->flags & OQ_OPF_MOVE) || nd->op == OQ_OP_Where ||
                    nd->op == OQ_OP_Add || nd->op == OQ_OP_Sub || nd->op == OQ_OP_Mul ||
                    nd->op == OQ_OP_Neg || nd->op == OQ_OP_Cast;
        bool any = false;
        for (uint32_t i = 0; pass && i < nd->nin; i++)
            any |= nd->in[i] != OQ_NONE && q->inf[nd->in[i]];
        for (uint32_t i = 0; any && i < nd->nout; i++)
            if (nd->out[i] != OQ_NONE && g->values[nd->out[i]].dtype == OQ_DT_FLOAT)
                q->inf[nd->out[i]] = true;
    }
}

static bool decide(qctx *q, uint32_t n);

/* True if node n reads or writes a computed value that may hold +-inf (inf_values); a
 * non-finite weight or bias is not one of them: check_finite refuses it by name. */
static bool touches_inf(const qctx *q, uint32_t n)
{
    const oq_node *nd = &q->g->nodes[n];
    for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
        uint32_t v = i < nd->nin ? nd->in[i] : nd->out[i - nd->nin];
        if (v != OQ_NONE && v < q->nvalue0 && q->inf[v] && !q->g->values[v].data)
            return true;
    }
    return false;
}

/* Is the element-wise region with source s quantized (file comment)? Decided once. */
static bool region_quantized(qctx *q, uint32_t s)
{
    if (q->edec[s] >= 0)
        return q->edec[s] == 1;
    const oq_graph *g = q->g;
    bool own = false, readers = true;
    for (uint32_t n = 0; n < q->nnode0; n++) {
        if (q->esrc[n] != s)
            continue;
        own |= own_qparams_op(g->nodes[n].op);
        if (touches_inf(q, n)) {   /* the whole region stays float */
            q->edec[s] = 0;
            return false;
        }
        if (q->erole[n] != OQ_ELT_TAIL)
            continue;
        const oq_value *y = &g->values[g->nodes[n].out[0]];
        for (uint32_t u = 0; u < y->nuse; u++) {
            const oq_node *r = &g->nodes[y->uses[u]];
            readers &= !r->dead && (own_qparams_op(r->op) || is_weight_op(r->op));
        }
    }
    bool yes = own || (s < q->nvalue0 && q->has[s] && readers);
    q->edec[s] = yes ? 1 : 0;
    return yes;
}

/* Is input v of node n inside n's element-wise region (no Q/DQ on it)? */
static bool region_inner_input(const qctx *q, uint32_t n, uint32_t v)
{
    uint32_t p = v == OQ_NONE ? OQ_NONE : q->g->values[v].producer;
    return n < q->nnode0 && q->esrc[n] != OQ_NONE && p != OQ_NONE && p < q->nnode0 &&
           q->esrc[p] == q->esrc[n] && q->erole[p] == OQ_ELT_INNER;
}

/* Node n is quantized (static mode); decided once, in topological order. */
static bool node_quantized(qctx *q, uint32_t n)
{
    if (n >= q->nnode0)
        return false;
    if (q->qnode[n] < 0)
        q->qnode[n] = decide(q, n) ? 1 : 0;
    return q->qnode[n] == 1;
}

static bool decide(qctx *q, uint32_t n)
{
    const oq_graph *g = q->g;
    const oq_node *nd = &g->nodes[n];
    if (nd->dead || nd->nout < 1 || nd->out[0] == OQ_NONE ||
        g->values[nd->out[0]].dtype != OQ_DT_FLOAT || nd->nin < 1 || nd->in[0] == OQ_NONE)
        return false;
    /* the activation after a fused producer follows the producer */
    uint32_t pv = nd->in[0], pn = g->values[pv].producer;
    if (pn != OQ_NONE && ir_attr_i(&g->nodes[pn], OQ_A_ANY_onnxq_fused)) {
        for (uint32_t i = 0; i < q->o->nexclude; i++)
            if (strcmp(q->o->exclude[i], nd->name) == 0)
                return false;
        return pn < q->nnode0 && q->qnode[pn] == 1;
    }
    if (oq_pass_excluded(g, n, q->o))
        return false;
    if (touches_inf(q, n))
        return false;          /* +-inf has no int8 form (inf_values) */
    if (n < q->nnode0 && q->esrc[n] != OQ_NONE)
        return region_quantized(q, q->esrc[n]);
    if (keeps_qparams(nd->op)) /* only between quantized tensors */
        return pv < q->nvalue0 && q->has[pv];
    if (!own_qparams_op(nd->op))
        return false;
    if (g->values[pv].dtype != OQ_DT_FLOAT)
        return false;
    if (is_weight_op(nd->op)) {
        uint32_t w = nd->in[1];
        const oq_value *wv = &g->values[w];
        bool const_w = wv->data && wv->dtype == OQ_DT_FLOAT;
        bool dq_w = w < q->nvalue0 && q->has[w];
        bool act_w = nd->op == OQ_OP_MatMul && is_float_act(g, w);
        if (!const_w && !dq_w && !act_w)
            return false;
        if (nd->op == OQ_OP_Gemm && ir_attr_i(nd, OQ_A_Gemm_transA))
            return false;
    }
    return true;
}

/* Concat aligns its inputs to one scale (PyTorch's shared observers for cat): an input that a
 * quantized node computes for this Concat alone takes the Concat output's qparams, so the int8
 * Concat only moves data. Inputs with other uses or inherited qparams keep their own. */
static void align_concats(qctx *q)
{
    oq_graph *g = q->g;
    oq_diag *save = q->d, tmp = {0};
    q->d = &tmp;               /* missing statistics here are reported by the main loop */
    for (uint32_t n = 0; n < q->nnode0; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead || nd->op != OQ_OP_Concat || oq_pass_excluded(g, n, q->o) ||
            !is_float_act(g, nd->out[0]))
            continue;
        float s;
        int32_t z;
        uint32_t y = nd->out[0];
        tmp.status = OQ_OK;
        if (q->has[y] || calib_qparams(q, n, y, &s, &z) != OQ_OK)
            continue;
        for (uint32_t i = 0; i < nd->nin; i++) {
            uint32_t v = nd->in[i];
            if (!is_float_act(g, v) || v >= q->nvalue0 || g->values[v].is_output || q->has[v] ||
                oq_use_count(g, v) != 1)
                continue;
            uint32_t p = g->values[v].producer;
            if (p != OQ_NONE && keeps_qparams(g->nodes[p].op))
                continue;      /* inherits its input's qparams */
            q->forced[v] = true;
            q->scale[v] = s;
            q->zp[v] = z;
        }
    }
    q->d = save;
}

static oq_status quantize_static(qctx *q)
{
    oq_graph *g = q->g;
    uint32_t nn = g->nnode;
    align_concats(q);
    for (uint32_t n = 0; n < nn; n++) {
        if (!node_quantized(q, n))
            continue;
        oq_node *nd = &g->nodes[n];
        oq_op op = nd->op;
        bool wop = is_weight_op(op);
        oq_status st;
        /* activation inputs */
        uint32_t nin = nd->nin;
        for (uint32_t i = 0; i < nin; i++) {
            uint32_t v = g->nodes[n].in[i];
            if (v == OQ_NONE || (wop && i >= 1 && !(op == OQ_OP_MatMul && i == 1)))
                continue;
            if (keeps_qparams(op) && i > 0)
                continue;      /* shape / index operands */
            if (region_inner_input(q, n, v))
                continue;      /* inside an element-wise region: stays float */
            uint32_t r;
            if ((st = quantize_input(q, n, v, &r)))
                return st;
            g->nodes[n].in[i] = r;
        }
        uint32_t x = g->nodes[n].in[0];
        uint32_t x0 = x;       /* the original id, for its qparams */
        if (x != OQ_NONE && x >= q->nvalue0 && x - q->nvalue0 < q->nsrc &&
            q->src[x - q->nvalue0] != OQ_NONE)
            x0 = q->src[x - q->nvalue0];
        /* weights */
        if (wop && g->values[g->nodes[n].in[1]].data &&
            g->values[g->nodes[n].in[1]].dtype == OQ_DT_FLOAT) {
            if (!(x0 < q->nvalue0 && q->has[x0]))
                return oq_errorf(q->d, g, n, OQ_ERR_INTERNAL, "input has no qparams");
            if ((st = quantize_weights(q, n, q->scale[x0])))
                return st;
        }
        /* outputs */
        if (ir_attr_i(&g->nodes[n], OQ_A_ANY_onnxq_fused) || q->erole[n] == OQ_ELT_INNER)
            continue;
        for (uint32_t oi = 0; oi < g->nodes[n].nout; oi++) {
            uint32_t y = g->nodes[n].out[oi];
            if (y == OQ_NONE || y >= q->nvalue0 || q->has[y] || g->values[y].dtype != OQ_DT_FLOAT)
                continue;
            float s;
            int32_t z;
            if (keeps_qparams(op)) {
                s = q->scale[x0];
                z = q->zp[x0];
            } else if ((st = calib_qparams(q, n, y, &s, &z))) {
                return st;
            }
            if ((st = quantize_output(q, n, oi, s, z)))
                return st;
        }
    }
    return OQ_OK;
}

/* ---------------------------------------------------------------- dynamic mode */

static oq_status quantize_dynamic_node(qctx *q, uint32_t n)
{
    oq_graph *g = q->g;
    const oq_node *nd = &g->nodes[n];
    uint32_t x = nd->in[0], wv = nd->in[1], y = nd->out[0];
    uint32_t bv = nd->nin > 2 ? nd->in[2] : OQ_NONE;
    bool transB = nd->op == OQ_OP_Gemm && ir_attr_i(nd, OQ_A_Gemm_transB);
    const oq_shape *ws = &g->values[wv].shape;
    int64_t K = transB ? ws->dim[1] : ws->dim[0], N = transB ? ws->dim[0] : ws->dim[1];
    const float *w = g->values[wv].data;
    oq_status fin = check_finite(q, n, wv);
    if (fin == OQ_OK)
        fin = check_finite(q, n, bv);
    if (fin != OQ_OK)
        return fin;
    float *wt = malloc((size_t)(K * N) * sizeof *wt);
    int8_t *wq = malloc((size_t)(K * N));
    float *sc = malloc((size_t)N * sizeof *sc);
    int32_t *zp = malloc((size_t)N * sizeof *zp);
    oq_observer ob = {0};
    oq_status st = OQ_OK;
    if (!wt || !wq || !sc || !zp) {
        st = oq_errorf(q->d, g, n, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < N; j++)
            wt[k * N + j] = transB ? w[j * K + k] : w[k * N + j];
    oq_shape kn = {.rank = 2, .dim = {K, N}};
    bool per = !q->o->per_tensor;
    uint32_t C = per ? (uint32_t)N : 1;
    if ((st = oq_observer_init(&ob, OQ_OBS_MINMAX, per ? 1 : -1, C, q->d)))
        goto out;
    ob.vt->observe(&ob, wt, &kn);
    const oq_qscheme w8 = {OQ_DT_INT8, true, false, true};
    if ((st = oq_observer_qparams(&ob, &w8, sc, zp, q->d)))
        goto out;
    quant_weights(wt, wq, &kn, per ? 1 : -1, sc);
    const char *nm = nd->name;
    char b[512];
    snprintf(b, sizeof b, "%.400s_quantized", vname(g, wv));
    const char *wqn = ir_unique_name(g, b);
    uint32_t wqv = wqn ? ir_add_value(g, wqn, OQ_DT_INT8, &kn) : OQ_NONE;
    uint32_t wsv = const_vec(g, vname(g, wv), "_scale", OQ_DT_FLOAT, C, !per, sc);
    if (wqv == OQ_NONE || !ir_set_const(g, wqv, wq) || wsv == OQ_NONE ||
        !set_q(g, wqv, OQ_DT_INT8, per ? 1 : 0, C, sc, zp))
        goto nomem;
    /* DynamicQuantizeLinear(x) -> xq, xs, xz */
    oq_shape sc0 = {.rank = 0};
    uint32_t v3[3];
    const char *sfx[3] = {"_quantized", "_scale", "_zero_point"};
    oq_dtype dts[3] = {OQ_DT_UINT8, OQ_DT_FLOAT, OQ_DT_UINT8};
    for (int i = 0; i < 3; i++) {
        snprintf(b, sizeof b, "%.400s%s", vname(g, x), sfx[i]);
        const char *vn = ir_unique_name(g, b);
        v3[i] = vn ? ir_add_value(g, vn, dts[i], i ? &sc0 : &g->values[x].shape) : OQ_NONE;
        if (v3[i] == OQ_NONE)
            goto nomem;
    }
    snprintf(b, sizeof b, "%.400s_DynamicQuantizeLinear", nm);
    if (ir_add_node(g, OQ_OP_DynamicQuantizeLinear, b, &x, 1, v3, 3) == OQ_NONE)
        goto nomem;
    /* MatMulInteger(xq, wq, xz) -> int32 */
    snprintf(b, sizeof b, "%.400s_int32", vname(g, y));
    const char *in32 = ir_unique_name(g, b);
    uint32_t yi = in32 ? ir_add_value(g, in32, OQ_DT_INT32, &g->values[y].shape) : OQ_NONE;
    uint32_t mmi[3] = {v3[0], wqv, v3[2]};
    snprintf(b, sizeof b, "%.400s_MatMulInteger", nm);
    if (yi == OQ_NONE || ir_add_node(g, OQ_OP_MatMulInteger, b, mmi, 3, &yi, 1) == OQ_NONE)
        goto nomem;
    /* Cast -> float */
    snprintf(b, sizeof b, "%.400s_float", vname(g, y));
    const char *fn = ir_unique_name(g, b);
    uint32_t yf = fn ? ir_add_value(g, fn, OQ_DT_FLOAT, &g->values[y].shape) : OQ_NONE;
    snprintf(b, sizeof b, "%.400s_Cast", nm);
    uint32_t cn = yf != OQ_NONE ? ir_add_node(g, OQ_OP_Cast, b, &yi, 1, &yf, 1) : OQ_NONE;
    oq_attr *to = cn != OQ_NONE ? ir_attr_add(g, cn, "to", OQ_ATTR_INT) : NULL;
    if (!to)
        goto nomem;
    to->i = OQ_DT_FLOAT;
    /* scale product x_scale * w_scale */
    snprintf(b, sizeof b, "%.400s_scale_product", nm);
    const char *pn = ir_unique_name(g, b);
    oq_shape ps = {.rank = per ? 1 : 0, .dim = {N}};
    uint32_t pv = pn ? ir_add_value(g, pn, OQ_DT_FLOAT, &ps) : OQ_NONE;
    uint32_t pin[2] = {v3[1], wsv};
    snprintf(b, sizeof b, "%.400s_scale_mul", nm);
    if (pv == OQ_NONE || ir_add_node(g, OQ_OP_Mul, b, pin, 2, &pv, 1) == OQ_NONE)
        goto nomem;
    bool bias = bv != OQ_NONE;
    uint32_t ym = y;
    if (bias) {
        snprintf(b, sizeof b, "%.400s_nobias", vname(g, y));
        const char *mn = ir_unique_name(g, b);
        ym = mn ? ir_add_value(g, mn, OQ_DT_FLOAT, &g->values[y].shape) : OQ_NONE;
        if (ym == OQ_NONE)
            goto nomem;
    }
    g->nodes[n].dead = true;   /* before y gets its new producer */
    uint32_t min[2] = {yf, pv};
    snprintf(b, sizeof b, "%.400s_output_mul", nm);
    if (ir_add_node(g, OQ_OP_Mul, b, min, 2, &ym, 1) == OQ_NONE)
        goto nomem;
    if (bias) {
        uint32_t ain[2] = {ym, bv};
        if (ir_add_node(g, OQ_OP_Add, nm, ain, 2, &y, 1) == OQ_NONE)
            goto nomem;
    }
    goto out;
nomem:
    st = oq_errorf(q->d, g, n, OQ_ERR_NOMEM, "out of memory");
out:
    oq_observer_free(&ob);
    free(wt);
    free(wq);
    free(sc);
    free(zp);
    return st;
}

static oq_status quantize_dynamic(qctx *q)
{
    oq_graph *g = q->g;
    uint32_t nn = g->nnode;
    for (uint32_t n = 0; n < nn; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead || (nd->op != OQ_OP_MatMul && nd->op != OQ_OP_Gemm) ||
            oq_pass_excluded(g, n, q->o))
            continue;
        const oq_value *w = &g->values[nd->in[1]];
        if (!w->data || w->dtype != OQ_DT_FLOAT || w->shape.rank != 2 ||
            !is_float_act(g, nd->in[0]))
            continue;
        if (nd->op == OQ_OP_Gemm &&
            (ir_attr_i(nd, OQ_A_Gemm_transA) || ir_attr_f(nd, OQ_A_Gemm_alpha) != 1.0f ||
             ir_attr_f(nd, OQ_A_Gemm_beta) != 1.0f ||
             (nd->nin > 2 && nd->in[2] != OQ_NONE &&
              !(g->values[nd->in[2]].data && g->values[nd->in[2]].shape.rank == 1))))
            continue;
        oq_status st = quantize_dynamic_node(q, n);
        if (st != OQ_OK)
            return st;
    }
    return OQ_OK;
}

oq_status oq_quantize(oq_graph *g, const oq_calib *c, const oq_options *o, oq_diag *d)
{
    oq_options defaults = {0};
    if (!o)
        o = &defaults;
    oq_status st = check_lists(g, o, d);
    if (st != OQ_OK)
        return st;
    if (o->mode == OQ_MODE_STATIC && !c)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "static quantization needs calibration");
    qctx q = {.g = g, .c = c, .o = o, .d = d, .nvalue0 = g->nvalue};
    q.act.dtype = o->act_type == OQ_DT_INT8 ? OQ_DT_INT8 : OQ_DT_UINT8;
    q.act.symmetric = o->act_symmetric;
    q.act.reduce_range = o->reduce_range;
    q.has = calloc(g->nvalue + 1, sizeof *q.has);
    q.scale = calloc(g->nvalue + 1, sizeof *q.scale);
    q.zp = calloc(g->nvalue + 1, sizeof *q.zp);
    q.dq = malloc((g->nvalue + 1) * sizeof *q.dq);
    q.nnode0 = g->nnode;
    q.qnode = malloc(g->nnode + 1);
    if (q.qnode)
        memset(q.qnode, 0xff, g->nnode + 1);
    q.ovr_used = calloc(o->noverride + 1, sizeof *q.ovr_used);
    q.forced = calloc(g->nvalue + 1, sizeof *q.forced);
    q.inf = calloc(g->nvalue + 1, sizeof *q.inf);
    q.esrc = malloc((g->nnode + 1) * sizeof *q.esrc);
    q.erole = malloc(g->nnode + 1);
    q.edec = malloc(g->nvalue + 1);
    if (q.edec)
        memset(q.edec, 0xff, g->nvalue + 1);
    if (!q.has || !q.scale || !q.zp || !q.dq || !q.qnode || !q.ovr_used || !q.forced ||
        !q.esrc || !q.erole || !q.edec || !q.inf) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t n = 0; n < g->nnode; n++)  /* the user's reasons a node stays float */
        g->nodes[n].float_why = (uint8_t)oq_pass_float_why(g, n, o);
    ir_fill_uses(g);
    inf_values(&q);
    if ((st = oq_elt_regions(g, o, q.esrc, q.erole, d)) != OQ_OK)
        goto out;
    mark_prequantized(&q);
    st = o->mode == OQ_MODE_DYNAMIC ? quantize_dynamic(&q) : quantize_static(&q);
    for (uint32_t i = 0; st == OQ_OK && i < o->noverride; i++)
        if (!q.ovr_used[i])
            st = oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                           "--override: '%s' is not a tensor the quantizer computes qparams for",
                           o->overrides[i].tensor);
    if (st == OQ_OK) {
        for (uint32_t n = 0; n < g->nnode; n++) {  /* the fused marks are consumed here */
            oq_node *nd = &g->nodes[n];
            for (uint32_t i = 0; i < nd->nattr; i++)
                if (strcmp(nd->attr[i].name, "onnxq_fused") == 0)
                    nd->attr[i].i = 2;   /* 2 = fused and quantized (lower_int reads it) */
        }
        st = oq_pass_finish(g, o, d);
    }
out:
    free(q.has);
    free(q.scale);
    free(q.zp);
    free(q.dq);
    free(q.src);
    free(q.qnode);
    free(q.ovr_used);
    free(q.forced);
    free(q.esrc);
    free(q.erole);
    free(q.edec);
    free(q.inf);
    return st;
}
