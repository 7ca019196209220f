/* CPU features and ISAs (the one table is isa.def), detection done once per process
 * (pthread_once), and the one selection point of every kernel family: oq_isa_pick. ONNXQ_ISA=
 * scalar|avx2|avxvnni|avx512|avx512vnni|amx|neon|neondot|i8mm (or, where there is no
 * environment, the build's -DOQ_FORCE_ISA="name") caps the features reported, so tests and users
 * can force a lower ISA. No IR dependency: the emitted C carries this file. */
#ifndef OQ_CPU_H
#define OQ_CPU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target.h"

/* Feature numbers (OQ_CPUF_<ID>) and their bits in an oq_features mask (OQ_F(ID)). */
enum {
#define OQ_CPU_FEATURE(ID, name, leaf, sub, reg, bit, xcr0, hwcap, hwbit) OQ_CPUF_##ID,
#include "isa.def"
#undef OQ_CPU_FEATURE
    OQ_CPUF_COUNT
};
typedef uint32_t oq_features;
#define OQ_F(ID) ((oq_features)1 << OQ_CPUF_##ID)

typedef enum oq_isa {          /* isa.def order: low to high within an architecture */
#define OQ_ISA_ROW(ID, name, arch, features) OQ_ISA_##ID,
#include "isa.def"
#undef OQ_ISA_ROW
    OQ_ISA_COUNT
} oq_isa;
typedef uint32_t oq_isa_set;   /* bit (1 << isa) per ISA */
#define OQ_ISA_BIT(isa) ((oq_isa_set)1 << (isa))

typedef enum oq_arch { OQ_ARCH_ANY, OQ_ARCH_X86, OQ_ARCH_ARM } oq_arch;

typedef struct oq_cpu {
    oq_features features;      /* detected, after the ONNXQ_ISA cap */
    oq_isa best;               /* the highest ISA those features run */
} oq_cpu;

/* Detected features, capped by ONNXQ_ISA. Thread-safe; computed once. */
const oq_cpu *oq_cpu_get(void);
/* True if the (capped) CPU runs `isa`'s kernels. */
bool oq_cpu_has(oq_isa isa);
/* The ISA's row of isa.def: name ("?" if out of range), architecture, required features. */
const char *oq_isa_name(oq_isa isa);
oq_arch oq_isa_arch(oq_isa isa);
oq_features oq_isa_features(oq_isa isa);
/* True if this build carries isa's kernels (target.h). */
bool oq_isa_built(oq_isa isa);
/* The ISA spelled `name` (isa.def), or OQ_ISA_COUNT if none is. */
oq_isa oq_isa_parse(const char *name);
/* True if a CPU with features f runs isa's kernels. */
bool oq_isa_runs(oq_isa isa, oq_features f);
/* f lowered to the level `forced` names: the features of forced's row and of the rows before it
 * in its architecture are kept, the other features of that architecture dropped (scalar drops
 * all); never adds one. */
oq_features oq_isa_cap(oq_features f, oq_isa forced);
/* The highest ISA that features f run (scalar if none). */
oq_isa oq_isa_best(oq_features f);
/* The one selection point of the kernel families: of the ISAs in `have` (a family's kernels), the
 * last in isa.def order that features f run; OQ_ISA_COUNT if none does. Dispatch passes oq_cpu_get()->features; tests pass any mask. */
oq_isa oq_isa_pick(oq_isa_set have, oq_features f);
#endif
