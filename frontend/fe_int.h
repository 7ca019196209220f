/* Frontend internals shared by onnx_import.c, adapt.c, pb_tensor.c and tensor_io.c.
 * Protobuf structs never leave the frontend: everything is copied into a graph arena. */
#ifndef OQ_FE_INT_H
#define OQ_FE_INT_H
#include "frontend.h"
#include "onnx.pb-c.h"

#define OQ_FE_MAX_DEPTH 64          /* protobuf nesting accepted before unpacking */
#define OQ_FE_MAX_FILE ((size_t)2 << 30) /* protobuf's 2 GiB limit on one message */

/* Where a tensor comes from, for messages: "initializer 'w'" or "node 'c' (Constant)". */
typedef struct oq_fe_where {
    const char *file;          /* model or .pb path (may be NULL) */
    const char *base_dir;      /* folder for external data (NULL = refuse external data) */
} oq_fe_where;

/* ---------------------------------------------------------------- frontend/pb_tensor.c */

/* Unpacks buf as message `desc` after checking nesting depth; allocation is capped relative to
 * len. NULL + error (naming file) on failure.
 * Free with protobuf_c_message_free_unpacked(m, NULL). */
OQ_INTERNAL ProtobufCMessage *oq_fe_unpack(const ProtobufCMessageDescriptor *desc, const void *buf,
                                           size_t len, const char *file, oq_diag *d);
/* Reads a whole file (<= OQ_FE_MAX_FILE) into malloc'd *buf. */
OQ_INTERNAL oq_status oq_fe_read_file(const char *path, void **buf, size_t *len, oq_diag *d);
/* Checks dims (rank <= OQ_MAX_RANK, each >= 0, product and byte size fit) into *s. what names
 * the tensor in messages. */
OQ_INTERNAL oq_status oq_fe_dims(const int64_t *dims, size_t n, oq_dtype dt, oq_shape *s,
                                 const oq_fe_where *w, const char *what, oq_diag *d);
/* Decodes a TensorProto (typed fields, raw_data or external data) into arena memory.
 * what names it in messages ("initializer 'w'"). */
OQ_INTERNAL oq_status oq_fe_tensor(oq_arena *a, const Onnx__TensorProto *t, const oq_fe_where *w,
                                   const char *what, oq_tensor_const *out, oq_diag *d);
/* Joins base_dir and a relative path into *out (malloc) after refusing absolute paths, '..'
 * components and anything (symlinks included) that resolves outside base_dir. */
OQ_INTERNAL oq_status oq_fe_resolve(const char *base_dir, const char *rel, const oq_fe_where *w,
                                    const char *what, char **out, oq_diag *d);

/* ---------------------------------------------------------------- frontend/tensor_io.c */

/* Parses a whole .npy image (path only names it in messages). */
OQ_INTERNAL oq_status oq_fe_parse_npy(const void *buf, size_t len, const char *path, oq_arena *a,
                                      oq_tensor_file *t, oq_diag *d);

/* ---------------------------------------------------------------- frontend/adapt.c */

/* Rewrites node n (just imported from a model with default-domain opset `opset`) into the
 * canonical form: attribute operands become constant inputs, Upsample becomes
 * Resize, legacy flags are made explicit, Constant nodes become constant values (node dead). */
OQ_INTERNAL oq_status oq_fe_adapt(oq_graph *g, uint32_t n, int64_t opset, oq_diag *d);
/* After all nodes exist and uses are filled: optional outputs nobody reads become OQ_NONE
 * (Dropout mask, MaxPool indices, LayerNormalization stats); BN training outputs must be unused. */
OQ_INTERNAL oq_status oq_fe_adapt_outputs(oq_graph *g, uint32_t n, oq_diag *d);
/* Adds a constant value named after the node (base "<node>/<what>"), copying data. */
OQ_INTERNAL uint32_t oq_fe_add_const(oq_graph *g, uint32_t n, const char *what, oq_dtype dt,
                                     const oq_shape *s, const void *data);

/* ---------------------------------------------------------------- frontend/qparams.c */

/* After inference: mirrors constant scale/zero-point operands of Q/DQ/QLinear* nodes into
 * value->q of the integer values they describe (pre-quantized models keep their scales). */
OQ_INTERNAL oq_status oq_fe_fill_qparams(oq_graph *g, oq_diag *d);

/* inline_if.c: a graph with its constant-condition If nodes replaced by their taken branch */
typedef struct oq_fe_inlined {
    Onnx__GraphProto g;        /* shallow copy; node and initializer lists its own */
    void **own;                /* the Identity nodes it made */
    size_t nown;
} oq_fe_inlined;
/* *out: NULL when gp has no If to inline (import gp itself), else the inlined copy (free with
 * oq_fe_inlined_free, before gp's model is freed or after: it only points into it). */
OQ_INTERNAL oq_status oq_fe_inline_if(const Onnx__GraphProto *gp, oq_fe_inlined **out,
                                      oq_diag *d) OQ_NODISCARD;
OQ_INTERNAL void oq_fe_inlined_free(oq_fe_inlined *r);

#endif
