/* qu8-gemm.h: prototypes of every GEMM micro-kernel, generated from qu8-gemm.inc (internal to
 * runtime/q8; the public view is oq_q8_gemm_kernels() in q8.h). */
#ifndef OQ_QU8_GEMM_H
#define OQ_QU8_GEMM_H
#include "../q8.h"

#define OQ_UKERNEL(isa, fn, mr, nr, kr, layout) oq_q8_gemm_ukernel_fn fn;
#include "qu8-gemm.inc"
#undef OQ_UKERNEL
#endif
