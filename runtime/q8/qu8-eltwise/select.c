/* qu8-eltwise/select.c: the element-wise kernel tables compiled into this binary and the
 * once-per-process choice among them: oq_isa_pick over their ISAs with the features of
 * oq_cpu_get() (which honours ONNXQ_ISA). Without pthreads (bare metal, -DOQ_NO_PTHREAD) the
 * first call decides: the choice is idempotent. */
#if (defined(__unix__) || defined(__APPLE__)) && !defined(OQ_NO_PTHREAD)
#define OQ_ELT_PTHREAD 1
#include <pthread.h>
#else
#define OQ_ELT_PTHREAD 0
#endif

#include "qu8-eltwise.h"

static const oq_q8_elt_ukernels *const variants[] = {
    &oq_q8_elt_scalar,
#if defined(__x86_64__) && OQ_WITH_AVX2
    &oq_q8_elt_avx2,
#endif
#if defined(__x86_64__) && OQ_WITH_AVX512
    &oq_q8_elt_avx512,
#endif
#if defined(__aarch64__) && OQ_WITH_NEON
    &oq_q8_elt_neon,
#endif
};

#define NVARIANTS (sizeof variants / sizeof variants[0])

const oq_q8_elt_ukernels *const *oq_q8_elt_variants(size_t *n)
{
    *n = NVARIANTS;
    return variants;
}

const oq_q8_elt_ukernels *oq_q8_elt_for(oq_features f)
{
    oq_isa_set have = 0;
    for (size_t i = 0; i < NVARIANTS; i++)
        have |= OQ_ISA_BIT(variants[i]->isa);
    oq_isa isa = oq_isa_pick(have, f);
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i]->isa == isa)
            return variants[i];
    return variants[0];
}

static const oq_q8_elt_ukernels *best;

static void choose(void)
{
    best = oq_q8_elt_for(oq_cpu_get()->features);
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
