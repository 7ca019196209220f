/* kparams.h: the runtime/f32 parameter structs of a node, built from the IR (ir_conv_geom and the
 * inferred shapes) once for both callers: the interpreter and the C emitter, which writes them
 * as literals. */
#ifndef OQ_KPARAMS_H
#define OQ_KPARAMS_H
#include "ir/ir.h"
#include "runtime/f32/f32.h"
#include "runtime/f32/ops/ops.h"
#include "runtime/interp/interp.h"

/* MaxPool / AveragePool geometry (1-3 spatial dims padded to three with size-1 dims, pads from
 * ir_conv_geom, count_include_pad); UNSUPPORTED_ATTR for another input rank. */
OQ_INTERNAL oq_status oq_kparams_pool(const oq_graph *g, uint32_t node, oq_f32_pool *p,
                                      oq_diag *d) OQ_NODISCARD;
/* Conv / ConvTranspose parameters (1-3 spatial dims, no clamp); UNSUPPORTED_ATTR for another
 * input rank, SHAPE if the weight does not match the input, output and group. */
OQ_INTERNAL oq_status oq_kparams_conv(const oq_graph *g, uint32_t node, oq_f32_conv_params *p,
                                      oq_diag *d) OQ_NODISCARD;
/* Resize geometry and attributes (runtime/f32/ops/resize.c). in: the node's run-time inputs
 * (scales, sizes, roi), or NULL to read them from the graph's constants; when they are not
 * constants and in is NULL, only the attributes are checked. UNSUPPORTED_ATTR for a mode,
 * coordinate transformation, nearest_mode or policy the kernel has not, antialias=1. */
OQ_INTERNAL oq_status oq_kparams_resize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                        oq_f32_resize *p, oq_diag *d) OQ_NODISCARD;
/* LSTM parameters (layout 0, default activations, direction, clip, input_forget); the
 * sequence_lens input must be absent or a constant of the full length. UNSUPPORTED_ATTR for other
 * activations, layout 1 or shorter sequences; SHAPE if W, R, B, P or the initial states do not
 * match X and hidden_size. */
OQ_INTERNAL oq_status oq_kparams_lstm(const oq_graph *g, uint32_t node, oq_f32_lstm *p,
                                      oq_diag *d) OQ_NODISCARD;
#endif
