/* qu8-eltwise/select.c: the element-wise kernel tables compiled into this binary and the
 * once-per-process choice of the highest usable one (oq_q8_isa_usable honours ONNXQ_ISA; the
 * AVX-512 table asks for the AVX-512 VNNI level, F/BW/VL being part of it). Without pthreads
 * (bare metal, -DOQ_NO_PTHREAD) the first call decides: the choice is idempotent. */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(OQ_NO_PTHREAD)
#define OQ_ELT_PTHREAD 1
#include <pthread.h>
#else
#define OQ_ELT_PTHREAD 0
#endif

#include "qu8-eltwise.h"

static const oq_q8_elt_ukernels *const variants[] = {
    &oq_q8_elt_scalar,
#if defined(__x86_64__)
    &oq_q8_elt_avx2,
    &oq_q8_elt_avx512,
#endif
#if defined(__aarch64__)
    &oq_q8_elt_neon,
#endif
};

#define NVARIANTS (sizeof variants / sizeof variants[0])

const oq_q8_elt_ukernels *const *oq_q8_elt_variants(size_t *n)
{
    *n = NVARIANTS;
    return variants;
}

static const oq_q8_elt_ukernels *best;

/* Last usable entry of the low-to-high list. */
static void choose(void)
{
    const oq_q8_elt_ukernels *b = variants[0];
    for (size_t i = 1; i < NVARIANTS; i++)
        if (oq_q8_isa_usable(variants[i]->isa))
            b = variants[i];
    best = b;
}

#if OQ_ELT_PTHREAD
static pthread_once_t once = PTHREAD_ONCE_INIT;
#endif

const oq_q8_elt_ukernels *oq_q8_elt(void)
{
#if OQ_ELT_PTHREAD
    pthread_once(&once, choose);
#else
    if (!best)
        choose();
#endif
    return best;
}
