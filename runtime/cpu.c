/* CPU feature detection: cpuid + xgetbv (OS-enabled AVX/AVX-512/AMX state) on x86-64,
 * getauxval(AT_HWCAP) on aarch64. AMX needs arch_prctl(ARCH_REQ_XCOMP_PERM) once per process.
 * ONNXQ_ISA caps the result (tests force the scalar path with ONNXQ_ISA=scalar). */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall() under -std=c99 */
#endif
#include "cpu.h"

#include <stdlib.h>

#if defined(__unix__) || defined(__APPLE__)
#define OQ_HAVE_PTHREAD 1
#include <pthread.h>
#else
#define OQ_HAVE_PTHREAD 0
#endif
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static unsigned long long xgetbv0(void)
{
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect(oq_cpu *c)
{
    unsigned a, b, cx, d;
    if (!__get_cpuid(1, &a, &b, &cx, &d))
        return;
    bool osxsave = cx & (1u << 27), fma = cx & (1u << 12);
    if (!osxsave)
        return;
    unsigned long long xcr0 = xgetbv0();
    bool ymm = (xcr0 & 6) == 6, zmm = (xcr0 & 0xe6) == 0xe6;
    bool tiles = (xcr0 & (3ull << 17)) == (3ull << 17);
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, cx, d);
    c->avx2 = ymm && (b & (1u << 5));
    c->fma = ymm && fma;
    c->avx512f = zmm && (b & (1u << 16));
    c->avx512bw = zmm && (b & (1u << 30));
    c->avx512vl = zmm && (b & (1u << 31));
    c->avx512vnni = zmm && (cx & (1u << 11));
    c->amx_int8 = tiles && (d & (1u << 25)) && (d & (1u << 24));
    unsigned a1, b1, c1, d1;
    __cpuid_count(7, 1, a1, b1, c1, d1);
    (void)b1, (void)c1, (void)d1;
    c->avxvnni = ymm && (a1 & (1u << 4));
#if defined(__linux__) && defined(__x86_64__)
    if (c->amx_int8) {
        /* ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 */
        c->amx_granted = syscall(SYS_arch_prctl, 0x1023, 18) == 0;
    }
#endif
    c->best = OQ_ISA_SCALAR;
    if (c->avx2 && c->fma) {
        c->best = OQ_ISA_AVX2;
        if (c->avxvnni)
            c->best = OQ_ISA_AVXVNNI;
        if (c->avx512f && c->avx512bw && c->avx512vl && c->avx512vnni)
            c->best = OQ_ISA_AVX512VNNI;
        if (c->best == OQ_ISA_AVX512VNNI && c->amx_int8 && c->amx_granted)
            c->best = OQ_ISA_AMX;
    }
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
static void detect(oq_cpu *c)
{
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    c->neon = true;                      /* mandatory on aarch64 */
    c->neon_dot = hw & (1ul << 20);      /* HWCAP_ASIMDDP */
    c->neon_i8mm = hw2 & (1ul << 13);    /* HWCAP2_I8MM */
    c->best = c->neon_i8mm ? OQ_ISA_I8MM : c->neon_dot ? OQ_ISA_NEONDOT : OQ_ISA_NEON;
}
#else
static void detect(oq_cpu *c) { (void)c; }
#endif

static oq_cpu cpu;
#if OQ_HAVE_PTHREAD
static pthread_once_t once = PTHREAD_ONCE_INIT;
#else
static volatile int once_done; /* no threads on bare metal: detection is idempotent anyway */
#endif

/* Lowers the features to the level named by ONNXQ_ISA (never raises them). */
static void cap(oq_cpu *c, const char *s)
{
    static const struct { const char *name; oq_isa isa; } tab[] = {
        {"scalar", OQ_ISA_SCALAR},   {"avx2", OQ_ISA_AVX2}, {"avxvnni", OQ_ISA_AVXVNNI},
        {"avx512vnni", OQ_ISA_AVX512VNNI}, {"amx", OQ_ISA_AMX}, {"neon", OQ_ISA_NEON},
        {"neondot", OQ_ISA_NEONDOT}, {"i8mm", OQ_ISA_I8MM},
    };
    for (unsigned i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (strcmp(s, tab[i].name) != 0)
            continue;
        oq_isa want = tab[i].isa;
        if (want >= c->best)
            return;
        c->best = want;
        if (want < OQ_ISA_AMX)
            c->amx_int8 = c->amx_granted = false;
        if (want < OQ_ISA_AVX512VNNI)
            c->avx512f = c->avx512bw = c->avx512vl = c->avx512vnni = false;
        if (want < OQ_ISA_AVXVNNI)
            c->avxvnni = false;
        if (want < OQ_ISA_AVX2)
            c->avx2 = c->fma = false;
        if (want < OQ_ISA_I8MM)
            c->neon_i8mm = false;
        if (want < OQ_ISA_NEONDOT)
            c->neon_dot = false;
        if (want < OQ_ISA_NEON)
            c->neon = false;
        return;
    }
}

static void init(void)
{
    memset(&cpu, 0, sizeof cpu);
    detect(&cpu);
    const char *s = getenv("ONNXQ_ISA");
    if (s && *s)
        cap(&cpu, s);
}

const oq_cpu *oq_cpu_get(void)
{
#if OQ_HAVE_PTHREAD
    pthread_once(&once, init);
#else
    if (!once_done) {
        init();
        once_done = 1;
    }
#endif
    return &cpu;
}

bool oq_cpu_has(oq_isa isa)
{
    const oq_cpu *c = oq_cpu_get();
    if (isa == OQ_ISA_SCALAR)
        return true;
    if (isa >= OQ_ISA_NEON)
        return c->best >= OQ_ISA_NEON && isa <= c->best;
    if (c->best >= OQ_ISA_NEON || isa > c->best)
        return false;
    /* The x86 levels are not a strict chain: an AVX-512 VNNI CPU may lack AVX-VNNI (VEX). */
    return isa != OQ_ISA_AVXVNNI || c->avxvnni;
}

const char *oq_isa_name(oq_isa isa)
{
    switch (isa) {
    case OQ_ISA_SCALAR: return "scalar";
    case OQ_ISA_AVX2: return "avx2";
    case OQ_ISA_AVXVNNI: return "avxvnni";
    case OQ_ISA_AVX512VNNI: return "avx512vnni";
    case OQ_ISA_AMX: return "amx";
    case OQ_ISA_NEON: return "neon";
    case OQ_ISA_NEONDOT: return "neondot";
    case OQ_ISA_I8MM: return "i8mm";
    }
    return "?";
}
