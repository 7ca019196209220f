/* target.h: the ISAs whose kernels this build carries, OQ_WITH_<ID> 1 or 0 for every row of
 * isa.def (each kernel file and family table tests it beside its architecture, so a build never
 * carries code for an ISA left out). This copy carries every ISA of the host architecture; the C
 * emitter writes its own for `onnxq compile --target` (backends/c/c_emit_rt.c). cpu.c fails to
 * build if a row of isa.def has no line here. */
#ifndef OQ_TARGET_H
#define OQ_TARGET_H
#define OQ_TARGET_NAME "auto"  /* the --target this runtime was configured for */
#define OQ_WITH_SCALAR 1
#define OQ_WITH_AVX2 1
#define OQ_WITH_AVXVNNI 1
#define OQ_WITH_AVX512 1
#define OQ_WITH_AVX512VNNI 1
#define OQ_WITH_AMX 1
#define OQ_WITH_NEON 1
#define OQ_WITH_NEONDOT 1
#define OQ_WITH_I8MM 1
#endif
