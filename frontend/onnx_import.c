/* ONNX import: ModelProto (protobuf-c) -> oq_graph in canonical form (frontend.h).
 * Order: unpack (depth/size bounded) -> version checks -> list every unsupported op in one
 * message -> values (initializers, inputs, node outputs; SSA checked) -> nodes created in a
 * linear-time topological order (cycles and undefined inputs reported by node) -> input-shape
 * overrides -> opset adapters (adapt.c) + arity checks -> ir_toposort + ir_infer -> declared
 * output types checked (warnings) -> qparams mirrored (qparams.c). value_info hints are used
 * only when unknown ops are kept (inspect): otherwise inference alone decides shapes.
 * The protobuf is freed before returning; nothing in the graph points into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_int.h"

#define OQ_FE_MIN_IR 3
#define OQ_FE_MAX_IR 10
#define OQ_FE_MIN_OPSET 1   /* older than 7 is accepted leniently where the op is unchanged */
#define OQ_FE_MAX_OPSET 18

typedef struct imp {
    oq_graph *g;
    oq_diag *d;
    const oq_import_opts *o;
    oq_fe_where w;             /* file + base dir for tensor messages and external data */
    const Onnx__GraphProto *gp;
    const char **nname;        /* per proto node: its name, synthesized when empty */
    oq_op *nop;                /* per proto node: op (OQ_OP_UNKNOWN if unsupported) */
    bool any_unknown;
    oq_fe_inlined *inl;        /* the graph with constant-condition Ifs inlined, or NULL */
} imp;

/* The node's domain when it is not the default ONNX one, else "". */
static const char *foreign_domain(const Onnx__NodeProto *n)
{
    return n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0 ? n->domain : "";
}

/* Maps a proto node to an op of ops.def (Upsample is adapted into Resize); OQ_OP_UNKNOWN for
 * ops onnxq does not implement. A node of another domain maps only to an op of that domain (ops.def
 * column opset: ONNX Runtime's contrib ops onnxq implements). */
static oq_op node_op(const Onnx__NodeProto *n)
{
    const char *dom = foreign_domain(n);
    if (dom[0]) {
        oq_op op = oq_op_lookup(n->op_type);
        return op != OQ_OP_UNKNOWN && strcmp(oq_op_info(op)->domain, dom) == 0 ? op
                                                                             : OQ_OP_UNKNOWN;
    }
    if (strcmp(n->op_type, "Upsample") == 0)
        return OQ_OP_Resize;
    return oq_op_lookup(n->op_type);
}

/* Appends formatted text to buf (capacity cap, length *len), truncating silently. */
static void appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...) OQ_PRINTF(4, 5);
static void appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (k > 0)
        *len = *len + (size_t)k < cap ? *len + (size_t)k : cap - 1;
}

/* Fills nname/nop and reports every unsupported op type with its nodes in one message. */
static oq_status scan_ops(imp *im)
{
    const Onnx__GraphProto *gp = im->gp;
    oq_arena *a = &im->g->arena;
    im->nname = oq_arena_alloc(a, (gp->n_node + 1) * sizeof *im->nname);
    im->nop = oq_arena_alloc(a, (gp->n_node + 1) * sizeof *im->nop);
    if (!im->nname || !im->nop)
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        if (!n->op_type || !n->op_type[0])
            return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "node %zu ('%s') has no op_type", i, n->name ? n->name : "");
        if (n->name && n->name[0]) {
            im->nname[i] = oq_arena_strdup(a, n->name);
        } else {
            char buf[96];
            snprintf(buf, sizeof buf, "%.64s_%zu", n->op_type, i);
            im->nname[i] = oq_arena_strdup(a, buf);
        }
        if (!im->nname[i])
            return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        im->nop[i] = node_op(n);
        if (im->nop[i] == OQ_OP_UNKNOWN)
            im->any_unknown = true;
    }
    if (!im->any_unknown || im->o->allow_unknown_ops)
        return OQ_OK;
    /* one line: "Elu (2 nodes: 'a', 'b'), com.x:Foo (1 node: 'c')" in first-seen order */
    char msg[900];
    size_t len = 0, ntypes = 0;
    bool *seen = oq_arena_alloc(a, gp->n_node + 1);
    if (!seen)
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    bool more = false;
    for (size_t i = 0; i < gp->n_node; i++) {
        if (im->nop[i] != OQ_OP_UNKNOWN || seen[i])
            continue;
        if (ntypes == 24) {    /* keeps the scan linear on hostile files with endless types */
            size_t rest = 0;
            for (size_t j = i; j < gp->n_node; j++)
                rest += im->nop[j] == OQ_OP_UNKNOWN && !seen[j];
            appendf(msg, sizeof msg, &len, ", and %zu more nodes of further types", rest);
            more = true;
            break;
        }
        const Onnx__NodeProto *n = gp->node[i];
        const char *dom = foreign_domain(n);
        size_t count = 0;
        for (size_t j = i; j < gp->n_node; j++) {
            const Onnx__NodeProto *m = gp->node[j];
            if (im->nop[j] == OQ_OP_UNKNOWN && !seen[j] && strcmp(m->op_type, n->op_type) == 0 &&
                strcmp(foreign_domain(m), dom) == 0) {
                seen[j] = true;
                count++;
            }
        }
        appendf(msg, sizeof msg, &len, "%s%s%s%.64s (%zu node%s: ", ntypes ? ", " : "", dom,
                dom[0] ? ":" : "", n->op_type, count, count > 1 ? "s" : "");
        size_t shown = 0;
        for (size_t j = i; j < gp->n_node && shown < 4; j++) {
            const Onnx__NodeProto *m = gp->node[j];
            if (im->nop[j] == OQ_OP_UNKNOWN && strcmp(m->op_type, n->op_type) == 0 &&
                strcmp(foreign_domain(m), dom) == 0)
                appendf(msg, sizeof msg, &len, "%s'%.48s'", shown++ ? ", " : "", im->nname[j]);
        }
        if (count > shown)
            appendf(msg, sizeof msg, &len, ", ...");
        appendf(msg, sizeof msg, &len, ")");
        ntypes++;
    }
    return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_UNSUPPORTED_OP,
                     "%s%zu unsupported operator type%s (not in onnxq's op table, "
                     "ir/ops.def): %s", more ? "more than " : "", ntypes, ntypes > 1 ? "s" : "",
                     msg);
}

/* Converts a TypeProto into dtype + shape (dim_param and missing dims -> -1). what names the
 * value. Non-tensor types fail unless lenient (then dtype stays UNDEFINED, rank -1). */
static oq_status type_of(imp *im, const Onnx__TypeProto *tp, const char *what, bool lenient,
                         oq_dtype *dt, oq_shape *s)
{
    *dt = OQ_DT_UNDEFINED;
    s->rank = -1;
    if (!tp)
        return OQ_OK;
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
        if (lenient)
            return OQ_OK;
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_DTYPE,
                         "%s is not a tensor (sequences, maps and optionals are not supported)",
                         what);
    }
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type) {
        if (!oq_dtype_valid(tt->elem_type)) {
            if (lenient)
                return OQ_OK;
            return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_DTYPE,
                             "%s has unsupported element type %d", what, tt->elem_type);
        }
        *dt = (oq_dtype)tt->elem_type;
    }
    if (!tt->shape)
        return OQ_OK;
    const Onnx__TensorShapeProto *sp = tt->shape;
    if (sp->n_dim > OQ_MAX_RANK)
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_SHAPE,
                         "%s has rank %zu (at most %d supported)", what, sp->n_dim, OQ_MAX_RANK);
    s->rank = (int32_t)sp->n_dim;
    int64_t numel = 1;
    for (size_t i = 0; i < sp->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = sp->dim[i];
        if (dm->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            s->dim[i] = -1;
            continue;
        }
        if (dm->dim_value < 0)
            return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s has negative dim %zu (%lld)", what, i, (long long)dm->dim_value);
        if (dm->dim_value && numel > INT64_MAX / dm->dim_value)
            return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: product of dims overflows", what);
        numel *= dm->dim_value;
        s->dim[i] = dm->dim_value;
    }
    return OQ_OK;
}

/* A value name must be new (SSA); what says who defines it. */
static oq_status define(imp *im, const char *name, const char *what, oq_dtype dt, const oq_shape *s,
                        uint32_t *id)
{
    if (ir_find_value(im->g, name) != OQ_NONE)
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "value '%s' is defined twice (SSA violation): again as %s", name, what);
    *id = ir_add_value(im->g, name, dt, s);
    if (*id == OQ_NONE)
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    return OQ_OK;
}

/* Initializers (constants), graph inputs, node outputs; then value_info/output type hints. */
static oq_status make_values(imp *im)
{
    const Onnx__GraphProto *gp = im->gp;
    oq_graph *g = im->g;
    oq_status st;
    char what[256];
    const Onnx__SparseTensorProto *sp0 =
        gp->n_sparse_initializer ? gp->sparse_initializer[0] : NULL;
    if (sp0)
        return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_UNSUPPORTED_ATTR,
                         "sparse initializers are not supported ('%s')",
                         sp0 && sp0->values && sp0->values->name ? sp0->values->name : "");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        if (!t->name || !t->name[0])
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL, "initializer %zu has no name",
                             i);
        snprintf(what, sizeof what, "initializer '%.200s'", t->name);
        oq_tensor_const tc;
        if ((st = oq_fe_tensor(&g->arena, t, &im->w, what, &tc, im->d)) != OQ_OK)
            return st;
        uint32_t v;
        if ((st = define(im, t->name, "an initializer", tc.dtype, &tc.shape, &v)) != OQ_OK)
            return st;
        g->values[v].data = tc.data;
    }
    g->inputs = oq_arena_alloc(&g->arena, (gp->n_input + 1) * sizeof(uint32_t));
    g->outputs = oq_arena_alloc(&g->arena, (gp->n_output + 1) * sizeof(uint32_t));
    if (!g->inputs || !g->outputs)
        return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !vi->name[0])
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL, "graph input %zu has no name",
                             i);
        uint32_t v = ir_find_value(g, vi->name);
        if (v != OQ_NONE && g->values[v].data && !g->values[v].is_input)
            continue;          /* also an initializer: a constant */
        snprintf(what, sizeof what, "graph input '%.200s'", vi->name);
        oq_dtype dt;
        oq_shape s;
        if ((st = type_of(im, vi->type, what, im->o->allow_unknown_ops, &dt, &s)) != OQ_OK)
            return st;
        if (dt == OQ_DT_UNDEFINED && !im->o->allow_unknown_ops)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_DTYPE, "%s has no element type", what);
        if ((st = define(im, vi->name, "a graph input", dt, &s, &v)) != OQ_OK)
            return st;
        g->values[v].is_input = true;
        g->inputs[g->ninput++] = v;
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        for (size_t k = 0; k < n->n_output; k++) {
            if (!n->output[k] || !n->output[k][0])
                continue;
            snprintf(what, sizeof what, "output %zu of node '%.100s' (%.64s)", k, im->nname[i],
                     n->op_type);
            uint32_t v;
            if ((st = define(im, n->output[k], what, OQ_DT_UNDEFINED, NULL, &v)) != OQ_OK)
                return st;
        }
    }
    /* type hints: value_info for intermediates, graph outputs */
    for (size_t i = 0; i < gp->n_value_info + gp->n_output; i++) {
        bool isout = i >= gp->n_value_info;
        const Onnx__ValueInfoProto *vi =
            isout ? gp->output[i - gp->n_value_info] : gp->value_info[i];
        if (!vi->name || !vi->name[0]) {
            if (isout)
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL, "graph output %zu has no "
                                 "name", i - gp->n_value_info);
            continue;
        }
        uint32_t v = ir_find_value(g, vi->name);
        if (v == OQ_NONE) {
            if (isout)
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                                 "graph output '%s' is not produced by any node, initializer or "
                                 "input", vi->name);
            continue;
        }
        if (isout) {
            if (!g->values[v].is_output)
                g->outputs[g->noutput++] = v;
            g->values[v].is_output = true;
        }
        oq_value *val = &g->values[v];
        /* hints only where inference cannot go (unknown ops kept for inspect): otherwise
         * inference alone decides, so a wrong hint cannot contradict it */
        if (val->data || val->is_input || !im->any_unknown)
            continue;
        snprintf(what, sizeof what, "%s '%.200s'", isout ? "graph output" : "value_info", vi->name);
        oq_dtype dt;
        oq_shape s;
        bool lenient = !isout || im->o->allow_unknown_ops;
        if ((st = type_of(im, vi->type, what, lenient, &dt, &s)) != OQ_OK)
            return st;
        val = &g->values[v];
        if (dt != OQ_DT_UNDEFINED)
            val->dtype = dt;
        if (s.rank >= 0)
            val->shape = s;
    }
    return OQ_OK;
}

/* Resolves a node's input name; "" = absent. */
static oq_status input_id(imp *im, size_t i, size_t k, uint32_t *v)
{
    const char *nm = im->gp->node[i]->input[k];
    if (!nm || !nm[0]) {
        *v = OQ_NONE;
        return OQ_OK;
    }
    *v = ir_find_value(im->g, nm);
    if (*v == OQ_NONE)
        return oq_errorf(im->d, im->g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "node '%s' (%s): input %zu '%s' is not defined by any node, initializer "
                         "or graph input", im->nname[i], im->gp->node[i]->op_type, k, nm);
    return OQ_OK;
}

/* Topological order of the proto nodes (Kahn, linear time, file order among ready nodes). */
static oq_status topo_order(imp *im, size_t **order_out)
{
    const Onnx__GraphProto *gp = im->gp;
    oq_graph *g = im->g;
    size_t nn = gp->n_node;
    oq_arena *a = &g->arena;
    uint32_t *prod = oq_arena_alloc(a, ((size_t)g->nvalue + 1) * sizeof *prod);
    size_t *indeg = oq_arena_alloc(a, (nn + 1) * sizeof *indeg);
    size_t *order = oq_arena_alloc(a, (nn + 1) * sizeof *order);
    /* consumers as CSR: edge list sized by total inputs */
    size_t nedge = 0;
    for (size_t i = 0; i < nn; i++)
        nedge += gp->node[i]->n_input;
    size_t *cstart = oq_arena_alloc(a, ((size_t)g->nvalue + 2) * sizeof *cstart);
    size_t *cons = oq_arena_alloc(a, (nedge + 1) * sizeof *cons);
    if (!prod || !indeg || !order || !cstart || !cons)
        return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (uint32_t v = 0; v < g->nvalue; v++)
        prod[v] = OQ_NONE;
    for (size_t i = 0; i < nn; i++)
        for (size_t k = 0; k < gp->node[i]->n_output; k++) {
            const char *nm = gp->node[i]->output[k];
            if (nm && nm[0])
                prod[ir_find_value(g, nm)] = (uint32_t)i;
        }
    oq_status st;
    for (size_t i = 0; i < nn; i++)
        for (size_t k = 0; k < gp->node[i]->n_input; k++) {
            uint32_t v;
            if ((st = input_id(im, i, k, &v)) != OQ_OK)
                return st;
            if (v != OQ_NONE && prod[v] != OQ_NONE) {
                indeg[i]++;
                cstart[v + 1]++;
            }
        }
    for (uint32_t v = 0; v < g->nvalue; v++)
        cstart[v + 1] += cstart[v];
    size_t *fill = oq_arena_alloc(a, ((size_t)g->nvalue + 1) * sizeof *fill);
    if (!fill)
        return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nn; i++)
        for (size_t k = 0; k < gp->node[i]->n_input; k++) {
            uint32_t v;
            (void)input_id(im, i, k, &v);
            if (v != OQ_NONE && prod[v] != OQ_NONE)
                cons[cstart[v] + fill[v]++] = i;
        }
    /* ready queue as a min-heap would keep file order exactly; a FIFO is enough (stable for
     * already-sorted files, which are the norm) */
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < nn; i++)
        if (indeg[i] == 0)
            order[tail++] = i;
    while (head < tail) {
        size_t i = order[head++];
        const Onnx__NodeProto *n = gp->node[i];
        for (size_t k = 0; k < n->n_output; k++) {
            if (!n->output[k] || !n->output[k][0])
                continue;
            uint32_t v = ir_find_value(g, n->output[k]);
            for (size_t e = cstart[v]; e < cstart[v + 1]; e++)
                if (--indeg[cons[e]] == 0)
                    order[tail++] = cons[e];
        }
    }
    if (tail < nn) {
        for (size_t i = 0; i < nn; i++)
            if (indeg[i])
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                                 "node '%s' (%s): the graph has a cycle through this node",
                                 im->nname[i], gp->node[i]->op_type);
    }
    *order_out = order;
    return OQ_OK;
}

/* Appends an attribute to node n, whose attr array make_nodes sized for all of them. */
static oq_attr *new_attr(oq_graph *g, uint32_t n, const char *name, oq_attr_type t)
{
    oq_node *nd = &g->nodes[n];
    const char *nm = oq_arena_strdup(&g->arena, name);
    if (!nm)
        return NULL;
    oq_attr *a = &nd->attr[nd->nattr++];
    a->name = nm;
    a->type = t;
    return a;
}

static int cmp_attr_name(const void *a, const void *b)
{
    return strcmp(((const oq_attr *)a)->name, ((const oq_attr *)b)->name);
}

/* Copies attribute a of proto node i into IR node n. */
static oq_status copy_attr(imp *im, size_t i, uint32_t n, const Onnx__AttributeProto *pa)
{
    oq_graph *g = im->g;
    const char *nname = im->nname[i], *opt = im->gp->node[i]->op_type;
    if (!pa->name || !pa->name[0])
        return oq_errorf(im->d, g, n, OQ_ERR_INVALID_MODEL, "attribute without a name");
    int t = pa->has_type ? (int)pa->type : 0;
    if (t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {   /* very old files */
        t = pa->has_f ? 1 : pa->has_i ? 2 : pa->has_s ? 3 : pa->t ? 4 : pa->n_floats ? 6
          : pa->n_ints ? 7 : pa->n_strings ? 8 : 0;
    }
    oq_arena *ar = &g->arena;
    oq_attr *a;
    switch (t) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        if (!(a = new_attr(g, n, pa->name, OQ_ATTR_FLOAT)))
            break;
        a->f = pa->f;
        return OQ_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        if (!(a = new_attr(g, n, pa->name, OQ_ATTR_INT)))
            break;
        a->i = pa->i;
        return OQ_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
        if (!(a = new_attr(g, n, pa->name, OQ_ATTR_STRING)))
            break;
        char *s = oq_arena_alloc(ar, pa->s.len + 1);
        if (!s)
            break;
        if (pa->s.len)
            memcpy(s, pa->s.data, pa->s.len);
        a->s = s;
        return OQ_OK;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        if (pa->n_floats > UINT32_MAX || !(a = new_attr(g, n, pa->name, OQ_ATTR_FLOATS)))
            break;
        a->n = (uint32_t)pa->n_floats;
        if (!(a->floats = oq_arena_dup(ar, pa->floats, pa->n_floats * sizeof(float))))
            break;
        return OQ_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        if (pa->n_ints > UINT32_MAX || !(a = new_attr(g, n, pa->name, OQ_ATTR_INTS)))
            break;
        a->n = (uint32_t)pa->n_ints;
        if (!(a->ints = oq_arena_dup(ar, pa->ints, pa->n_ints * sizeof(int64_t))))
            break;
        return OQ_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
        if (pa->n_strings > UINT32_MAX || !(a = new_attr(g, n, pa->name, OQ_ATTR_STRINGS)))
            break;
        a->n = (uint32_t)pa->n_strings;
        const char **ss = oq_arena_alloc(ar, (pa->n_strings + 1) * sizeof *ss);
        if (!ss)
            break;
        for (size_t k = 0; k < pa->n_strings; k++) {
            char *s = oq_arena_alloc(ar, pa->strings[k].len + 1);
            if (!s)
                return oq_errorf(im->d, g, n, OQ_ERR_NOMEM, "out of memory");
            if (pa->strings[k].len)
                memcpy(s, pa->strings[k].data, pa->strings[k].len);
            ss[k] = s;
        }
        a->strings = ss;
        return OQ_OK;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
        if (g->nodes[n].op == OQ_OP_UNKNOWN)
            return OQ_OK;      /* kept for inspect only: not decoded */
        if (!pa->t)
            return oq_errorf(im->d, g, n, OQ_ERR_INVALID_MODEL, "tensor attribute '%s' is empty",
                             pa->name);
        char what[256];
        snprintf(what, sizeof what, "attribute '%.64s' of node '%.100s' (%.32s)", pa->name, nname,
                 opt);
        oq_tensor_const *tc = oq_arena_alloc(ar, sizeof *tc);
        if (!tc)
            break;
        oq_status st = oq_fe_tensor(ar, pa->t, &im->w, what, tc, im->d);
        if (st != OQ_OK)
            return st;
        if (!(a = new_attr(g, n, pa->name, OQ_ATTR_TENSOR)))
            break;
        a->t = tc;
        return OQ_OK;
    }
    default:
        /* graphs, sparse tensors, type protos: no op we implement takes them */
        if (g->nodes[n].op == OQ_OP_UNKNOWN)
            return OQ_OK;
        return oq_errorf(im->d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                         "attribute '%s' has a type (%d) this op does not take", pa->name, t);
    }
    return oq_errorf(im->d, g, n, OQ_ERR_NOMEM, "out of memory");
}

/* Creates IR nodes in topological order with inputs, outputs and attributes. */
static oq_status make_nodes(imp *im)
{
    const Onnx__GraphProto *gp = im->gp;
    oq_graph *g = im->g;
    size_t *order = NULL;
    oq_status st = topo_order(im, &order);
    if (st != OQ_OK)
        return st;
    for (size_t oi = 0; oi < gp->n_node; oi++) {
        size_t i = order[oi];
        const Onnx__NodeProto *pn = gp->node[i];
        if (pn->n_input > 65535 || pn->n_output > 65535)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "node '%s' (%s) has too many inputs/outputs", im->nname[i],
                             pn->op_type);
        uint32_t in[65536 / 64], out[65536 / 64];
        uint32_t *pin = in, *pout = out;
        if (pn->n_input > sizeof in / sizeof in[0] || pn->n_output > sizeof out / sizeof out[0]) {
            pin = oq_arena_alloc(&g->arena, (pn->n_input + 1) * sizeof *pin);
            pout = oq_arena_alloc(&g->arena, (pn->n_output + 1) * sizeof *pout);
            if (!pin || !pout)
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        }
        for (size_t k = 0; k < pn->n_input; k++)
            if ((st = input_id(im, i, k, &pin[k])) != OQ_OK)
                return st;
        for (size_t k = 0; k < pn->n_output; k++)
            pout[k] = pn->output[k] && pn->output[k][0] ? ir_find_value(g, pn->output[k]) : OQ_NONE;
        uint32_t n = ir_add_node(g, im->nop[i], im->nname[i], pin, (uint32_t)pn->n_input, pout,
                                 (uint32_t)pn->n_output);
        if (n == OQ_NONE)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        const char *opt = oq_arena_strdup(&g->arena, pn->op_type);
        const char *dom = oq_arena_strdup(&g->arena, pn->domain ? pn->domain : "");
        if (!opt || !dom)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        g->nodes[n].op_type = opt;
        g->nodes[n].domain = dom;
        if (pn->n_attribute > 65535)
            return oq_errorf(im->d, g, n, OQ_ERR_INVALID_MODEL, "has %zu attributes",
                             pn->n_attribute);
        oq_attr *attrs = oq_arena_alloc(&g->arena, (pn->n_attribute + 1) * sizeof *attrs);
        if (!attrs)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        g->nodes[n].attr = attrs;
        for (size_t k = 0; k < pn->n_attribute; k++)
            if ((st = copy_attr(im, i, n, pn->attribute[k])) != OQ_OK)
                return st;
        /* duplicate names: sort a copy (linearithmic even for hostile attribute counts) */
        oq_node *nd = &g->nodes[n];
        if (nd->nattr > 1) {
            oq_attr *sorted = oq_arena_dup(&g->arena, nd->attr, nd->nattr * sizeof *sorted);
            if (!sorted)
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
            qsort(sorted, nd->nattr, sizeof *sorted, cmp_attr_name);
            for (uint32_t k = 1; k < nd->nattr; k++)
                if (strcmp(sorted[k - 1].name, sorted[k].name) == 0)
                    return oq_errorf(im->d, g, n, OQ_ERR_INVALID_MODEL,
                                     "attribute '%s' given twice", sorted[k].name);
        }
    }
    return OQ_OK;
}

/* Arity per ops.def: required inputs present, counts within range, first output present (unless
 * every output is optional, min_out 0: LSTM's Y). */
static oq_status check_arity(imp *im, uint32_t n)
{
    const oq_node *nd = &im->g->nodes[n];
    if (nd->op == OQ_OP_UNKNOWN || nd->dead)
        return OQ_OK;
    const oq_opinfo *oi = oq_op_info(nd->op);
    if ((int)nd->nin < oi->min_in || (int)nd->nin > oi->max_in)
        return oq_errorf(im->d, im->g, n, OQ_ERR_INVALID_MODEL, "has %u inputs, expects %d to %d",
                         nd->nin, oi->min_in, oi->max_in);
    for (int i = 0; i < oi->min_in; i++)
        if (nd->in[i] == OQ_NONE)
            return oq_errorf(im->d, im->g, n, OQ_ERR_INVALID_MODEL, "required input %d is empty",
                             i);
    if ((int)nd->nout < oi->min_out || (int)nd->nout > oi->max_out)
        return oq_errorf(im->d, im->g, n, OQ_ERR_INVALID_MODEL, "has %u outputs, expects %d to %d",
                         nd->nout, oi->min_out, oi->max_out);
    if (nd->nout && nd->out[0] == OQ_NONE && oi->min_out > 0)
        return oq_errorf(im->d, im->g, n, OQ_ERR_INVALID_MODEL, "first output has no name");
    return OQ_OK;
}

/* Applies --input-shape overrides; unknown names are a usage error listing the inputs. */
static oq_status apply_shapes(imp *im)
{
    oq_graph *g = im->g;
    for (uint32_t k = 0; k < im->o->nshapes; k++) {
        const oq_input_shape *is = &im->o->shapes[k];
        uint32_t v = is->name ? ir_find_value(g, is->name) : OQ_NONE;
        if (v == OQ_NONE || !g->values[v].is_input) {
            char list[600];
            size_t len = 0;
            for (uint32_t i = 0; i < g->ninput; i++)
                appendf(list, sizeof list, &len, "%s'%.64s'", i ? ", " : "",
                        g->values[g->inputs[i]].name);
            if (!g->ninput)
                appendf(list, sizeof list, &len, "none");
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_USAGE,
                             "--input-shape: '%s' is not a graph input (inputs: %s)",
                             is->name ? is->name : "", list);
        }
        oq_value *val = &g->values[v];
        if (is->shape.rank < 0 || is->shape.rank > OQ_MAX_RANK)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_USAGE, "--input-shape %s: bad rank %d",
                             is->name, (int)is->shape.rank);
        if (val->shape.rank >= 0 && val->shape.rank != is->shape.rank)
            return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_SHAPE,
                             "--input-shape %s: rank %d given, the model says %d", is->name,
                             (int)is->shape.rank, (int)val->shape.rank);
        int64_t numel = 1;
        for (int i = 0; i < is->shape.rank; i++) {
            int64_t dm = is->shape.dim[i];
            if (dm == -1)      /* left symbolic (--input-shape N=1,3,?,?) */
                continue;
            if (dm < 0)
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_USAGE,
                                 "--input-shape %s: dim %d is negative", is->name, i);
            if (dm && numel > INT64_MAX / dm)
                return oq_errorf(im->d, g, OQ_NONE, OQ_ERR_USAGE,
                                 "--input-shape %s: product of dims overflows", is->name);
            numel *= dm;
            if (val->shape.rank >= 0 && val->shape.dim[i] >= 0 && val->shape.dim[i] != dm)
                oq_warnf(im->d, g, OQ_NONE, "--input-shape %s: dim %d changed from %lld to %lld",
                         is->name, i, (long long)val->shape.dim[i], (long long)dm);
        }
        val->shape = is->shape;
    }
    return OQ_OK;
}

/* After inference: a graph output whose declared type disagrees with the inferred one gets a
 * warning (stale value_info is common in exported files; inference decides). */
static void check_declared_outputs(imp *im)
{
    oq_graph *g = im->g;
    for (size_t i = 0; i < im->gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = im->gp->output[i];
        uint32_t v = ir_find_value(g, vi->name);
        const Onnx__TypeProto *tp = vi->type;
        if (v == OQ_NONE || !tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
            !tp->tensor_type)
            continue;
        const oq_value *val = &g->values[v];
        const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
        if (tt->has_elem_type && tt->elem_type && val->dtype != OQ_DT_UNDEFINED &&
            tt->elem_type != (int32_t)val->dtype) {
            oq_warnf(im->d, g, OQ_NONE, "graph output '%s' is declared %s but computes %s",
                     val->name, oq_dtype_valid(tt->elem_type)
                                    ? oq_dtype_name((oq_dtype)tt->elem_type) : "?",
                     oq_dtype_name(val->dtype));
            continue;
        }
        const Onnx__TensorShapeProto *sp = tt->shape;
        if (!sp || val->shape.rank < 0)
            continue;
        bool clash = (size_t)val->shape.rank != sp->n_dim;
        for (size_t k = 0; !clash && k < sp->n_dim; k++) {
            const Onnx__TensorShapeProto__Dimension *dm = sp->dim[k];
            clash = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                    val->shape.dim[k] >= 0 && dm->dim_value != val->shape.dim[k];
        }
        if (clash)
            oq_warnf(im->d, g, OQ_NONE, "graph output '%s': declared shape (rank %zu) differs "
                     "from the inferred one (rank %d); using the inferred shape", val->name,
                     sp->n_dim, (int)val->shape.rank);
    }
}

/* Model-level checks, then the graph. */
static oq_status import_model(imp *im, const Onnx__ModelProto *m)
{
    oq_graph *g = im->g;
    oq_diag *d = im->d;
    if (!m->has_ir_version || m->ir_version < OQ_FE_MIN_IR || m->ir_version > OQ_FE_MAX_IR)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "IR version %lld is not supported (expected %d to %d)",
                         (long long)m->ir_version, OQ_FE_MIN_IR, OQ_FE_MAX_IR);
    g->ir_version = m->ir_version;
    int64_t opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = m->opset_import[i];
        if (!os->domain || !os->domain[0] || strcmp(os->domain, "ai.onnx") == 0)
            opset = os->has_version ? os->version : 0;
    }
    if (opset > OQ_FE_MAX_OPSET)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_UNSUPPORTED_OP,
                         "opset %lld is newer than supported (default domain opsets %d to %d); "
                         "convert it with onnx.version_converter", (long long)opset, 7,
                         OQ_FE_MAX_OPSET);
    if (opset >= 0 && opset < OQ_FE_MIN_OPSET)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INVALID_MODEL, "opset %lld is not valid",
                         (long long)opset);
    g->opset = opset;
    if (!m->graph)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INVALID_MODEL, "model has no graph");
    im->gp = m->graph;
    oq_status ist = oq_fe_inline_if(m->graph, &im->inl, d);
    if (ist)
        return ist;
    if (im->inl)
        im->gp = &im->inl->g;
    g->name = oq_arena_strdup(&g->arena, m->graph->name ? m->graph->name : "");
    g->producer_name = oq_arena_strdup(&g->arena, m->producer_name ? m->producer_name : "");
    if (!g->name || !g->producer_name)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    oq_status st;
    if ((st = scan_ops(im)) != OQ_OK)
        return st;
    if (opset < 0) {   /* only other domains imported: fine if no default-domain node exists */
        for (size_t i = 0; i < im->gp->n_node; i++)
            if (im->nop[i] != OQ_OP_UNKNOWN)
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                                 "no opset_import for the default ONNX domain");
        g->opset = opset = 0;
    }
    if ((st = make_values(im)) != OQ_OK || (st = make_nodes(im)) != OQ_OK)
        return st;
    if ((st = apply_shapes(im)) != OQ_OK)
        return st;
    /* Adapt in topological order. Opset < 7 adapters (legacy broadcast axis, PRelu slope) need
     * the ranks of intermediate values, so those files are inferred node by node as they are
     * adapted; ir_infer below then runs over the final graph as for every model. */
    bool stepwise = opset < 7 && !im->any_unknown;
    for (uint32_t n = 0; n < g->nnode; n++) {
        if (g->nodes[n].op != OQ_OP_UNKNOWN && (st = oq_fe_adapt(g, n, opset, d)) != OQ_OK)
            return st;
        if ((st = check_arity(im, n)) != OQ_OK)
            return st;
        if (stepwise && !g->nodes[n].dead && (st = ir_infer_node(g, n, d)) != OQ_OK)
            return st;
    }
    ir_compact(g);
    for (uint32_t n = 0; n < g->nnode; n++)
        if (g->nodes[n].op != OQ_OP_UNKNOWN && (st = oq_fe_adapt_outputs(g, n, d)) != OQ_OK)
            return st;
    /* nodes were created in topological order already; ir_toposort re-checks (one pass) */
    if (g->nnode && (st = ir_toposort(g, d)) != OQ_OK)
        return st;
    ir_fill_uses(g);
    /* attributes are checked before inference reads them, and again once shapes are known */
    if ((st = ir_verify_attrs(g, d)) != OQ_OK)
        return st;
    if (!im->any_unknown) {
        if ((st = ir_infer(g, d)) != OQ_OK || (st = ir_verify_attrs(g, d)) != OQ_OK)
            return st;
        check_declared_outputs(im);
        return oq_fe_fill_qparams(g, d);
    }
    /* inspect of a model with unknown ops: infer what can be inferred, keep going */
    oq_diag tmp = {0};
    tmp.file = NULL;
    if (ir_infer(g, &tmp) != OQ_OK)
        oq_warnf(d, NULL, OQ_NONE, "%s (shape inference stopped there)", tmp.msg);
    return OQ_OK;
}

/* Import from memory with an optional file name for messages. */
static oq_status import_named(const void *buf, size_t len, const char *base_dir, const char *path,
                              const oq_import_opts *opts, oq_graph **out, oq_diag *d)
{
    static const oq_import_opts defaults = {0};
    const oq_import_opts *o = opts ? opts : &defaults;
    *out = NULL;
    /* messages carry the file through g->path; a caller-set d->file would print it twice */
    const char *saved_file = d ? d->file : NULL;
    if (d)
        d->file = NULL;
    oq_status st;
    oq_graph *g = oq_graph_new(o->alloc, o->alloc_ctx);
    if (!g) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory",
                       path ? path : "<memory>");
        goto done;
    }
    if (path && !(g->path = oq_arena_strdup(&g->arena, path))) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    Onnx__ModelProto *m =
        (Onnx__ModelProto *)oq_fe_unpack(&onnx__model_proto__descriptor, buf, len, path, d);
    if (!m) {
        st = d ? d->status : OQ_ERR_INVALID_MODEL;
        goto done;
    }
    imp im = {.g = g, .d = d, .o = o, .w = {path, base_dir}};
    st = import_model(&im, m);
    oq_fe_inlined_free(im.inl);
    protobuf_c_message_free_unpacked(&m->base, NULL);
done:
    if (st != OQ_OK) {
        oq_graph_free(g);
        g = NULL;
    }
    if (d)
        d->file = saved_file;
    *out = g;
    return st;
}

oq_status oq_import_onnx_mem(const void *buf, size_t len, const char *base_dir,
                             const oq_import_opts *opts, oq_graph **out, oq_diag *d)
{
    return import_named(buf, len, base_dir, NULL, opts, out, d);
}

oq_status oq_import_onnx(const char *path, const oq_import_opts *opts, oq_graph **out, oq_diag *d)
{
    *out = NULL;
    void *buf;
    size_t len;
    oq_status st = oq_fe_read_file(path, &buf, &len, d);
    if (st != OQ_OK)
        return st;
    /* external data lives beside the model */
    char *dir = strdup(path);
    if (!dir) {
        free(buf);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    }
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    st = import_named(buf, len, dir, path, opts, out, d);
    free(dir);
    free(buf);
    return st;
}
