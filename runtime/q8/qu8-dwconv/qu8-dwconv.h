/* qu8-dwconv.h: prototypes of every depthwise micro-kernel, generated from qu8-dwconv.inc, and
 * of their row companions. */
#ifndef OQ_QU8_DWCONV_H
#define OQ_QU8_DWCONV_H
#include "../q8.h"

#define OQ_DWKERNEL(isa, fn, taps, cr, row) oq_q8_dw_ukernel_fn fn;
#include "qu8-dwconv.inc"
#undef OQ_DWKERNEL

/* Row companions (listed in the enumerator's last column). */
#define OQ_Q8_DW_ROW_MAX_TAPS 64 /* windows larger than this use the pointer kernels */
#if defined(__x86_64__)
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row8xN__avx2;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row8x9__avx2;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row8x25__avx2;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row8xN__avxvnni;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row8x9__avxvnni;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row8x25__avxvnni;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row16xN__avx512vnni;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row16x9__avx512vnni;
oq_q8_dw_row_fn oq_qu8_dwconv_minmax_ukernel_row16x25__avx512vnni;
#endif
#endif
