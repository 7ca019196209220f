/* ONNX writer, protobuf building blocks: arena allocation, value and node names (unique,
 * SSA-safe), tensors with little-endian raw_data, value infos, and a small node builder with
 * typed attributes. Everything lives in the write context's arena. */
#include <stdio.h>
#include <string.h>

#include "onnx_int.h"

void *ow_alloc(wctx *w, size_t n)
{
    void *p = oq_arena_alloc(&w->a, n ? n : 1);
    if (!p)
        w->nomem = true;
    return p;
}

char *ow_strdup(wctx *w, const char *s)
{
    char *p = oq_arena_strdup(&w->a, s ? s : "");
    if (!p)
        w->nomem = true;
    return p;
}

/* Appends p to the pointer vector *arr (count *n, capacity *cap); false on NOMEM. */
bool ow_push(wctx *w, void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void **na = ow_alloc(w, nc * sizeof *na);
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
const char *ow_fresh_name(wctx *w, const char *base)
{
    char buf[256];
    do
        snprintf(buf, sizeof buf, "onnxq_%s_%u", base, w->tmpn++);
    while (ir_find_value(w->g, buf) != OQ_NONE);
    return ow_strdup(w, buf);
}

/* Written name of value v ("" for OQ_NONE). Empty or shadowed (duplicate) names get a fresh
 * one so the file stays SSA. */
const char *ow_vname(wctx *w, uint32_t v)
{
    if (v == OQ_NONE)
        return "";
    if (w->vname[v])
        return w->vname[v];
    const char *nm = w->g->values[v].name;
    if (!nm || !nm[0])
        w->vname[v] = ow_fresh_name(w, "v");
    else if (ir_find_value(w->g, nm) != v)
        w->vname[v] = ow_fresh_name(w, nm);
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
bool ow_reserve_name(wctx *w, const char *s)
{
    if ((w->nn_count + 1) * 2 > w->nn_cap) {
        size_t nc = w->nn_cap ? w->nn_cap * 2 : 256;
        const char **ns = ow_alloc(w, nc * sizeof *ns);
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
    const char *nm = ow_strdup(w, name);
    if (!nm || ow_reserve_name(w, nm) || w->nomem)
        return nm ? nm : "";
    size_t len = strlen(name) + 24;
    for (unsigned k = 1;; k++) {
        char *c = ow_alloc(w, len);
        if (!c)
            return "";
        snprintf(c, len, "%s_%u", name, k);
        if (ow_reserve_name(w, c) || w->nomem)
            return c;
    }
}

/* ------------------------------------------------------------------ tensors and types */

/* TensorProto with raw_data (little-endian) over `data` (not copied on little-endian hosts). */
Onnx__TensorProto *ow_tensor(wctx *w, const char *name, oq_dtype dt, const oq_shape *s,
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
    Onnx__TensorProto *t = ow_alloc(w, sizeof *t);
    int64_t *dims = ow_alloc(w, (size_t)(s->rank + 1) * sizeof *dims);
    if (!t || !dims)
        return NULL;
    onnx__tensor_proto__init(t);
    t->name = ow_strdup(w, name);
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
        uint8_t *sw = ow_alloc(w, nbytes);
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
bool ow_add_init(wctx *w, const char *name, oq_dtype dt, const oq_shape *s, const void *data,
                     uint32_t node)
{
    Onnx__TensorProto *t = ow_tensor(w, name, dt, s, data, node);
    return t && ow_push(w, (void ***)&w->inits, &w->ninit, &w->cinit, t);
}

/* A new int64 1-D initializer holding vals[0..n); returns its name (NULL on error). */
const char *ow_const_i64(wctx *w, const char *base, const int64_t *vals, size_t n,
                                 uint32_t node)
{
    const char *nm = ow_fresh_name(w, base);
    oq_shape s = {.rank = 1, .dim = {(int64_t)n}};
    int64_t *copy = ow_alloc(w, (n ? n : 1) * sizeof *copy);
    if (!nm || !copy)
        return NULL;
    if (n)
        memcpy(copy, vals, n * sizeof *copy);
    return ow_add_init(w, nm, OQ_DT_INT64, &s, copy, node) ? nm : NULL;
}

/* A new empty float 1-D initializer (Resize roi/scales placeholders at opset 11-12). */
const char *ow_const_empty_f32(wctx *w, const char *base, uint32_t node)
{
    const char *nm = ow_fresh_name(w, base);
    oq_shape s = {.rank = 1, .dim = {0}};
    return nm && ow_add_init(w, nm, OQ_DT_FLOAT, &s, NULL, node) ? nm : NULL;
}

Onnx__ValueInfoProto *ow_value_info(wctx *w, uint32_t v)
{
    const oq_value *val = &w->g->values[v];
    Onnx__ValueInfoProto *vi = ow_alloc(w, sizeof *vi);
    Onnx__TypeProto *tp = ow_alloc(w, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ow_alloc(w, sizeof *tt);
    if (!vi || !tp || !tt)
        return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    vi->name = (char *)ow_vname(w, v);
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)val->dtype;
    if (val->shape.rank >= 0) {
        Onnx__TensorShapeProto *sp = ow_alloc(w, sizeof *sp);
        size_t r = (size_t)val->shape.rank;
        Onnx__TensorShapeProto__Dimension **dims = ow_alloc(w, (r + 1) * sizeof *dims);
        if (!sp || !dims)
            return NULL;
        onnx__tensor_shape_proto__init(sp);
        for (size_t i = 0; i < r; i++) {
            Onnx__TensorShapeProto__Dimension *dm = ow_alloc(w, sizeof *dm);
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

/* ------------------------------------------------------------------ node builder */


bool ow_node_begin(wctx *w, nodeb *b, const char *op_type, const char *domain,
                       const char *name, bool reserved, size_t cin, size_t cout, size_t cattr)
{
    b->p = ow_alloc(w, sizeof *b->p);
    if (!b->p)
        return false;
    onnx__node_proto__init(b->p);
    b->p->op_type = ow_strdup(w, op_type);
    b->p->domain = ow_strdup(w, domain);
    b->p->name = (char *)node_name(w, name, reserved);
    b->p->input = ow_alloc(w, (cin + 1) * sizeof(char *));
    b->vin = ow_alloc(w, (cin + 1) * sizeof(uint32_t));
    b->p->output = ow_alloc(w, (cout + 1) * sizeof(char *));
    b->p->attribute = ow_alloc(w, (cattr + 1) * sizeof(Onnx__AttributeProto *));
    b->cin = cin;
    b->cout = cout;
    b->cattr = cattr;
    return !w->nomem;
}

void ow_node_in(nodeb *b, const char *name)
{
    if (b->p->n_input < b->cin) {
        b->vin[b->p->n_input] = OQ_NONE;
        b->p->input[b->p->n_input++] = (char *)name;
    }
}

/* Input that is graph value v (marked used when the node is pushed). */
void ow_node_in_v(wctx *w, nodeb *b, uint32_t v)
{
    if (b->p->n_input < b->cin) {
        b->vin[b->p->n_input] = v;
        b->p->input[b->p->n_input++] = (char *)ow_vname(w, v);
    }
}

void ow_node_out(nodeb *b, const char *name)
{
    if (b->p->n_output < b->cout)
        b->p->output[b->p->n_output++] = (char *)name;
}

/* Drops trailing empty input names added by the writer past the IR's arity (the IR's own
 * absent optional inputs and outputs are written as "", as ONNX allows, so a round trip keeps
 * the node's arity). */
void ow_node_trim(nodeb *b, uint32_t keep_in)
{
    while (b->p->n_input > keep_in && !b->p->input[b->p->n_input - 1][0])
        b->p->n_input--;
}

Onnx__AttributeProto *ow_attr_new(wctx *w, nodeb *b, const char *name,
                                      Onnx__AttributeProto__AttributeType t)
{
    if (b->p->n_attribute >= b->cattr)
        return NULL;
    Onnx__AttributeProto *a = ow_alloc(w, sizeof *a);
    if (!a)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = ow_strdup(w, name);
    a->has_type = 1;
    a->type = t;
    b->p->attribute[b->p->n_attribute++] = a;
    return a;
}

void ow_attr_int(wctx *w, nodeb *b, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ow_attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) {
        a->has_i = 1;
        a->i = v;
    }
}

void ow_attr_float(wctx *w, nodeb *b, const char *name, float v)
{
    Onnx__AttributeProto *a = ow_attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) {
        a->has_f = 1;
        a->f = v;
    }
}

void ow_attr_ints(wctx *w, nodeb *b, const char *name, const int64_t *v, size_t n)
{
    Onnx__AttributeProto *a = ow_attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (a) {
        a->n_ints = n;
        a->ints = (int64_t *)v;
    }
}

void ow_attr_string(wctx *w, nodeb *b, const char *name, const char *s)
{
    Onnx__AttributeProto *a =
        ow_attr_new(w, b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (a) {
        a->has_s = 1;
        a->s.data = (uint8_t *)ow_strdup(w, s);
        a->s.len = strlen(s);
    }
}

bool ow_push_node(wctx *w, nodeb *b)
{
    for (size_t i = 0; i < b->p->n_input && !w->nomem; i++)
        if (b->vin[i] != OQ_NONE)
            w->used[b->vin[i]] = true;
    return !w->nomem && ow_push(w, (void ***)&w->nodes, &w->nnode, &w->cnode, b->p);
}


