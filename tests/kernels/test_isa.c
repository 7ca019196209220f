/* test_isa.c: the ISA table (runtime/isa.def) and the one selection point, oq_isa_pick, driven
 * by given feature masks rather than the live CPU: which kernel every family picks for a CPU
 * with exactly those features (e.g. AVX-512 F/BW/VL without VNNI), and the ONNXQ_ISA cap. */
#include <criterion/criterion.h>
#include <string.h>

#include "runtime/f32/f32.h"
#include "runtime/q8/q8.h"
#include "runtime/q8/qu8-eltwise/qu8-eltwise.h"

Test(isa, names_round_trip)
{
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++) {
        const char *n = oq_isa_name((oq_isa)i);
        cr_assert(strcmp(n, "?") != 0, "row %u has no name", i);
        cr_assert_eq(oq_isa_parse(n), (oq_isa)i, "%s parses to %d", n, (int)oq_isa_parse(n));
    }
    cr_assert_eq(oq_isa_parse("avx512vnni"), OQ_ISA_AVX512VNNI);
    cr_assert_eq(oq_isa_parse("sse2"), OQ_ISA_COUNT);
    cr_assert_str_eq(oq_isa_name(OQ_ISA_COUNT), "?");
    cr_assert_eq(oq_isa_features(OQ_ISA_SCALAR), 0u);
    cr_assert_eq(oq_isa_arch(OQ_ISA_AVX2), OQ_ARCH_X86);
    cr_assert_eq(oq_isa_arch(OQ_ISA_NEONDOT), OQ_ARCH_ARM);
}

/* Every row's features run its own ISA and none of a later row that needs more. */
Test(isa, rows_and_best)
{
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++) {
        oq_features f = oq_isa_features((oq_isa)i);
        cr_assert(oq_isa_runs((oq_isa)i, f), "%s", oq_isa_name((oq_isa)i));
        cr_assert_eq(oq_isa_best(f), (oq_isa)i, "best of %s's features: %s",
                     oq_isa_name((oq_isa)i), oq_isa_name(oq_isa_best(f)));
    }
    cr_assert_eq(oq_isa_best(0), OQ_ISA_SCALAR);
    cr_assert_eq(oq_isa_pick(OQ_ISA_BIT(OQ_ISA_AVX2), 0), OQ_ISA_COUNT);
    cr_assert_eq(oq_isa_pick(OQ_ISA_BIT(OQ_ISA_SCALAR) | OQ_ISA_BIT(OQ_ISA_AVX2), 0),
                 OQ_ISA_SCALAR);
}

Test(isa, cap)
{
    oq_features x86 = oq_isa_features(OQ_ISA_AMX) | OQ_F(AVXVNNI);
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_SCALAR), 0u);
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_AVX2), OQ_F(AVX2) | OQ_F(FMA));
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_AVXVNNI), OQ_F(AVX2) | OQ_F(FMA) | OQ_F(AVXVNNI));
    /* the x86 levels are ordered: avx512vnni keeps AVX-VNNI, drops AMX */
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_AVX512VNNI),
                 oq_isa_features(OQ_ISA_AVX512VNNI) | OQ_F(AVXVNNI));
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_AMX), x86);
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_NEON), x86, "another architecture's name caps nothing");
    cr_assert_eq(oq_isa_cap(x86, OQ_ISA_COUNT), x86);
    oq_features arm = oq_isa_features(OQ_ISA_I8MM) | OQ_F(NEONDOT);
    cr_assert_eq(oq_isa_cap(arm, OQ_ISA_NEON), OQ_F(NEON));
    cr_assert_eq(oq_isa_cap(arm, OQ_ISA_NEONDOT), OQ_F(NEON) | OQ_F(NEONDOT));
    /* the live CPU: ONNXQ_ISA applied through the same function */
    const oq_cpu *c = oq_cpu_get();
    cr_assert_eq(c->best, oq_isa_best(c->features));
}

#define GEMM(L, f) oq_q8_gemm_select_for(OQ_Q8_LAYOUT_##L, f)->isa
#define ELT(f) oq_q8_elt_for(f)->isa

/* No SIMD feature: the scalar kernels everywhere. */
Test(isa, select_without_features)
{
    cr_assert_eq(GEMM(N16K4, 0), OQ_ISA_SCALAR);
    cr_assert_eq(GEMM(N16K4W16, 0), OQ_ISA_SCALAR);
    cr_assert_eq(oq_q8_gemm_layout_for(0), OQ_Q8_LAYOUT_N16K4);
    cr_assert_eq(oq_q8_dw_select_for(9, 0)->isa, OQ_ISA_SCALAR);
    cr_assert_eq(ELT(0), OQ_ISA_SCALAR);
    cr_assert_eq(oq_f32_isa_for(0), OQ_F32_SCALAR);
}

#if defined(__x86_64__) && OQ_WITH_AVX2 && OQ_WITH_AVXVNNI && OQ_WITH_AVX512 && OQ_WITH_AVX512VNNI
/* AVX-512 F/BW/VL without VNNI: the element-wise and fp32 AVX-512 kernels, AVX2 int8 GEMM and
 * depthwise, and the W16 layout (the AVX2 GEMM kernels being the best). */
Test(isa, select_avx512_without_vnni)
{
    oq_features f = oq_isa_features(OQ_ISA_AVX512);
    cr_assert_eq(ELT(f), OQ_ISA_AVX512);
    cr_assert_str_eq(oq_q8_elt_for(f)->name, "avx512");
    cr_assert_eq(oq_f32_isa_for(f), OQ_F32_AVX512);
    cr_assert_eq(GEMM(N16K4, f), OQ_ISA_AVX2);
    cr_assert_eq(GEMM(N16K4W16, f), OQ_ISA_AVX2);
    cr_assert_eq(oq_q8_gemm_layout_for(f), OQ_Q8_LAYOUT_N16K4W16);
    cr_assert_eq(oq_q8_gemm_layout(OQ_ISA_AVX512), OQ_Q8_LAYOUT_N16K4W16);
    cr_assert_eq(oq_q8_dw_select_for(9, f)->isa, OQ_ISA_AVX2);
    cr_assert_eq(oq_q8_dw_select_for(9, f)->taps, 9u);
    cr_assert_eq(oq_q8_dw_select_for(7, f)->taps, 0u);
}

Test(isa, select_avx2_and_avxvnni)
{
    oq_features f = OQ_F(AVX2) | OQ_F(FMA);
    cr_assert_eq(GEMM(N16K4, f), OQ_ISA_AVX2);
    cr_assert_eq(oq_q8_gemm_layout_for(f), OQ_Q8_LAYOUT_N16K4W16);
    cr_assert_eq(ELT(f), OQ_ISA_AVX2);
    cr_assert_eq(oq_f32_isa_for(f), OQ_F32_AVX2);
    f |= OQ_F(AVXVNNI);
    cr_assert_eq(GEMM(N16K4, f), OQ_ISA_AVXVNNI);
    cr_assert_eq(oq_q8_gemm_layout_for(f), OQ_Q8_LAYOUT_N16K4);
    cr_assert_eq(oq_q8_dw_select_for(25, f)->isa, OQ_ISA_AVXVNNI);
    cr_assert_eq(ELT(f), OQ_ISA_AVX2);
    /* FMA missing: no AVX2 level at all */
    cr_assert_eq(GEMM(N16K4, OQ_F(AVX2) | OQ_F(AVXVNNI)), OQ_ISA_SCALAR);
}

Test(isa, select_avx512vnni_and_amx)
{
    oq_features f = oq_isa_features(OQ_ISA_AVX512VNNI);
    cr_assert_eq(GEMM(N16K4, f), OQ_ISA_AVX512VNNI);
    cr_assert_eq(GEMM(N16K4W16, f), OQ_ISA_AVX2);
    cr_assert_eq(oq_q8_gemm_layout_for(f), OQ_Q8_LAYOUT_N16K4);
    cr_assert_eq(oq_q8_dw_select_for(9, f)->isa, OQ_ISA_AVX512VNNI);
    cr_assert_eq(ELT(f), OQ_ISA_AVX512);
    cr_assert_eq(oq_f32_isa_for(f), OQ_F32_AVX512);
    /* AMX-INT8 without the OS's permission for tile data is not AMX */
    cr_assert_eq(GEMM(N16K4, f | OQ_F(AMXTILE) | OQ_F(AMXINT8)), OQ_ISA_AVX512VNNI);
#if OQ_WITH_AMX
    cr_assert_eq(GEMM(N16K4, oq_isa_features(OQ_ISA_AMX)), OQ_ISA_AMX);
#endif
}
#endif

#if defined(__aarch64__) && OQ_WITH_NEON && OQ_WITH_NEONDOT && OQ_WITH_I8MM
Test(isa, select_arm)
{
    cr_assert_eq(GEMM(N16K4, OQ_F(NEON)), OQ_ISA_NEON);
    cr_assert_eq(GEMM(N16K4, OQ_F(NEON) | OQ_F(NEONDOT)), OQ_ISA_NEONDOT);
    cr_assert_eq(GEMM(N16K4, OQ_F(NEON) | OQ_F(NEONDOT) | OQ_F(I8MM)), OQ_ISA_I8MM);
    cr_assert_eq(oq_q8_gemm_layout_for(OQ_F(NEON)), OQ_Q8_LAYOUT_N16K4);
    cr_assert_eq(ELT(OQ_F(NEON)), OQ_ISA_NEON);
}
#endif
