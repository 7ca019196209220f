/* kparams.h: the runtime/f32 parameter structs of a node, built from the IR (ir_conv_geom and the
 * inferred shapes) once for both callers: the interpreter and the C emitter, which writes them
 * as literals. */
#ifndef OQ_KPARAMS_H
#define OQ_KPARAMS_H
#include "ir/ir.h"
#include "runtime/f32/f32.h"
#include "runtime/f32/ops/ops.h"

/* MaxPool / AveragePool geometry (1-3 spatial dims padded to three with size-1 dims, pads from
 * ir_conv_geom, count_include_pad); UNSUPPORTED_ATTR for another input rank. */
OQ_INTERNAL oq_status oq_kparams_pool(const oq_graph *g, uint32_t node, oq_f32_pool *p,
                                      oq_diag *d) OQ_NODISCARD;
/* Conv / ConvTranspose parameters (1-3 spatial dims, no clamp); UNSUPPORTED_ATTR for another
 * input rank, SHAPE if the weight does not match the input, output and group. */
OQ_INTERNAL oq_status oq_kparams_conv(const oq_graph *g, uint32_t node, oq_f32_conv_params *p,
                                      oq_diag *d) OQ_NODISCARD;
#endif
