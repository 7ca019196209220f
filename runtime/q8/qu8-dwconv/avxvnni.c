/* qu8-dwconv/avxvnni.c: AVX-VNNI depthwise micro-kernels (body in x86-dw8.h): the AVX2 kernels
 * with vpmaddwd + vpaddd fused into the VEX vpdpwssd, exact. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVXVNNI /* x86-64, avxvnni kernels built; else an empty unit */
#define DW_TARGET "avx2,fma,avxvnni"
#define DW_ISA avxvnni
#define DW_MAC(acc, x, w) _mm256_dpwssd_avx_epi32(acc, x, w)
#include "x86-dw8.h"
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
