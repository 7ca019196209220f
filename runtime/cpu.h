/* CPU feature detection, done once per process (pthread_once). ONNXQ_ISA=scalar|avx2|avxvnni|
 * avx512vnni|amx|neon|neondot|i8mm caps the features reported, so tests can force a lower ISA.
 * No IR dependency: the emitted C carries this file. */
#ifndef OQ_CPU_H
#define OQ_CPU_H
#include <stdbool.h>

typedef enum oq_isa {          /* ordered: a higher x86 level implies the lower ones */
    OQ_ISA_SCALAR = 0,
    OQ_ISA_AVX2,               /* AVX2 + FMA */
    OQ_ISA_AVXVNNI,            /* + AVX-VNNI (vpdpbusd on ymm, VEX) */
    OQ_ISA_AVX512VNNI,         /* + AVX-512 F/BW/VL/VNNI (zmm) */
    OQ_ISA_AMX,                /* + AMX-INT8 with the OS's permission for tile data */
    OQ_ISA_NEON = 16,          /* aarch64 Advanced SIMD */
    OQ_ISA_NEONDOT,            /* + sdot/udot */
    OQ_ISA_I8MM,               /* + usdot/smmla */
} oq_isa;

typedef struct oq_cpu {
    bool avx2, fma, avxvnni, avx512f, avx512bw, avx512vl, avx512vnni, amx_int8, amx_granted;
    bool neon, neon_dot, neon_i8mm;
    oq_isa best;               /* highest level available (after the ONNXQ_ISA cap) */
} oq_cpu;

/* Detected features, capped by ONNXQ_ISA. Thread-safe; computed once. */
const oq_cpu *oq_cpu_get(void);
/* True if the (capped) CPU supports `isa`. */
bool oq_cpu_has(oq_isa isa);
const char *oq_isa_name(oq_isa isa);
#endif
