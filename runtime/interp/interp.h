/* The reference interpreter: executes an inferred oq_graph (fp32 and int8 ops) node by node.
 * This is the one runtime file that sees the IR; the kernels it calls take plain pointers and
 * structs (runtime/<family>/...) so the C backend can ship them. Used by `onnxq run`,
 * calibration (the per-node hook feeds observers) and the conformance runner. */
#ifndef OQ_INTERP_H
#define OQ_INTERP_H
#include "../../ir/ir.h"

typedef struct oq_rt_tensor {      /* a runtime tensor: dense, C order */
    oq_dtype dtype;
    oq_shape shape;                /* fully known */
    void *data;
} oq_rt_tensor;

typedef struct oq_interp oq_interp;

/* Called after each node with its outputs (value ids and tensors); return false to stop. */
typedef bool (*oq_node_hook)(void *ctx, const oq_graph *g, uint32_t node,
                             const oq_rt_tensor *outs);

/* Prepares g (shapes must be inferred and static): plans buffers, prepacks constant weights.
 * g must outlive the interpreter and not change while it lives. */
oq_status oq_interp_new(const oq_graph *g, oq_interp **out, oq_diag *d) OQ_NODISCARD;
void oq_interp_free(oq_interp *it);
/* Runs with inputs[i] bound to g->inputs[i] (dtype and shape must match the graph). On success
 * outputs[i] points at internal memory for g->outputs[i], valid until the next run or free. */
oq_status oq_interp_run(oq_interp *it, const oq_rt_tensor *inputs, oq_rt_tensor *outputs,
                        oq_node_hook hook, void *hook_ctx, oq_diag *d) OQ_NODISCARD;

/* Signature every op implementation has (runtime/ops_*.c); table in runtime/interp.c. */
typedef oq_status (*oq_op_exec)(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                oq_rt_tensor *out, void *scratch, oq_diag *d);
#endif
