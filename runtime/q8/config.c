/* config.c: kernel tables built from the .inc enumerators and the once-per-process choice of the
 * best usable kernel per family (pthread_once over oq_cpu_get(), which honours ONNXQ_ISA; without
 * pthreads, bare metal or -DOQ_NO_PTHREAD, the first call decides: the choice is idempotent). */
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
    const oq_cpu *c = oq_cpu_get();
    switch (isa) {
    case OQ_ISA_SCALAR: return true;
    case OQ_ISA_AVX2: return c->avx2 && c->fma;
    case OQ_ISA_AVXVNNI: return c->avx2 && c->avxvnni;
    case OQ_ISA_AVX512VNNI: return c->avx512f && c->avx512bw && c->avx512vl && c->avx512vnni;
    case OQ_ISA_AMX:
        return c->amx_int8 && c->amx_granted && c->avx512f && c->avx512bw && c->avx512vl &&
               c->avx512vnni;
    case OQ_ISA_NEON: return c->neon;
    case OQ_ISA_NEONDOT: return c->neon && c->neon_dot;
    case OQ_ISA_I8MM: return c->neon && c->neon_i8mm;
    }
    return false;
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

/* Highest-ISA usable entry wins (tables list each family from low to high ISA). */
static void choose(void)
{
    for (size_t i = 0; i < COUNT(gemm_table); i++) {
        const oq_q8_gemm_kernel *k = &gemm_table[i];
        const oq_q8_gemm_kernel **slot = &gemm_best[k->layout];
        if (oq_q8_isa_usable(k->isa) && (!*slot || k->isa >= (*slot)->isa))
            *slot = k;
    }
    for (size_t i = 0; i < COUNT(dw_table); i++) {
        const oq_q8_dw_kernel *k = &dw_table[i];
        const oq_q8_dw_kernel **slot =
            k->taps == 9 ? &dw_best_9 : k->taps == 25 ? &dw_best_25 : &dw_best_any;
        if (oq_q8_isa_usable(k->isa) && (!*slot || k->isa >= (*slot)->isa))
            *slot = k;
    }
}

const oq_q8_gemm_kernel *oq_q8_gemm_select(oq_q8_layout layout)
{
    OQ_Q8_ONCE(choose);
    return gemm_best[layout];
}

const oq_q8_dw_kernel *oq_q8_dw_select(size_t taps)
{
    OQ_Q8_ONCE(choose);
    const oq_q8_dw_kernel *k = taps == 9 ? dw_best_9 : taps == 25 ? dw_best_25 : NULL;
    /* a fast path only wins if it is at least as high an ISA as the generic kernel */
    if (k && k->isa >= dw_best_any->isa)
        return k;
    return dw_best_any;
}
