/* ONNX writer: builds a ModelProto from an oq_graph with protobuf-c and writes it atomically.
 * All protobuf structs live in one private arena freed at the end; tensor bytes point into the
 * graph's arena (copied only on big-endian hosts, raw_data is little-endian). The written opset
 * is the model's, raised to what the graph needs; canonical IR forms are rewritten for it
 * (opset_needs() decides the minimum, emit_node() the form). Dead nodes are skipped; values
 * with no live producer and constant data become initializers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "onnx_write.h"

#define MIN_OPSET 7            /* oldest default-domain opset the importer accepts */

typedef struct wctx {
    const oq_graph *g;
    const oq_write_opts *o;
    oq_diag *d;
    oq_arena a;                /* every protobuf struct written */
    int64_t opset;             /* default-domain opset being written */
    uint32_t *nuse;            /* live uses per value in the IR (node inputs + graph outputs) */
    bool *used;                /* value is an input of a written node or a graph output */
    const char **vname;        /* written name per value (NULL until first asked) */
    uint32_t tmpn;             /* counter for synthesized names */
    Onnx__NodeProto **nodes;   /* emitted nodes (capacity cnode) */
    size_t nnode, cnode;
    Onnx__TensorProto **inits; /* initializers (capacity cinit) */
    size_t ninit, cinit;
    const char **nn_slot;      /* written node names, open-addressing set (capacity nn_cap) */
    size_t nn_cap, nn_count;
    bool *first_name;          /* per IR node: first live node of its name (name reserved) */
    bool nomem;                /* an allocation failed (reported once at the end) */
    oq_diag local;             /* used when the caller passes no diag */
} wctx;

static void *walloc(wctx *w, size_t n)
{
    void *p = oq_arena_alloc(&w->a, n ? n : 1);
    if (!p)
        w->nomem = true;
    return p;
}

static char *wstrdup(wctx *w, const char *s)
{
    char *p = oq_arena_strdup(&w->a, s ? s : "");
    if (!p)
        w->nomem = true;
    return p;
}

/* Appends p to the pointer vector *arr (count *n, capacity *cap); false on NOMEM. */
static bool push(wctx *w, void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void **na = walloc(w, nc * sizeof *na);
        if (!na)
            return false;
        if (*n)
            memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = p;
    return true;
}

static bool host_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* ------------------------------------------------------------------ names */

/* A name no graph value has and this writer has not produced: "onnxq_<base>_<n>". */
static const char *fresh_name(wctx *w, const char *base)
{
    char buf[256];
    do
        snprintf(buf, sizeof buf, "onnxq_%s_%u", base, w->tmpn++);
    while (ir_find_value(w->g, buf) != OQ_NONE);
    return wstrdup(w, buf);
}

/* Written name of value v ("" for OQ_NONE). Empty or shadowed (duplicate) names get a fresh
 * one so the file stays SSA. */
static const char *vname(wctx *w, uint32_t v)
{
    if (v == OQ_NONE)
        return "";
    if (w->vname[v])
        return w->vname[v];
    const char *nm = w->g->values[v].name;
    if (!nm || !nm[0])
        w->vname[v] = fresh_name(w, "v");
    else if (ir_find_value(w->g, nm) != v)
        w->vname[v] = fresh_name(w, nm);
    else
        w->vname[v] = nm;
    return w->vname[v] ? w->vname[v] : "";
}

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603u;           /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Inserts s in the node-name set; false if present (or NOMEM). */
static bool nn_insert(wctx *w, const char *s)
{
    if ((w->nn_count + 1) * 2 > w->nn_cap) {
        size_t nc = w->nn_cap ? w->nn_cap * 2 : 256;
        const char **ns = walloc(w, nc * sizeof *ns);
        if (!ns)
            return false;
        for (size_t i = 0; i < w->nn_cap; i++)
            if (w->nn_slot[i]) {
                size_t k = name_hash(w->nn_slot[i]) & (nc - 1);
                while (ns[k])
                    k = (k + 1) & (nc - 1);
                ns[k] = w->nn_slot[i];
            }
        w->nn_slot = ns;
        w->nn_cap = nc;
    }
    size_t k = name_hash(s) & (w->nn_cap - 1);
    while (w->nn_slot[k]) {
        if (strcmp(w->nn_slot[k], s) == 0)
            return false;
        k = (k + 1) & (w->nn_cap - 1);
    }
    w->nn_slot[k] = s;
    w->nn_count++;
    return true;
}

/* A node name not written yet: the IR node names were reserved first (reserved: this is the
 * first node of that name), a later duplicate or a writer-made node gets name itself if free,
 * else "name_1", "name_2", ... (ONNX Runtime rejects two nodes of one name; passes may create
 * such pairs). Empty names stay empty. */
static const char *node_name(wctx *w, const char *name, bool reserved)
{
    if (!name || !name[0])
        return "";
    if (reserved)
        return name;
    const char *nm = wstrdup(w, name);
    if (!nm || nn_insert(w, nm) || w->nomem)
        return nm ? nm : "";
    size_t len = strlen(name) + 24;
    for (unsigned k = 1;; k++) {
        char *c = walloc(w, len);
        if (!c)
            return "";
        snprintf(c, len, "%s_%u", name, k);
        if (nn_insert(w, c) || w->nomem)
            return c;
    }
}

/* ------------------------------------------------------------------ tensors and types */

/* TensorProto with raw_data (little-endian) over `data` (not copied on little-endian hosts). */
static Onnx__TensorProto *make_tensor(wctx *w, const char *name, oq_dtype dt, const oq_shape *s,
                                      const void *data, uint32_t node)
{
    size_t esz = oq_dtype_size(dt);
    if (!esz) {
        oq_errorf(w->d, w->g, node, OQ_ERR_DTYPE, "tensor '%s': element type %s cannot be written",
                  name, oq_dtype_name(dt));
        return NULL;
    }
    int64_t numel = oq_shape_numel(s);
    if (numel < 0 || s->rank < 0) {
        oq_errorf(w->d, w->g, node, OQ_ERR_SHAPE, "tensor '%s': constant with unknown shape", name);
        return NULL;
    }
    Onnx__TensorProto *t = walloc(w, sizeof *t);
    int64_t *dims = walloc(w, (size_t)(s->rank + 1) * sizeof *dims);
    if (!t || !dims)
        return NULL;
    onnx__tensor_proto__init(t);
    t->name = wstrdup(w, name);
    t->has_data_type = 1;
    t->data_type = (int32_t)dt;
    for (int32_t i = 0; i < s->rank; i++)
        dims[i] = s->dim[i];
    t->n_dims = (size_t)s->rank;
    t->dims = dims;
    size_t nbytes = (size_t)numel * esz;
    t->has_raw_data = 1;
    t->raw_data.len = nbytes;
    if (!nbytes || !data) {
        t->raw_data.data = NULL;
        t->raw_data.len = 0;
        if (nbytes && !data) {
            oq_errorf(w->d, w->g, node, OQ_ERR_INTERNAL, "tensor '%s' has no data", name);
            return NULL;
        }
    } else if (host_little_endian() || esz == 1) {
        t->raw_data.data = (uint8_t *)data;
    } else {
        uint8_t *sw = walloc(w, nbytes);
        if (!sw)
            return NULL;
        const uint8_t *src = data;
        for (size_t i = 0; i < nbytes; i += esz)
            for (size_t k = 0; k < esz; k++)
                sw[i + k] = src[i + esz - 1 - k];
        t->raw_data.data = sw;
    }
    return t;
}

/* Adds an initializer; returns false on error (d set or NOMEM). */
static bool add_init(wctx *w, const char *name, oq_dtype dt, const oq_shape *s, const void *data,
                     uint32_t node)
{
    Onnx__TensorProto *t = make_tensor(w, name, dt, s, data, node);
    return t && push(w, (void ***)&w->inits, &w->ninit, &w->cinit, t);
}

/* A new int64 1-D initializer holding vals[0..n); returns its name (NULL on error). */
static const char *add_const_i64(wctx *w, const char *base, const int64_t *vals, size_t n,
                                 uint32_t node)
{
    const char *nm = fresh_name(w, base);
    oq_shape s = {.rank = 1, .dim = {(int64_t)n}};
    int64_t *copy = walloc(w, (n ? n : 1) * sizeof *copy);
    if (!nm || !copy)
        return NULL;
    if (n)
        memcpy(copy, vals, n * sizeof *copy);
    return add_init(w, nm, OQ_DT_INT64, &s, copy, node) ? nm : NULL;
}

/* A new empty float 1-D initializer (Resize roi/scales placeholders at opset 11-12). */
static const char *add_const_empty_f32(wctx *w, const char *base, uint32_t node)
{
    const char *nm = fresh_name(w, base);
    oq_shape s = {.rank = 1, .dim = {0}};
    return nm && add_init(w, nm, OQ_DT_FLOAT, &s, NULL, node) ? nm : NULL;
}

static Onnx__ValueInfoProto *make_vi(wctx *w, uint32_t v)
{
    const oq_value *val = &w->g->values[v];
    Onnx__ValueInfoProto *vi = walloc(w, sizeof *vi);
    Onnx__TypeProto *tp = walloc(w, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = walloc(w, sizeof *tt);
    if (!vi || !tp || !tt)
        return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    vi->name = (char *)vname(w, v);
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)val->dtype;
    if (val->shape.rank >= 0) {
        Onnx__TensorShapeProto *sp = walloc(w, sizeof *sp);
        size_t r = (size_t)val->shape.rank;
        Onnx__TensorShapeProto__Dimension **dims = walloc(w, (r + 1) * sizeof *dims);
        if (!sp || !dims)
            return NULL;
        onnx__tensor_shape_proto__init(sp);
        for (size_t i = 0; i < r; i++) {
            Onnx__TensorShapeProto__Dimension *dm = walloc(w, sizeof *dm);
            if (!dm)
                return NULL;
            onnx__tensor_shape_proto__dimension__init(dm);
            if (val->shape.dim[i] >= 0) {
                dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                dm->dim_value = val->shape.dim[i];
            }
            dims[i] = dm;
        }
        sp->n_dim = r;
        sp->dim = dims;
        tt->shape = sp;
    }
    return vi;
}

/* ------------------------------------------------------------------ constant inputs */

static bool is_const(const wctx *w, uint32_t v)
{
    return v != OQ_NONE && w->g->values[v].data != NULL;
}

/* Reads constant integer input v (INT64 or INT32) into *out (arena); -1 if not constant. */
static int64_t const_ints(wctx *w, uint32_t v, int64_t **out)
{
    if (!is_const(w, v))
        return -1;
    const oq_value *val = &w->g->values[v];
    int64_t n = oq_shape_numel(&val->shape);
    if (n < 0 || (val->dtype != OQ_DT_INT64 && val->dtype != OQ_DT_INT32))
        return -1;
    int64_t *p = walloc(w, (size_t)(n ? n : 1) * sizeof *p);
    if (!p)
        return -1;
    for (int64_t i = 0; i < n; i++)
        p[i] = val->dtype == OQ_DT_INT64 ? ((const int64_t *)val->data)[i]
                                         : ((const int32_t *)val->data)[i];
    *out = p;
    return n;
}

/* Reads a constant scalar (one element) of v as float; false if not a constant number. */
static bool const_scalar_f(const wctx *w, uint32_t v, float *out)
{
    if (!is_const(w, v))
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

static uint32_t in_at(const oq_node *n, uint32_t i) { return i < n->nin ? n->in[i] : OQ_NONE; }

/* True if constant integer input i of n has every element equal to one. */
static bool all_ones(wctx *w, const oq_node *n, uint32_t i)
{
    int64_t *v;
    int64_t k = const_ints(w, in_at(n, i), &v);
    if (k < 0)
        return false;
    for (int64_t j = 0; j < k; j++)
        if (v[j] != 1)
            return false;
    return true;
}

/* Normalized axis attribute of a Softmax-family node (legacy default 1, else -1). */
static int64_t softmax_axis(const wctx *w, const oq_node *n, bool legacy)
{
    int64_t r = w->g->values[n->in[0]].shape.rank;
    int64_t a = ir_attr_int(n, "axis", legacy ? 1 : -1);
    return a < 0 ? a + r : a;
}

/* ------------------------------------------------------------------ opset selection */

/* Minimum default-domain opset that can express node n's canonical form; *why says what. */
static int64_t opset_needs(wctx *w, const oq_node *n, const char **why)
{
    const oq_graph *g = w->g;
    *why = "";
    switch (n->op) {
    case OQ_OP_QuantizeLinear:
    case OQ_OP_DequantizeLinear: {
        uint32_t s = in_at(n, 1);
        if (s != OQ_NONE && g->values[s].shape.rank > 0 && oq_shape_numel(&g->values[s].shape) != 1) {
            *why = "per-axis quantization";
            return 13;
        }
        *why = "QuantizeLinear/DequantizeLinear";
        return 10;
    }
    case OQ_OP_QLinearConv:
    case OQ_OP_QLinearMatMul:
    case OQ_OP_ConvInteger:
    case OQ_OP_MatMulInteger:
        *why = "quantized operator";
        return 10;
    case OQ_OP_DynamicQuantizeLinear:
        *why = "DynamicQuantizeLinear";
        return 11;
    case OQ_OP_HardSwish:
        *why = "HardSwish";
        return 14;
    case OQ_OP_LayerNormalization:
        *why = "LayerNormalization";
        return 17;
    case OQ_OP_Where:
    case OQ_OP_Erf:
    case OQ_OP_ConstantOfShape:
        *why = "operator introduced in opset 9";
        return 9;
    case OQ_OP_Expand:
        *why = "Expand";
        return 8;
    case OQ_OP_Squeeze:
    case OQ_OP_Unsqueeze:
    case OQ_OP_ReduceSum:
        if (in_at(n, 1) != OQ_NONE && !is_const(w, n->in[1])) {
            *why = "axes computed at run time";
            return 13;
        }
        return MIN_OPSET;
    case OQ_OP_ReduceMean:
    case OQ_OP_ReduceMax:
        if (in_at(n, 1) != OQ_NONE && !is_const(w, n->in[1])) {
            *why = "axes computed at run time";
            return 18;
        }
        return MIN_OPSET;
    case OQ_OP_Split:
        if (in_at(n, 1) != OQ_NONE && !is_const(w, n->in[1])) {
            *why = "split sizes computed at run time";
            return 13;
        }
        return MIN_OPSET;
    case OQ_OP_Clip:
        if ((in_at(n, 1) != OQ_NONE && !is_const(w, n->in[1])) ||
            (in_at(n, 2) != OQ_NONE && !is_const(w, n->in[2]))) {
            *why = "Clip bounds computed at run time";
            return 11;
        }
        if (g->values[n->in[0]].dtype != OQ_DT_FLOAT && g->values[n->in[0]].dtype != OQ_DT_UNDEFINED) {
            *why = "Clip on a non-float type";
            return 12;
        }
        return MIN_OPSET;
    case OQ_OP_Pad:
        if ((in_at(n, 1) != OQ_NONE && !is_const(w, n->in[1])) ||
            (in_at(n, 2) != OQ_NONE && !is_const(w, n->in[2]))) {
            *why = "pads computed at run time";
            return 11;
        }
        return MIN_OPSET;
    case OQ_OP_Slice:
        for (uint32_t i = 1; i < n->nin; i++)
            if (n->in[i] != OQ_NONE && !is_const(w, n->in[i])) {
                *why = "Slice bounds computed at run time";
                return 10;
            }
        if (in_at(n, 4) != OQ_NONE && !all_ones(w, n, 4)) {
            *why = "Slice steps";
            return 10;
        }
        return MIN_OPSET;
    case OQ_OP_Resize: {
        /* Resize-10 is Resize(X, scales), nearest or linear, asymmetric coordinates and (for
         * nearest) floor; an IR from an opset <= 10 model means exactly that when silent */
        bool old = g->opset <= 10;
        const char *ctm = ir_attr_str(n, "coordinate_transformation_mode",
                                      old ? "asymmetric" : "half_pixel");
        const char *mode = ir_attr_str(n, "mode", "nearest");
        const char *nmode = ir_attr_str(n, "nearest_mode", old ? "floor" : "round_prefer_floor");
        int64_t need = 10;
        *why = "Resize";
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
        if (in_at(n, 1) != OQ_NONE || in_at(n, 3) != OQ_NONE || in_at(n, 2) == OQ_NONE ||
            strcmp(ctm, "asymmetric") != 0 || strcmp(mode, "cubic") == 0 ||
            (strcmp(mode, "nearest") == 0 && strcmp(nmode, "floor") != 0))
            need = 11;
        if (need == 11)
            *why = "Resize with roi, sizes, cubic mode or non-asymmetric coordinates";
        return need;
    }
    case OQ_OP_Softmax:
    case OQ_OP_LogSoftmax: {
        bool legacy = ir_attr_int(n, "onnxq_legacy_2d", 0) != 0;
        int64_t r = g->values[n->in[0]].shape.rank;
        if (!legacy && softmax_axis(w, n, false) != r - 1) {
            *why = "softmax over an inner axis";
            return 13;
        }
        return MIN_OPSET;
    }
    case OQ_OP_Gemm:
        if (in_at(n, 2) == OQ_NONE) {
            *why = "Gemm without C";
            return 11;
        }
        return MIN_OPSET;
    default:
        return MIN_OPSET;
    }
}

/* Decides w->opset; on an explicit opset too low for a node, reports it and returns false. */
static bool choose_opset(wctx *w)
{
    const oq_graph *g = w->g;
    int64_t base = w->o && w->o->opset > 0 ? w->o->opset : g->opset;
    if (base < MIN_OPSET)
        base = MIN_OPSET;
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
static int64_t ir_version_for(int64_t opset)
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

/* ------------------------------------------------------------------ nodes and attributes */

typedef struct nodeb {         /* a node being built (arrays sized at creation) */
    Onnx__NodeProto *p;
    uint32_t *vin;             /* value id of each input (OQ_NONE: absent or writer-made) */
    size_t cin, cout, cattr;
} nodeb;

static bool node_begin(wctx *w, nodeb *b, const char *op_type, const char *domain,
                       const char *name, bool reserved, size_t cin, size_t cout, size_t cattr)
{
    b->p = walloc(w, sizeof *b->p);
    if (!b->p)
        return false;
    onnx__node_proto__init(b->p);
    b->p->op_type = wstrdup(w, op_type);
    b->p->domain = wstrdup(w, domain);
    b->p->name = (char *)node_name(w, name, reserved);
    b->p->input = walloc(w, (cin + 1) * sizeof(char *));
    b->vin = walloc(w, (cin + 1) * sizeof(uint32_t));
    b->p->output = walloc(w, (cout + 1) * sizeof(char *));
    b->p->attribute = walloc(w, (cattr + 1) * sizeof(Onnx__AttributeProto *));
    b->cin = cin;
    b->cout = cout;
    b->cattr = cattr;
    return !w->nomem;
}

static void node_in(nodeb *b, const char *name)
{
    if (b->p->n_input < b->cin) {
        b->vin[b->p->n_input] = OQ_NONE;
        b->p->input[b->p->n_input++] = (char *)name;
    }
}

/* Input that is graph value v (marked used when the node is pushed). */
static void node_in_v(wctx *w, nodeb *b, uint32_t v)
{
    if (b->p->n_input < b->cin) {
        b->vin[b->p->n_input] = v;
        b->p->input[b->p->n_input++] = (char *)vname(w, v);
    }
}

static void node_out(nodeb *b, const char *name)
{
    if (b->p->n_output < b->cout)
        b->p->output[b->p->n_output++] = (char *)name;
}

/* Drops trailing empty input names added by the writer past the IR's arity (the IR's own
 * absent optional inputs and outputs are written as "", as ONNX allows, so a round trip keeps
 * the node's arity). */
static void node_trim(nodeb *b, uint32_t keep_in)
{
    while (b->p->n_input > keep_in && !b->p->input[b->p->n_input - 1][0])
        b->p->n_input--;
}

static Onnx__AttributeProto *attr_new(wctx *w, nodeb *b, const char *name,
                                      Onnx__AttributeProto__AttributeType t)
{
    if (b->p->n_attribute >= b->cattr)
        return NULL;
    Onnx__AttributeProto *a = walloc(w, sizeof *a);
    if (!a)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = wstrdup(w, name);
    a->has_type = 1;
    a->type = t;
    b->p->attribute[b->p->n_attribute++] = a;
    return a;
}

static void attr_int(wctx *w, nodeb *b, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) {
        a->has_i = 1;
        a->i = v;
    }
}

static void attr_float(wctx *w, nodeb *b, const char *name, float v)
{
    Onnx__AttributeProto *a = attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) {
        a->has_f = 1;
        a->f = v;
    }
}

static void attr_ints(wctx *w, nodeb *b, const char *name, const int64_t *v, size_t n)
{
    Onnx__AttributeProto *a = attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (a) {
        a->n_ints = n;
        a->ints = (int64_t *)v;
    }
}

static void attr_string(wctx *w, nodeb *b, const char *name, const char *s)
{
    Onnx__AttributeProto *a = attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (a) {
        a->has_s = 1;
        a->s.data = (uint8_t *)wstrdup(w, s);
        a->s.len = strlen(s);
    }
}

/* Copies one typed IR attribute. */
static bool attr_copy(wctx *w, nodeb *b, const oq_attr *at, uint32_t node)
{
    switch (at->type) {
    case OQ_ATTR_INT: attr_int(w, b, at->name, at->i); break;
    case OQ_ATTR_FLOAT: attr_float(w, b, at->name, at->f); break;
    case OQ_ATTR_STRING: attr_string(w, b, at->name, at->s ? at->s : ""); break;
    case OQ_ATTR_INTS: attr_ints(w, b, at->name, at->ints, at->n); break;
    case OQ_ATTR_FLOATS: {
        Onnx__AttributeProto *a =
            attr_new(w, b, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
        if (a) {
            a->n_floats = at->n;
            a->floats = at->floats;
        }
        break;
    }
    case OQ_ATTR_STRINGS: {
        Onnx__AttributeProto *a =
            attr_new(w, b, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
        ProtobufCBinaryData *s = walloc(w, (at->n + 1) * sizeof *s);
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
        Onnx__TensorProto *t = make_tensor(w, "", at->t->dtype, &at->t->shape, at->t->data, node);
        if (!t)
            return false;
        Onnx__AttributeProto *a =
            attr_new(w, b, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
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
        return strcmp(name, "is_test") == 0 || (strcmp(name, "ratio") == 0 && w->opset >= 12);
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

static bool push_node(wctx *w, nodeb *b)
{
    for (size_t i = 0; i < b->p->n_input && !w->nomem; i++)
        if (b->vin[i] != OQ_NONE)
            w->used[b->vin[i]] = true;
    return !w->nomem && push(w, (void ***)&w->nodes, &w->nnode, &w->cnode, b->p);
}

/* Softmax/LogSoftmax: legacy 2-D semantics (onnxq_legacy_2d) or single-axis, for the opset.
 * Legacy at opset >= 13 over a non-last axis becomes Flatten -> Softmax(axis 1) -> Reshape. */
static bool emit_softmax(wctx *w, uint32_t ni, nodeb *b)
{
    const oq_node *n = &w->g->nodes[ni];
    const oq_value *x = &w->g->values[n->in[0]];
    bool legacy = ir_attr_int(n, "onnxq_legacy_2d", 0) != 0;
    int64_t r = x->shape.rank;
    if (r < 1)
        return oq_errorf(w->d, w->g, ni, OQ_ERR_SHAPE, "input rank unknown; cannot write axis") ==
               OQ_OK;
    int64_t a = softmax_axis(w, n, legacy);
    if (a < 0 || a >= r)
        return oq_errorf(w->d, w->g, ni, OQ_ERR_INVALID_MODEL, "axis out of range for rank %lld",
                         (long long)r) == OQ_OK;
    bool has_axis = ir_attr(n, "axis") != NULL;
    if (w->opset < 13 ? legacy : !legacy) {       /* native semantics: the IR's attribute */
        if (has_axis)
            attr_int(w, b, "axis", ir_attr_int(n, "axis", 0));
        return push_node(w, b);
    }
    if (a == r - 1) {          /* same meaning in both semantics, spelled out */
        attr_int(w, b, "axis", a);
        return push_node(w, b);
    }
    /* legacy over [prod(0..a), prod(a..)] at opset >= 13 */
    const char *flat = fresh_name(w, "flat"), *sm = fresh_name(w, "softmax2d");
    const char *shp = add_const_i64(w, "shape", x->shape.dim, (size_t)r, ni);
    if (!flat || !sm || !shp)
        return false;
    char nm[512];
    nodeb f, rs;
    snprintf(nm, sizeof nm, "%s_flatten", n->name);
    if (!node_begin(w, &f, "Flatten", "", nm, false, 1, 1, 1))
        return false;
    node_in_v(w, &f, n->in[0]);
    node_out(&f, flat);
    attr_int(w, &f, "axis", a);
    if (!push_node(w, &f))
        return false;
    const char *out = b->p->output[0];
    b->p->input[0] = (char *)flat;
    b->vin[0] = OQ_NONE;
    b->p->output[0] = (char *)sm;
    attr_int(w, b, "axis", 1);
    if (!push_node(w, b))
        return false;
    snprintf(nm, sizeof nm, "%s_reshape", n->name);
    if (!node_begin(w, &rs, "Reshape", "", nm, false, 2, 1, 0))
        return false;
    node_in(&rs, sm);
    node_in(&rs, shp);
    node_out(&rs, out);
    return push_node(w, &rs);
}

/* Input i (constant integers) becomes INTS attribute `attr`; the input is dropped (all inputs
 * from i on are removed by the caller via n_input). */
static bool input_to_ints_attr(wctx *w, uint32_t ni, nodeb *b, uint32_t i, const char *attr)
{
    const oq_node *n = &w->g->nodes[ni];
    if (in_at(n, i) == OQ_NONE)
        return true;
    int64_t *v;
    int64_t k = const_ints(w, n->in[i], &v);
    if (k < 0)
        return oq_errorf(w->d, w->g, ni, OQ_ERR_INTERNAL,
                         "input '%s' must be a constant to write it as attribute '%s'",
                         w->g->values[n->in[i]].name, attr) == OQ_OK;
    attr_ints(w, b, attr, v, (size_t)k);
    return !w->nomem;
}

/* Split sizes from the output shapes along the split axis (for num_outputs below opset 18). */
static bool split_sizes(wctx *w, const oq_node *n, int64_t **sizes, bool *equal)
{
    int64_t r = w->g->values[n->in[0]].shape.rank;
    int64_t ax = ir_attr_int(n, "axis", 0);
    if (ax < 0)
        ax += r;
    int64_t *s = walloc(w, (n->nout + 1) * sizeof *s);
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
static bool emit_node(wctx *w, uint32_t ni)
{
    const oq_graph *g = w->g;
    const oq_node *n = &g->nodes[ni];
    const char *op_type = n->op == OQ_OP_UNKNOWN ? n->op_type : oq_op_info(n->op)->name;
    const char *domain = n->op == OQ_OP_UNKNOWN && n->domain ? n->domain : "";
    nodeb b;
    if (!node_begin(w, &b, op_type, domain, n->name, w->first_name[ni], n->nin + 2, n->nout + 1, n->nattr + 8))
        return false;
    for (uint32_t i = 0; i < n->nin; i++)
        node_in_v(w, &b, n->in[i]);
    for (uint32_t i = 0; i < n->nout; i++)
        node_out(&b, vname(w, n->out[i]));
    for (uint32_t i = 0; i < n->nattr; i++)
        if (!skip_attr(w, n, n->attr[i].name) && !attr_copy(w, &b, &n->attr[i], ni))
            return false;
    int64_t T = w->opset;
    switch (n->op) {
    case OQ_OP_Squeeze:
    case OQ_OP_Unsqueeze:
    case OQ_OP_ReduceSum:
    case OQ_OP_ReduceMean:
    case OQ_OP_ReduceMax: {
        int64_t since = (n->op == OQ_OP_ReduceMean || n->op == OQ_OP_ReduceMax) ? 18 : 13;
        if (T < since) {
            if (!input_to_ints_attr(w, ni, &b, 1, "axes"))
                return false;
            b.p->n_input = 1;
        }
        break;
    }
    case OQ_OP_Split: {
        bool has_split = in_at(n, 1) != OQ_NONE;
        if (has_split && T < 13) {
            if (!input_to_ints_attr(w, ni, &b, 1, "split"))
                return false;
            b.p->n_input = 1;
        } else if (!has_split && ir_attr(n, "num_outputs") && T < 18) {
            int64_t *sz;
            bool equal;
            if (!split_sizes(w, n, &sz, &equal))
                return oq_errorf(w->d, g, ni, OQ_ERR_SHAPE,
                                 "output shapes unknown; cannot write num_outputs below opset 18") ==
                       OQ_OK;
            if (!equal) {
                if (T < 13) {
                    attr_ints(w, &b, "split", sz, n->nout);
                } else {
                    const char *c = add_const_i64(w, "split", sz, n->nout, ni);
                    if (!c)
                        return false;
                    b.p->n_input = 1;
                    node_in(&b, c);
                }
            }
        } else if (!has_split && T >= 18 && !ir_attr(n, "num_outputs")) {
            attr_int(w, &b, "num_outputs", n->nout);
        }
        break;
    }
    case OQ_OP_Clip:
        if (T < 11) {
            float v;
            if (in_at(n, 1) != OQ_NONE && const_scalar_f(w, n->in[1], &v))
                attr_float(w, &b, "min", v);
            if (in_at(n, 2) != OQ_NONE && const_scalar_f(w, n->in[2], &v))
                attr_float(w, &b, "max", v);
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Pad:
        if (T < 11) {
            float v;
            if (!input_to_ints_attr(w, ni, &b, 1, "pads"))
                return false;
            if (in_at(n, 2) != OQ_NONE && const_scalar_f(w, n->in[2], &v))
                attr_float(w, &b, "value", v);
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Slice:
        if (T < 10) {
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
            node_in_v(w, &b, n->in[0]);
            node_in_v(w, &b, in_at(n, 2));
        } else {
            if (g->opset <= 10 && !ir_attr(n, "coordinate_transformation_mode")) {
                /* Upsample / Resize-10 semantics, spelled out for opset 11+ */
                attr_string(w, &b, "coordinate_transformation_mode", "asymmetric");
                const char *mode = ir_attr_str(n, "mode", "nearest");
                if (strcmp(mode, "nearest") == 0 && !ir_attr(n, "nearest_mode"))
                    attr_string(w, &b, "nearest_mode", "floor");
            }
            if (T < 13) {                  /* roi and scales are required inputs at 11-12 */
                while (b.p->n_input < 3)
                    node_in(&b, "");
                if (!b.p->input[1][0] && !(b.p->input[1] = (char *)add_const_empty_f32(w, "roi", ni)))
                    return false;
                if (!b.p->input[2][0] &&
                    !(b.p->input[2] = (char *)add_const_empty_f32(w, "scales", ni)))
                    return false;
            }
        }
        break;
    case OQ_OP_Dropout:
        if (T < 12) {
            float v;
            if (in_at(n, 1) != OQ_NONE && const_scalar_f(w, n->in[1], &v))
                attr_float(w, &b, "ratio", v);
            b.p->n_input = 1;
        }
        break;
    case OQ_OP_Softmax:
    case OQ_OP_LogSoftmax:
        return emit_softmax(w, ni, &b);
    default:
        break;
    }
    node_trim(&b, n->nin);
    return push_node(w, &b);
}

/* ------------------------------------------------------------------ model */

/* Counts live uses; checks every used value is defined (input, constant or live output). */
static bool check_values(wctx *w)
{
    const oq_graph *g = w->g;
    for (uint32_t i = 0; i < g->nnode; i++) {
        const oq_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == OQ_OP_UNKNOWN && w->o && w->o->format == OQ_FORMAT_QOP)
            return oq_errorf(w->d, g, i, OQ_ERR_UNSUPPORTED_OP,
                             "QOperator output holds only standard-domain ops") == OQ_OK;
        for (uint32_t k = 0; k < n->nin; k++) {
            uint32_t v = n->in[k];
            if (v == OQ_NONE)
                continue;
            if (v >= g->nvalue)
                return oq_errorf(w->d, g, i, OQ_ERR_INTERNAL, "input %u: bad value id", k) == OQ_OK;
            w->nuse[v]++;
            const oq_value *val = &g->values[v];
            bool live_prod = val->producer != OQ_NONE && val->producer < g->nnode &&
                             !g->nodes[val->producer].dead;
            if (!live_prod && !val->data && !val->is_input)
                return oq_errorf(w->d, g, i, OQ_ERR_INVALID_MODEL,
                                 "input '%s' has no producer, data or graph input", val->name) ==
                       OQ_OK;
        }
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        const oq_value *val = &g->values[v];
        bool live_prod = val->producer != OQ_NONE && val->producer < g->nnode &&
                         !g->nodes[val->producer].dead;
        if (!live_prod && !val->data && !val->is_input)
            return oq_errorf(w->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "graph output '%s' is not computed", val->name) == OQ_OK;
        if (val->dtype == OQ_DT_UNDEFINED)
            return oq_errorf(w->d, g, OQ_NONE, OQ_ERR_DTYPE, "graph output '%s' has no type",
                             val->name) == OQ_OK;
        w->nuse[v]++;
    }
    for (uint32_t i = 0; i < g->ninput; i++)
        if (g->values[g->inputs[i]].dtype == OQ_DT_UNDEFINED)
            return oq_errorf(w->d, g, OQ_NONE, OQ_ERR_DTYPE, "graph input '%s' has no type",
                             g->values[g->inputs[i]].name) == OQ_OK;
    return true;
}

static bool fail_nomem(wctx *w)
{
    oq_errorf(w->d, w->g, OQ_NONE, OQ_ERR_NOMEM, "out of memory building the ONNX model");
    return false;
}

/* Builds the ModelProto in w->a; NULL on error (d set). */
static Onnx__ModelProto *build_model(wctx *w)
{
    const oq_graph *g = w->g;
    w->nuse = walloc(w, (g->nvalue + 1) * sizeof *w->nuse);
    w->vname = walloc(w, (g->nvalue + 1) * sizeof *w->vname);
    w->used = walloc(w, (g->nvalue + 1) * sizeof *w->used);
    if (w->nomem)
        return fail_nomem(w), NULL;
    if (!check_values(w) || !choose_opset(w))
        return NULL;

    /* reserve the IR's node names (first occurrence wins), then emit in topological order */
    w->first_name = walloc(w, (g->nnode + 1) * sizeof *w->first_name);
    for (uint32_t i = 0; i < g->nnode && !w->nomem; i++)
        if (!g->nodes[i].dead && g->nodes[i].name && g->nodes[i].name[0])
            w->first_name[i] = nn_insert(w, g->nodes[i].name);
    if (w->nomem)
        return fail_nomem(w), NULL;
    for (uint32_t i = 0; i < g->nnode; i++)
        if (!g->nodes[i].dead && !emit_node(w, i))
            return w->nomem ? (fail_nomem(w), NULL) : NULL;

    /* initializers: used values with data and no live producer (graph order) */
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *val = &g->values[v];
        bool live_prod = val->producer != OQ_NONE && val->producer < g->nnode &&
                         !g->nodes[val->producer].dead;
        if (!(w->used[v] || val->is_output) || live_prod || !val->data || val->is_input)
            continue;
        if (!add_init(w, vname(w, v), val->dtype, &val->shape, val->data, OQ_NONE))
            return w->nomem ? (fail_nomem(w), NULL) : NULL;
    }

    Onnx__GraphProto *gp = walloc(w, sizeof *gp);
    Onnx__ValueInfoProto **ins = walloc(w, (g->ninput + 1) * sizeof *ins);
    Onnx__ValueInfoProto **outs = walloc(w, (g->noutput + 1) * sizeof *outs);
    Onnx__ValueInfoProto **vis = walloc(w, (g->nvalue + 1) * sizeof *vis);
    if (w->nomem)
        return fail_nomem(w), NULL;
    onnx__graph_proto__init(gp);
    gp->name = wstrdup(w, g->name && g->name[0] ? g->name : "onnxq");
    for (uint32_t i = 0; i < g->ninput; i++)
        if (!(ins[i] = make_vi(w, g->inputs[i])))
            return fail_nomem(w), NULL;
    for (uint32_t i = 0; i < g->noutput; i++)
        if (!(outs[i] = make_vi(w, g->outputs[i])))
            return fail_nomem(w), NULL;
    size_t nvi = 0;
    if (!(w->o && w->o->no_value_info))
        for (uint32_t i = 0; i < g->nnode; i++) {
            const oq_node *n = &g->nodes[i];
            if (n->dead)
                continue;
            for (uint32_t k = 0; k < n->nout; k++) {
                uint32_t v = n->out[k];
                if (v == OQ_NONE || g->values[v].is_output ||
                    g->values[v].dtype == OQ_DT_UNDEFINED)
                    continue;
                if (!(vis[nvi++] = make_vi(w, v)))
                    return fail_nomem(w), NULL;
            }
        }
    gp->n_input = g->ninput;
    gp->input = ins;
    gp->n_output = g->noutput;
    gp->output = outs;
    gp->n_value_info = nvi;
    gp->value_info = vis;
    gp->n_node = w->nnode;
    gp->node = w->nodes;
    gp->n_initializer = w->ninit;
    gp->initializer = w->inits;

    /* opset imports: the default domain, then every other domain unknown nodes use (v1) */
    Onnx__OperatorSetIdProto **ops = walloc(w, (g->nnode + 2) * sizeof *ops);
    Onnx__ModelProto *m = walloc(w, sizeof *m);
    if (w->nomem)
        return fail_nomem(w), NULL;
    size_t nops = 0;
    Onnx__OperatorSetIdProto *def = walloc(w, sizeof *def);
    if (!def)
        return fail_nomem(w), NULL;
    onnx__operator_set_id_proto__init(def);
    def->domain = "";
    def->has_version = 1;
    def->version = w->opset;
    ops[nops++] = def;
    for (uint32_t i = 0; i < g->nnode; i++) {
        const oq_node *n = &g->nodes[i];
        if (n->dead || n->op != OQ_OP_UNKNOWN || !n->domain || !n->domain[0] ||
            strcmp(n->domain, "ai.onnx") == 0)
            continue;
        bool seen = false;
        for (size_t k = 0; k < nops; k++)
            seen |= strcmp(ops[k]->domain, n->domain) == 0;
        if (seen)
            continue;
        Onnx__OperatorSetIdProto *op = walloc(w, sizeof *op);
        if (!op)
            return fail_nomem(w), NULL;
        onnx__operator_set_id_proto__init(op);
        op->domain = (char *)n->domain;
        op->has_version = 1;
        op->version = 1;
        ops[nops++] = op;
    }
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = ir_version_for(w->opset);
    if (g->ir_version > m->ir_version && g->ir_version <= 10)
        m->ir_version = g->ir_version;
    m->producer_name = wstrdup(w, w->o && w->o->producer_name ? w->o->producer_name : "onnxq");
    m->producer_version = OQ_VERSION;
    m->n_opset_import = nops;
    m->opset_import = ops;
    m->graph = gp;
    if (w->nomem)
        return fail_nomem(w), NULL;
    return m;
}

static void wctx_init(wctx *w, const oq_graph *g, const oq_write_opts *o, oq_diag *d)
{
    memset(w, 0, sizeof *w);
    w->g = g;
    w->o = o;
    w->d = d ? d : &w->local;
    oq_arena_init(&w->a, g->arena.alloc, g->arena.alloc_ctx);   /* the graph's allocator */
}

int64_t oq_onnx_write_opset(const oq_graph *g, const oq_write_opts *o, oq_diag *d)
{
    wctx w;
    wctx_init(&w, g, o, d);
    int64_t r = choose_opset(&w) ? w.opset : 0;
    oq_arena_free(&w.a);
    return r;
}

/* ------------------------------------------------------------------ output */

typedef struct filebuf {       /* ProtobufCBuffer that streams into a FILE */
    ProtobufCBuffer base;
    FILE *f;
    bool err;
} filebuf;

static void filebuf_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    filebuf *fb = (filebuf *)b;
    if (!fb->err && len && fwrite(data, 1, len, fb->f) != len)
        fb->err = true;
}

/* Packed size, refusing protobuf's 2 GiB limit. */
static bool packed_size(wctx *w, const Onnx__ModelProto *m, size_t *n)
{
    *n = onnx__model_proto__get_packed_size(m);
    if (*n > (size_t)INT32_MAX)
        return oq_errorf(w->d, w->g, OQ_NONE, OQ_ERR_UNSUPPORTED_ATTR,
                         "model is %zu bytes, over protobuf's 2 GiB limit (external data is not "
                         "written)", *n) == OQ_OK;
    return true;
}

oq_status oq_write_onnx_mem(const oq_graph *g, const oq_write_opts *o, void **buf, size_t *len,
                            oq_diag *d)
{
    wctx w;
    wctx_init(&w, g, o, d);
    d = w.d;
    *buf = NULL;
    *len = 0;
    oq_status st = OQ_OK;
    Onnx__ModelProto *m = build_model(&w);
    size_t n;
    if (!m || !packed_size(&w, m, &n)) {
        st = d->status ? d->status : OQ_ERR_INTERNAL;
        goto fail;
    }
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory packing %zu bytes", n);
        goto fail;
    }
    onnx__model_proto__pack(m, p);
    *buf = p;
    *len = n;
fail:
    oq_arena_free(&w.a);
    return st;
}

/* Same file (st_dev + st_ino, or equal realpath) check; false if either is missing. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

oq_status oq_write_onnx(const oq_graph *g, const char *path, const oq_write_opts *o, oq_diag *d)
{
    const char *input = o && o->input_path ? o->input_path : g->path;
    if (!path || !path[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no output path given");
    if (same_file(path, input) || same_file(path, g->path))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "%s: refusing to overwrite the input model; choose another output path",
                         path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "%s: is a directory", path);

    wctx w;
    wctx_init(&w, g, o, d);
    d = w.d;
    oq_status status = OQ_OK;
    char *tmp = NULL;
    FILE *f = NULL;
    int fd = -1;
    Onnx__ModelProto *m = build_model(&w);
    size_t n;
    if (!m || !packed_size(&w, m, &n)) {
        status = d->status ? d->status : OQ_ERR_INTERNAL;
        goto fail;
    }
    size_t plen = strlen(path) + 16;
    tmp = malloc(plen);
    if (!tmp) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto fail;
    }
    snprintf(tmp, plen, "%s.tmpXXXXXX", path);   /* same directory, so rename is atomic */
    fd = mkstemp(tmp);
    if (fd < 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create a temporary file: %s",
                           path, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto fail;
    }
    mode_t um = umask(0);          /* mkstemp makes 0600; give the usual 0666 & ~umask */
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: chmod: %s", tmp, strerror(errno));
        goto fail;
    }
    f = fdopen(fd, "wb");
    if (!f) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    filebuf fb = {{filebuf_append}, f, false};
    size_t wrote = onnx__model_proto__pack_to_buffer(m, &fb.base);
    if (fb.err || wrote != n || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: write failed: %s", path,
                           strerror(errno ? errno : EIO));
        goto fail;
    }
    int rc = fclose(f);
    f = NULL;
    if (rc != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: close failed: %s", path,
                           strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: rename failed: %s", path,
                           strerror(errno));
        goto fail;
    }
    free(tmp);
    oq_arena_free(&w.a);
    return OQ_OK;
fail:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    oq_arena_free(&w.a);
    return status;
}
