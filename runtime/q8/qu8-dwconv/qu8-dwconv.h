/* qu8-dwconv.h: prototypes of every depthwise micro-kernel, generated from qu8-dwconv.inc. */
#ifndef OQ_QU8_DWCONV_H
#define OQ_QU8_DWCONV_H
#include "../q8.h"

#define OQ_DWKERNEL(isa, fn, taps, cr) oq_q8_dw_ukernel_fn fn;
#include "qu8-dwconv.inc"
#undef OQ_DWKERNEL
#endif
