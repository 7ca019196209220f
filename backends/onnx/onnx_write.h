/* ONNX writer: oq_graph -> ModelProto (.onnx) with protobuf-c.
 * Writes whatever standard ops the IR holds: the QDQ form as-is (--format qdq) or, after
 * passes' QOperator lowering, QLinearConv/QLinearMatMul with Q/DQ at the float boundaries
 * (--format qop). Canonical IR forms are rewritten for the written opset (axes inputs back to
 * attributes below opset 13/18, Clip/Pad attributes below 11, ...). The file is written
 * atomically (temporary file in the same directory, then rename) and never over the input. */
#ifndef OQ_ONNX_WRITE_H
#define OQ_ONNX_WRITE_H
#include "../../ir/ir.h"

typedef enum oq_onnx_format {
    OQ_FORMAT_QDQ = 0,             /* QuantizeLinear/DequantizeLinear around float ops (default) */
    OQ_FORMAT_QOP = 1,             /* QLinear* ops; only standard-domain ops are accepted */
} oq_onnx_format;

typedef struct oq_write_opts {
    oq_onnx_format format;         /* QDQ or QOP (QOP: refuses non-standard domains) */
    int64_t opset;                 /* default-domain opset to write; 0 = the model's, raised to
                                      what the graph needs (13 for per-axis Q/DQ); an explicit
                                      opset lower than needed is an error naming the node */
    const char *input_path;        /* the model the graph came from (NULL: g->path); never
                                      overwritten */
    const char *producer_name;     /* ModelProto.producer_name (NULL: "onnxq") */
    bool no_value_info;            /* true: skip value_info for intermediate values */
} oq_write_opts;

/* Writes g (inferred; dead nodes are skipped) to path as a ModelProto. o may be NULL
 * (defaults). Errors: ERR_USAGE (path is the input model or a directory), ERR_IO (with errno
 * text; no file is left behind), ERR_UNSUPPORTED_OP / ERR_INVALID_MODEL (a form the opset
 * cannot express, an undefined value), ERR_NOMEM. g is not modified. */
oq_status oq_write_onnx(const oq_graph *g, const char *path, const oq_write_opts *o,
                        oq_diag *d) OQ_NODISCARD;

/* Same, into a malloc'ed buffer (*buf, *len; free() it). Used by tests and the fuzz target. */
oq_status oq_write_onnx_mem(const oq_graph *g, const oq_write_opts *o, void **buf, size_t *len,
                            oq_diag *d) OQ_NODISCARD;

/* The default-domain opset oq_write_onnx would write for g with these options (0 on error,
 * with d set). */
int64_t oq_onnx_write_opset(const oq_graph *g, const oq_write_opts *o, oq_diag *d);
#endif
