/* ONNX import: .onnx (protobuf) -> oq_graph. No protobuf pointer survives import. */
#ifndef OQ_FRONTEND_H
#define OQ_FRONTEND_H
#include "../ir/ir.h"

typedef struct oq_input_shape {   /* --input-shape NAME=1,3,224,224 */
    const char *name;
    oq_shape shape;
} oq_input_shape;

typedef struct oq_import_opts {
    const oq_input_shape *shapes;  /* overrides for graph inputs (may be NULL) */
    uint32_t nshapes;
    bool allow_unknown_ops;        /* keep unknown ops as OQ_OP_UNKNOWN (inspect), not fail */
    oq_allocfn alloc;              /* backing allocator (NULL = malloc) */
    void *alloc_ctx;
} oq_import_opts;

/* Reads path, builds a toposorted graph and runs ir_infer. On error *out is NULL and d says
 * why, naming the file, node and op; every unsupported op type is listed in one message.
 * Accepts IR versions 3..10 and default-domain opsets 1..18 (older than 7 where the op is
 * unchanged); the graph comes out in the canonical forms (attribute operands as
 * constant inputs, Upsample as Resize, Constant nodes folded, unused optional outputs
 * OQ_NONE) with value->q mirrored from constant Q/DQ/QLinear* scales. External data must
 * stay inside the model's folder. */
oq_status oq_import_onnx(const char *path, const oq_import_opts *opts, oq_graph **out,
                         oq_diag *d) OQ_NODISCARD;
/* Same, from memory (the fuzz target); base_dir resolves external data (NULL = refuse it). */
oq_status oq_import_onnx_mem(const void *buf, size_t len, const char *base_dir,
                             const oq_import_opts *opts, oq_graph **out, oq_diag *d) OQ_NODISCARD;

/* A single TensorProto .pb file (ONNX test data) -> dtype/shape/data in g's arena. */
typedef struct oq_tensor_file {
    const char *name;              /* TensorProto.name (may be "") */
    oq_dtype dtype;
    oq_shape shape;
    void *data;                    /* arena-allocated, 64-aligned */
} oq_tensor_file;
oq_status oq_read_tensor_pb(const char *path, oq_arena *a, oq_tensor_file *t,
                            oq_diag *d) OQ_NODISCARD;
/* .npy (v1/v2, little-endian, C order; f4 u1 i1 i4 i8 f8 b1) */
oq_status oq_read_npy(const char *path, oq_arena *a, oq_tensor_file *t, oq_diag *d) OQ_NODISCARD;
oq_status oq_write_npy(const char *path, oq_dtype dt, const oq_shape *s, const void *data,
                       oq_diag *d) OQ_NODISCARD;
oq_status oq_write_tensor_pb(const char *path, const char *name, oq_dtype dt, const oq_shape *s,
                             const void *data, oq_diag *d) OQ_NODISCARD;
/* A labelled set (onnxq eval, --eval): data X.npy [N, ...] and labels [N] of an integer dtype,
 * read into a. DATA naming the files when N is 0, the counts differ, the labels are not
 * integers, or a float element of X is NaN or Inf; the caller checks X against its input. */
oq_status oq_read_labelled(const char *x, const char *labels, oq_arena *a, oq_tensor_file *tx,
                           oq_tensor_file *ty, oq_diag *d) OQ_NODISCARD;
int64_t oq_label_at(const oq_tensor_file *t, int64_t i); /* label i; -1 for other dtypes */
#endif
