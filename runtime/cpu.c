/* CPU feature detection from the rows of isa.def: cpuid + xgetbv (OS-enabled AVX/AVX-512/AMX
 * state) on x86-64, getauxval(AT_HWCAP/AT_HWCAP2) on aarch64. AMX needs
 * arch_prctl(ARCH_REQ_XCOMP_PERM) once per process. ONNXQ_ISA (else -DOQ_FORCE_ISA) caps the
 * result; an unknown name caps nothing. The ISA functions are pure functions of the table. */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall() under -std=c99 */
#endif
#include "cpu.h"

#include <stdlib.h>

#if (defined(__unix__) || defined(__APPLE__)) && !defined(OQ_NO_PTHREAD)
#define OQ_HAVE_PTHREAD 1
#include <pthread.h>
#else
#define OQ_HAVE_PTHREAD 0
#endif
#include <string.h>

static const struct isa_row {
    const char *name;
    oq_arch arch;
    oq_features need;
} isa_rows[] = {
#define OQ_ISA_ROW(ID, name, arch, features) {name, OQ_ARCH_##arch, features},
#include "isa.def"
#undef OQ_ISA_ROW
};

/* Fails to compile if target.h lacks a row's OQ_WITH_<ID>. */
static const unsigned char with_row[] = {
#define OQ_ISA_ROW(ID, name, arch, features) OQ_WITH_##ID,
#include "isa.def"
#undef OQ_ISA_ROW
};
typedef char with_row_count[sizeof with_row == OQ_ISA_COUNT ? 1 : -1];

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

static const struct x86_row {
    unsigned leaf, sub, reg, bit;
    unsigned long long xcr0;
} x86_rows[] = {
#define OQ_CPU_FEATURE(ID, name, leaf, sub, reg, bit, xcr0, hwcap, hwbit) {leaf, sub, reg, bit, xcr0},
#include "isa.def"
#undef OQ_CPU_FEATURE
};

/* The features the rows of isa.def find in cpuid (0 without OS-enabled AVX state). */
static oq_features detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* no OSXSAVE: no AVX state */
        return 0;
    unsigned long long xcr0 = xgetbv0();
    unsigned max = __get_cpuid_max(0, NULL);
    oq_features f = 0;
    for (unsigned i = 0; i < OQ_CPUF_COUNT; i++) {
        const struct x86_row *r = &x86_rows[i];
        if (r->leaf == 0 || r->leaf > max || (xcr0 & r->xcr0) != r->xcr0)
            continue;
        unsigned reg[4];
        __cpuid_count(r->leaf, r->sub, reg[0], reg[1], reg[2], reg[3]);
        if (reg[r->reg] & (1u << r->bit))
            f |= (oq_features)1 << i;
    }
#if defined(__linux__) && defined(__x86_64__)
    /* ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 */
    if ((f & OQ_F(AMXINT8)) && syscall(SYS_arch_prctl, 0x1023, 18) == 0)
        f |= OQ_F(AMXPERM);
#endif
    return f;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
static const struct arm_row {
    unsigned hwcap, bit;
} arm_rows[] = {
#define OQ_CPU_FEATURE(ID, name, leaf, sub, reg, bit, xcr0, hwcap, hwbit) {hwcap, hwbit},
#include "isa.def"
#undef OQ_CPU_FEATURE
};

/* The features the rows of isa.def find in the auxiliary vector. */
static oq_features detect(void)
{
    unsigned long hw[3] = {0, getauxval(AT_HWCAP), getauxval(AT_HWCAP2)};
    oq_features f = 0;
    for (unsigned i = 0; i < OQ_CPUF_COUNT; i++)
        if (arm_rows[i].hwcap && (hw[arm_rows[i].hwcap] & (1ul << arm_rows[i].bit)))
            f |= (oq_features)1 << i;
    return f;
}
#else
static oq_features detect(void) { return 0; }
#endif

static oq_cpu cpu;
#if OQ_HAVE_PTHREAD
static pthread_once_t once = PTHREAD_ONCE_INIT;
#else
static volatile int once_done; /* no threads on bare metal: detection is idempotent anyway */
#endif

/* Detects once, then applies the ONNXQ_ISA (or OQ_FORCE_ISA) cap. */
static void init(void)
{
    oq_features f = detect();
    const char *s = getenv("ONNXQ_ISA");
#if defined(OQ_FORCE_ISA)
    if (!s || !*s)
        s = OQ_FORCE_ISA;
#endif
    if (s && *s && oq_isa_parse(s) != OQ_ISA_COUNT)
        f = oq_isa_cap(f, oq_isa_parse(s));
    cpu.features = f;
    cpu.best = oq_isa_best(f);
}

/* See cpu.h. */
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

/* See cpu.h. */
bool oq_cpu_has(oq_isa isa)
{
    return oq_isa_runs(isa, oq_cpu_get()->features);
}

/* See cpu.h. */
const char *oq_isa_name(oq_isa isa)
{
    return (unsigned)isa < OQ_ISA_COUNT ? isa_rows[isa].name : "?";
}

/* See cpu.h. */
oq_arch oq_isa_arch(oq_isa isa)
{
    return (unsigned)isa < OQ_ISA_COUNT ? isa_rows[isa].arch : OQ_ARCH_ANY;
}

/* See cpu.h. */
oq_features oq_isa_features(oq_isa isa)
{
    return (unsigned)isa < OQ_ISA_COUNT ? isa_rows[isa].need : 0;
}

/* See cpu.h. */
bool oq_isa_built(oq_isa isa)
{
    return (unsigned)isa < OQ_ISA_COUNT && with_row[isa];
}

/* See cpu.h. */
oq_isa oq_isa_parse(const char *name)
{
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++)
        if (strcmp(name, isa_rows[i].name) == 0)
            return (oq_isa)i;
    return OQ_ISA_COUNT;
}

/* See cpu.h. */
bool oq_isa_runs(oq_isa isa, oq_features f)
{
    return (unsigned)isa < OQ_ISA_COUNT && (f & isa_rows[isa].need) == isa_rows[isa].need;
}

/* See cpu.h. */
oq_features oq_isa_cap(oq_features f, oq_isa forced)
{
    if ((unsigned)forced >= OQ_ISA_COUNT)
        return f;
    if (isa_rows[forced].arch == OQ_ARCH_ANY)
        return 0;
    oq_features keep = 0, arch = 0;
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++) {
        if (isa_rows[i].arch != isa_rows[forced].arch)
            continue;
        arch |= isa_rows[i].need;
        if (i <= (unsigned)forced)
            keep |= isa_rows[i].need;
    }
    return f & (keep | ~arch);
}

/* See cpu.h. */
oq_isa oq_isa_best(oq_features f)
{
    oq_isa b = oq_isa_pick(~(oq_isa_set)0, f);
    return b == OQ_ISA_COUNT ? OQ_ISA_SCALAR : b;
}

/* See cpu.h. */
oq_isa oq_isa_pick(oq_isa_set have, oq_features f)
{
    oq_isa b = OQ_ISA_COUNT;
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++)
        if ((have & OQ_ISA_BIT(i)) && oq_isa_runs((oq_isa)i, f))
            b = (oq_isa)i;
    return b;
}
