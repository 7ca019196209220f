/* Custom operators in the interpreter (runtime/interp/custom.c): shared libraries with the C ABI
 * of onnxq_custom.h, loaded into one process-wide registry (mutex-guarded). A custom node is
 * one the importer kept as unknown (op == OQ_OP_UNKNOWN: import with allow_unknown_ops). */
#ifndef OQ_INTERP_CUSTOM_H
#define OQ_INTERP_CUSTOM_H
#include "../../ir/ir.h"
#include "onnxq_custom.h"

/* Loads a custom-op library (dlopen). IO error with the loader's message; USAGE past 16. */
oq_status oq_custom_load(const char *path, oq_diag *d) OQ_NODISCARD;
/* Records every loaded library's file in d->inputs (oq_file_note_input), so no output of the
 * run replaces one; NOMEM is an error (d->inputs then refuses every write). */
oq_status oq_custom_note_inputs(oq_diag *d);
/* onnxq_custom_<type> from the loaded libraries, or NULL. */
onnxq_custom_fn oq_custom_find(const char *type);
/* True if node is a live custom (unknown-op) node. */
bool oq_custom_is(const oq_graph *g, uint32_t node);
/* Infers every node in order: ir_infer_node for known ops; custom nodes get their outputs from
 * onnxq_custom_<TYPE>_shape when a library exports it, else keep what the model's value_info
 * said. SHAPE error naming the node when a custom output stays unknown. Use after importing with
 * allow_unknown_ops (the importer's own inference stops at the first custom node). */
oq_status oq_custom_infer_graph(oq_graph *g, oq_diag *d) OQ_NODISCARD;
/* The node's attributes in ABI form (INT/FLOAT/STRING/INTS/FLOATS; malloc, *n entries; names
 * and arrays point into the graph). NULL on NOMEM. */
onnxq_attr *oq_custom_attrs(const oq_node *nd, int32_t *n);
#endif
