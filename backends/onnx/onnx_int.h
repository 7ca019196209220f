/* Internal interface of the ONNX writer (backends/onnx/): the writer context and the helpers
 * its files share. onnx_proto.c builds protobuf pieces (names, tensors, value infos, nodes,
 * attributes) in the context's arena; onnx_opset.c picks the opset; onnx_emit.c writes each IR
 * node in the form that opset needs; onnx_write.c assembles the model and writes the file. */
#ifndef OQ_ONNX_INT_H
#define OQ_ONNX_INT_H
#include "onnx.pb-c.h"
#include "onnx_write.h"

#define OW_MIN_OPSET 7         /* oldest default-domain opset written (canonical forms are 7+) */

typedef struct wctx {          /* the state of one write */
    const oq_graph *g;         /* graph being written (never modified) */
    const oq_write_opts *o;    /* options (may be NULL: defaults) */
    oq_diag *d;                /* where errors go (never NULL: &local if the caller gave none) */
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

typedef struct nodeb {         /* a node being built (arrays sized at creation) */
    Onnx__NodeProto *p;
    uint32_t *vin;             /* value id of each input (OQ_NONE: absent or writer-made) */
    size_t cin, cout, cattr;
} nodeb;

/* Input i of n, OQ_NONE when absent or past the node's arity. */
static inline uint32_t ow_in(const oq_node *n, uint32_t i)
{
    return i < n->nin ? n->in[i] : OQ_NONE;
}

/* ---------------------------------------------------------------- onnx_proto.c */
OQ_INTERNAL void *ow_alloc(wctx *w, size_t n);            /* zeroed; NULL sets w->nomem */
OQ_INTERNAL char *ow_strdup(wctx *w, const char *s);
OQ_INTERNAL bool ow_push(wctx *w, void ***arr, size_t *n, size_t *cap, void *p);
OQ_INTERNAL const char *ow_fresh_name(wctx *w, const char *base);
OQ_INTERNAL const char *ow_vname(wctx *w, uint32_t v);
OQ_INTERNAL bool ow_reserve_name(wctx *w, const char *s);
OQ_INTERNAL Onnx__TensorProto *ow_tensor(wctx *w, const char *name, oq_dtype dt,
                                         const oq_shape *s, const void *data, uint32_t node);
OQ_INTERNAL bool ow_add_init(wctx *w, const char *name, oq_dtype dt, const oq_shape *s,
                             const void *data, uint32_t node);
OQ_INTERNAL const char *ow_const_i64(wctx *w, const char *base, const int64_t *vals, size_t n,
                                     uint32_t node);
OQ_INTERNAL const char *ow_const_empty_f32(wctx *w, const char *base, uint32_t node);
OQ_INTERNAL Onnx__ValueInfoProto *ow_value_info(wctx *w, uint32_t v);
OQ_INTERNAL bool ow_node_begin(wctx *w, nodeb *b, const char *op_type, const char *domain,
                               const char *name, bool reserved, size_t cin, size_t cout,
                               size_t cattr);
OQ_INTERNAL void ow_node_in(nodeb *b, const char *name);
OQ_INTERNAL void ow_node_in_v(wctx *w, nodeb *b, uint32_t v);
OQ_INTERNAL void ow_node_out(nodeb *b, const char *name);
OQ_INTERNAL void ow_node_trim(nodeb *b, uint32_t keep_in);
OQ_INTERNAL Onnx__AttributeProto *ow_attr_new(wctx *w, nodeb *b, const char *name,
                                              Onnx__AttributeProto__AttributeType t);
OQ_INTERNAL void ow_attr_int(wctx *w, nodeb *b, const char *name, int64_t v);
OQ_INTERNAL void ow_attr_float(wctx *w, nodeb *b, const char *name, float v);
OQ_INTERNAL void ow_attr_ints(wctx *w, nodeb *b, const char *name, const int64_t *v, size_t n);
OQ_INTERNAL void ow_attr_string(wctx *w, nodeb *b, const char *name, const char *s);
OQ_INTERNAL bool ow_push_node(wctx *w, nodeb *b);

/* ---------------------------------------------------------------- onnx_opset.c */
OQ_INTERNAL bool ow_is_const(const wctx *w, uint32_t v);
OQ_INTERNAL int64_t ow_const_ints(wctx *w, uint32_t v, int64_t **out);
OQ_INTERNAL bool ow_const_scalar_f(const wctx *w, uint32_t v, float *out);
OQ_INTERNAL int64_t ow_softmax_axis(const wctx *w, const oq_node *n);
OQ_INTERNAL bool ow_choose_opset(wctx *w);
OQ_INTERNAL int64_t ow_ir_version(int64_t opset);

/* ---------------------------------------------------------------- onnx_emit.c */
OQ_INTERNAL bool ow_emit_node(wctx *w, uint32_t ni);
#endif
