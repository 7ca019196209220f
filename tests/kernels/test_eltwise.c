/* test_eltwise.c: every element-wise kernel table compiled in (scalar, AVX2, AVX-512, NEON; the
 * ones this CPU or ONNXQ_ISA does not allow are skipped and logged) against the scalar references
 * bit for bit, on the random cases of eltwise_cases.h; plus exhaustive Add over all byte pairs at
 * tie-producing scales, and the dispatcher's choice under ONNXQ_ISA. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "eltwise_cases.h"

#define ITERS 300

/* Runs `iters` cases of fn on every usable table; fails with the case's message. */
static void run_all(bool (*fn)(const oq_q8_elt_ukernels *, char *), int iters)
{
    size_t nv;
    const oq_q8_elt_ukernels *const *v = oq_q8_elt_variants(&nv);
    int ran = 0;
    for (size_t i = 0; i < nv; i++) {
        if (!oq_q8_isa_usable(v[i]->isa)) {
            cr_log_info("skipping %s (not usable here)", v[i]->name);
            continue;
        }
        ran++;
        for (int it = 0; it < iters; it++) {
            char msg[512] = "";
            cr_assert(fn(v[i], msg), "%s", msg);
        }
    }
    cr_assert(ran >= 1);
}

static bool add_case(const oq_q8_elt_ukernels *k, char *msg)
{
    return elt_case_binary(k, false, msg);
}

static bool mul_case(const oq_q8_elt_ukernels *k, char *msg)
{
    return elt_case_binary(k, true, msg);
}

Test(eltwise, add) { run_all(add_case, ITERS * 2); }
Test(eltwise, mul) { run_all(mul_case, ITERS * 2); }
Test(eltwise, rescale_concat) { run_all(elt_case_rescale_concat, ITERS); }
Test(eltwise, maxpool) { run_all(elt_case_maxpool, ITERS); }
Test(eltwise, avgpool) { run_all(elt_case_avgpool, ITERS); }
Test(eltwise, global_avgpool) { run_all(elt_case_gavgpool, ITERS); }
Test(eltwise, quantize_dequantize) { run_all(elt_case_quant, ITERS); }
Test(eltwise, lut) { run_all(elt_case_lut, ITERS); }
Test(eltwise, transpose) { run_all(elt_case_transpose, ITERS / 3); }
Test(eltwise, resize_nearest) { run_all(elt_case_resize, ITERS); }

Test(eltwise, add_all_pairs_ties)
{
    static const float r[][2] = {{0.5f, 0.5f}, {0.5f, 0.25f}, {1.0f, 1.0f}, {0.75f, 0.125f},
                                 {3.0f, 0.0078125f}, {1e-7f, 1e-7f}, {1e6f, 1e-6f}};
    static const int32_t z[][3] = {{0, 0, 0}, {128, 128, 128}, {255, 0, 255}, {0, 255, 1}};
    size_t nv;
    const oq_q8_elt_ukernels *const *v = oq_q8_elt_variants(&nv);
    for (size_t i = 0; i < nv; i++) {
        if (!oq_q8_isa_usable(v[i]->isa))
            continue;
        for (size_t a = 0; a < 7; a++)
            for (size_t b = 0; b < 4; b++)
                for (int s = 0; s < 2; s++) {
                    char msg[512] = "";
                    oq_q8_dtype dt = s ? OQ_Q8_S8 : OQ_Q8_U8;
                    int32_t off = s ? 128 : 0;
                    cr_assert(elt_case_add_all_pairs(v[i], dt, r[a][0], r[a][1], z[b][0] - off,
                                                     z[b][1] - off, z[b][2] - off, msg),
                              "%s", msg);
                }
    }
}

/* The public entry points run the dispatcher's table: same bytes as the references. */
Test(eltwise, dispatch_matches_reference)
{
    const oq_q8_elt_ukernels *k = oq_q8_elt();
    cr_assert(k && oq_q8_isa_usable(k->isa));
    uint8_t a[77], b[77], want[77], got[77];
    elt_fill(a, 77, 0), elt_fill(b, 77, 0);
    oq_q8_binary p;
    oq_q8_add_init(&p, OQ_Q8_U8, 0.02f, 120, 0.03f, 131, 0.04f, 127);
    oq_q8_add_ref(77, a, 1, b, 1, want, &p);
    oq_q8_add(77, a, 1, b, 1, got, &p);
    cr_assert(memcmp(got, want, 77) == 0, "oq_q8_add via %s differs from the reference", k->name);
}

/* ONNXQ_ISA caps the choice: scalar -> the scalar table, avx2 -> at most AVX2. */
Test(eltwise, isa_override)
{
    const char *e = getenv("ONNXQ_ISA");
    const oq_q8_elt_ukernels *k = oq_q8_elt();
    cr_log_info("element-wise kernels: %s (ONNXQ_ISA=%s)", k->name, e ? e : "");
    if (e && strcmp(e, "scalar") == 0)
        cr_assert_str_eq(k->name, "scalar");
    if (e && strcmp(e, "avx2") == 0)
        cr_assert(k->isa <= OQ_ISA_AVX2, "got %s", k->name);
    size_t nv;
    const oq_q8_elt_ukernels *const *v = oq_q8_elt_variants(&nv);
    for (size_t i = 0; i < nv; i++) /* the choice is the highest usable table */
        if (oq_q8_isa_usable(v[i]->isa))
            cr_assert(v[i]->isa <= k->isa || (k->isa < OQ_ISA_NEON) != (v[i]->isa < OQ_ISA_NEON));
}
