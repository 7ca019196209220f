/* xtest_eltwise.c: the element-wise cases of eltwise_cases.h without Criterion, for the aarch64
 * cross build run under qemu (run_aarch64_eltwise.sh) and natively: every usable kernel table
 * against the scalar references, bit for bit; prints `N passed, N failed` (exit 1 on failure). */
#include "eltwise_cases.h"

int main(void)
{
    static const struct {
        const char *name;
        bool (*fn)(const oq_q8_elt_ukernels *, char *);
    } cases[] = {
        {"rescale_concat", elt_case_rescale_concat}, {"maxpool", elt_case_maxpool},
        {"avgpool", elt_case_avgpool}, {"global_avgpool", elt_case_gavgpool},
        {"quantize", elt_case_quant}, {"lut", elt_case_lut}, {"transpose", elt_case_transpose},
        {"resize", elt_case_resize},
    };
    int passed = 0, failed = 0;
    size_t nv;
    const oq_q8_elt_ukernels *const *v = oq_q8_elt_variants(&nv);
    printf("dispatch: %s\n", oq_q8_elt()->name);
    for (size_t i = 0; i < nv; i++) {
        if (!oq_q8_isa_usable(v[i]->isa)) {
            printf("skip %s\n", v[i]->name);
            continue;
        }
        char msg[512];
        for (int it = 0; it < 400; it++) {
            for (int m = 0; m < 2; m++) {
                if (elt_case_binary(v[i], m == 1, msg))
                    passed++;
                else
                    failed++, printf("FAIL %s\n", msg);
            }
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                if (c == 6 && it % 4)
                    continue;
                if (cases[c].fn(v[i], msg))
                    passed++;
                else
                    failed++, printf("FAIL %s: %s\n", cases[c].name, msg);
            }
        }
        for (int s = 0; s < 2; s++)
            if (elt_case_add_all_pairs(v[i], s ? OQ_Q8_S8 : OQ_Q8_U8, 0.5f, 0.25f, s ? -128 : 0,
                                       s ? 127 : 255, s ? 0 : 128, msg))
                passed++;
            else
                failed++, printf("FAIL %s\n", msg);
        printf("%s: done\n", v[i]->name);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
