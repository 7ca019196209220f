/* config.c: kernel tables built from the .inc enumerators and the once-per-process choice of the
 * kernel per family: oq_isa_pick (cpu.c) over the ISAs the family has, with the features of
 * oq_cpu_get() (which honours ONNXQ_ISA); the *_for functions take any feature mask. Without
 * pthreads, bare metal or -DOQ_NO_PTHREAD, the first call decides: the choice is idempotent. */
#include <assert.h>
#if (defined(__unix__) || defined(__APPLE__)) && !defined(OQ_NO_PTHREAD)
#define OQ_Q8_PTHREAD 1
#include <pthread.h>
#else
#define OQ_Q8_PTHREAD 0 /* bare metal: no threads, the choice is idempotent */
#endif

#include "q8.h"
#include "qu8-dwconv/qu8-dwconv.h"
#include "qu8-gemm/qu8-gemm.h"

static const oq_q8_gemm_kernel gemm_table[] = {
#define OQ_UKERNEL(isa, fn, mr, nr, kr, layout) {isa, fn, mr, nr, kr, layout, #fn},
#include "qu8-gemm/qu8-gemm.inc"
#undef OQ_UKERNEL
};

static const oq_q8_dw_kernel dw_table[] = {
#define OQ_DWKERNEL(isa, fn, taps, cr, row) {isa, fn, taps, cr, #fn, row},
#include "qu8-dwconv/qu8-dwconv.inc"
#undef OQ_DWKERNEL
};

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

const oq_q8_gemm_kernel *oq_q8_gemm_kernels(size_t *n)
{
    *n = COUNT(gemm_table);
    return gemm_table;
}

const oq_q8_dw_kernel *oq_q8_dw_kernels(size_t *n)
{
    *n = COUNT(dw_table);
    return dw_table;
}

bool oq_q8_isa_usable(oq_isa isa)
{
    return oq_cpu_has(isa);
}

const oq_q8_gemm_kernel *oq_q8_gemm_select_for(oq_q8_layout layout, oq_features f)
{
    oq_isa_set have = 0;
    for (size_t i = 0; i < COUNT(gemm_table); i++)
        if (gemm_table[i].layout == layout)
            have |= OQ_ISA_BIT(gemm_table[i].isa);
    oq_isa isa = oq_isa_pick(have, f);
    const oq_q8_gemm_kernel *k = NULL;
    for (size_t i = 0; i < COUNT(gemm_table); i++)
        if (gemm_table[i].layout == layout && gemm_table[i].isa == isa)
            k = &gemm_table[i];
    return k;
}

/* The kernel oq_isa_pick chooses among the entries for exactly `taps` (0: the generic ones). */
static const oq_q8_dw_kernel *dw_pick(size_t taps, oq_features f)
{
    oq_isa_set have = 0;
    for (size_t i = 0; i < COUNT(dw_table); i++)
        if (dw_table[i].taps == taps)
            have |= OQ_ISA_BIT(dw_table[i].isa);
    oq_isa isa = oq_isa_pick(have, f);
    const oq_q8_dw_kernel *k = NULL;
    for (size_t i = 0; i < COUNT(dw_table); i++)
        if (dw_table[i].taps == taps && dw_table[i].isa == isa)
            k = &dw_table[i];
    return k;
}

const oq_q8_dw_kernel *oq_q8_dw_select_for(size_t taps, oq_features f)
{
    const oq_q8_dw_kernel *any = dw_pick(0, f);
    const oq_q8_dw_kernel *k = taps == 9 || taps == 25 ? dw_pick(taps, f) : NULL;
    /* a fast path only wins if it is at least as high an ISA as the generic kernel */
    return k && k->isa >= any->isa ? k : any;
}

oq_q8_layout oq_q8_gemm_layout_for(oq_features f)
{
    /* W16 (int16 weights for vpmaddwd) pays where the best N16K4 kernel has no dot product and
     * must widen in its loop: that is where the AVX2 kernels are the best ones */
    const oq_q8_gemm_kernel *k = oq_q8_gemm_select_for(OQ_Q8_LAYOUT_N16K4, f);
    const oq_q8_gemm_kernel *w = oq_q8_gemm_select_for(OQ_Q8_LAYOUT_N16K4W16, f);
    return k->isa == OQ_ISA_AVX2 && w->isa == OQ_ISA_AVX2 ? OQ_Q8_LAYOUT_N16K4W16
                                                          : OQ_Q8_LAYOUT_N16K4;
}

oq_q8_layout oq_q8_gemm_layout(oq_isa isa)
{
    return oq_q8_gemm_layout_for(oq_isa_features(isa));
}

static const oq_q8_gemm_kernel *gemm_best[2];
static const oq_q8_dw_kernel *dw_best_any, *dw_best_9, *dw_best_25;
#if OQ_Q8_PTHREAD
static pthread_once_t once = PTHREAD_ONCE_INIT;
#define OQ_Q8_ONCE(fn) pthread_once(&once, fn)
#else
static volatile int once_done;
#define OQ_Q8_ONCE(fn) ((void)(once_done ? 0 : (fn(), once_done = 1)))
#endif

/* Each family's choice for the (capped) CPU, once. */
static void choose(void)
{
    oq_features f = oq_cpu_get()->features;
    gemm_best[OQ_Q8_LAYOUT_N16K4] = oq_q8_gemm_select_for(OQ_Q8_LAYOUT_N16K4, f);
    gemm_best[OQ_Q8_LAYOUT_N16K4W16] = oq_q8_gemm_select_for(OQ_Q8_LAYOUT_N16K4W16, f);
    dw_best_any = oq_q8_dw_select_for(0, f);
    dw_best_9 = oq_q8_dw_select_for(9, f);
    dw_best_25 = oq_q8_dw_select_for(25, f);
}

const oq_q8_gemm_kernel *oq_q8_gemm_select(oq_q8_layout layout)
{
    OQ_Q8_ONCE(choose);
    return gemm_best[layout];
}

const oq_q8_dw_kernel *oq_q8_dw_select(size_t taps)
{
    OQ_Q8_ONCE(choose);
    return taps == 9 ? dw_best_9 : taps == 25 ? dw_best_25 : dw_best_any;
}
