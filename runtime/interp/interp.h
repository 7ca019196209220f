/* The reference interpreter: executes an inferred oq_graph (fp32 and int8 ops) node by node.
 * This is the one runtime file that sees the IR; the kernels it calls take plain pointers and
 * structs (runtime/<family>/...) so the C backend can ship them. Used by `onnxq run`,
 * calibration (the per-node hook feeds observers) and the conformance runner. */
#ifndef OQ_INTERP_H
#define OQ_INTERP_H
#include "../../ir/ir.h"

typedef struct oq_rt_tensor {      /* a runtime tensor: dense, C order */
    oq_dtype dtype;                /* UNDEFINED (and data NULL) for an absent optional value */
    oq_shape shape;                /* fully known */
    void *data;
} oq_rt_tensor;

typedef struct oq_interp oq_interp;

/* Called after each node with its outputs (node->nout tensors, data NULL for an absent
 * optional output); the tensors are valid only during the call. Return false to stop the run
 * (oq_interp_run then returns OQ_OK with outputs unset). */
typedef bool (*oq_node_hook)(void *ctx, const oq_graph *g, uint32_t node,
                             const oq_rt_tensor *outs);

/* Prepares g (shapes must be inferred and static): plans buffers, prepacks constant weights.
 * g must outlive the interpreter and not change while it lives. Errors: UNSUPPORTED_OP (no
 * implementation; every such op type is listed), UNSUPPORTED_ATTR, SHAPE, DTYPE, NOMEM. */
oq_status oq_interp_new(const oq_graph *g, oq_interp **out, oq_diag *d) OQ_NODISCARD;
void oq_interp_free(oq_interp *it);
/* Runs with inputs[i] bound to g->inputs[i] (dtype and shape must match the graph; inputs that
 * inference made constant are ignored). On success outputs[i] points at internal memory for
 * g->outputs[i], valid until the next run or free. One run at a time per interpreter (create
 * one interpreter per thread). */
oq_status oq_interp_run(oq_interp *it, const oq_rt_tensor *inputs, oq_rt_tensor *outputs,
                        oq_node_hook hook, void *hook_ctx, oq_diag *d) OQ_NODISCARD;

/* True if the interpreter implements op (an entry of ir/ops.def). */
bool oq_interp_supports(oq_op op);

/* Signature every op implementation has (runtime/interp/ops_*.c; table in interp.c).
 * in[i] is node input i (data NULL if absent), out[i] node output i with its buffer already
 * allocated (data NULL if absent). state: what the op's prepare step built at oq_interp_new
 * (packed weights, parsed attributes), or NULL. */
typedef oq_status (*oq_op_exec)(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                oq_rt_tensor *out, void *state, oq_diag *d);
#endif
