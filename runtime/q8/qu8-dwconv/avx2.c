/* qu8-dwconv/avx2.c: AVX2 depthwise micro-kernels (body in x86-dw8.h): vpmaddwd of zero-extended
 * u8 inputs by int16 weights, accumulated with vpaddd, exact. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVX2 /* x86-64, avx2 kernels built; else an empty unit */
#define DW_TARGET "avx2,fma"
#define DW_ISA avx2
#define DW_MAC(acc, x, w) _mm256_add_epi32(acc, _mm256_madd_epi16(x, w))
#include "x86-dw8.h"
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
