/* test_q8.c: Criterion suite 'kernels' for runtime/q8. Every GEMM, conv and depthwise kernel of
 * the .inc enumerators is run against the unpacked scalar oracles (oq_q8_gemm_ref,
 * oq_q8_conv_ref) bit for bit on random shapes with edges (K/N/C off the vector width, 1x1
 * images, channels 1/3/7, zero points 0/128/255, extreme scales, saturated data), skipped when
 * the CPU lacks the ISA. Requantization and element-wise ops are checked against hand-computed
 * values (ONNX QLinearConv-style ties) and against their scalar references. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>

#include "common.h"
#include "runtime/q8/requant.h"

/* ------------------------------------------------------------------ requantization */

Test(kernels, requant_fp32_ties)
{
    /* ONNX QLinearConv: y = saturate(round_half_even(acc * s) + zp) */
    cr_assert_eq(oq_requantize_fp32(5, 0.5f, 0, 0, 255), 2);     /* 2.5 -> 2 */
    cr_assert_eq(oq_requantize_fp32(7, 0.5f, 0, 0, 255), 4);     /* 3.5 -> 4 */
    cr_assert_eq(oq_requantize_fp32(-5, 0.5f, 128, 0, 255), 126); /* -2.5 -> -2 */
    cr_assert_eq(oq_requantize_fp32(-7, 0.5f, 128, 0, 255), 124); /* -3.5 -> -4 */
    cr_assert_eq(oq_requantize_fp32(1, 0.5f, 0, -128, 127), 0);   /* 0.5 -> 0 */
    cr_assert_eq(oq_requantize_fp32(3, 0.5f, 0, -128, 127), 2);   /* 1.5 -> 2 */
    cr_assert_eq(oq_requantize_fp32(1000, 1.0f, 10, 0, 255), 255);
    cr_assert_eq(oq_requantize_fp32(-1000, 1.0f, 10, 0, 255), 0);
    cr_assert_eq(oq_requantize_fp32(1000, 1.0f, 0, -128, 127), 127);
    cr_assert_eq(oq_requantize_fp32(-1000, 1.0f, 0, -128, 127), -128);
    cr_assert_eq(oq_requantize_fp32(INT32_MAX, 1.0f, 0, 0, 255), 255);
    cr_assert_eq(oq_requantize_fp32(INT32_MIN, 1.0f, 0, 0, 255), 0);
    /* fused ReLU6 bounds: scale 6/255*2 -> 6.0 is code 128 above zp */
    int32_t lo, hi;
    oq_q8_act_bounds(2, 6.0f / 128.0f, 3, OQ_Q8_U8, &lo, &hi);
    cr_assert(lo == 3 && hi == 131, "relu6 bounds %d %d", lo, hi);
    oq_q8_act_bounds(1, 0.1f, -5, OQ_Q8_S8, &lo, &hi);
    cr_assert(lo == -5 && hi == 127);
}

Test(kernels, requant_q31_ties)
{
    int32_t m;
    int8_t sh;
    oq_q8_quantize_multiplier(0.5, &m, &sh);
    cr_assert(m == (1 << 30) && sh == 0, "0.5 -> %d %d", m, sh);
    /* q31, gemmlowp: the doubling high multiply rounds ties up (toward +inf), the divide by a
     * power of two rounds ties away from zero; fp32 rounds ties to even */
    cr_assert_eq(oq_requantize_q31(5, m, sh, 0, 0, 255), 3);       /* 2.5 -> 3 */
    cr_assert_eq(oq_requantize_q31(-5, m, sh, 128, 0, 255), 126);  /* -2.5 -> -2 */
    oq_q8_quantize_multiplier(0.25, &m, &sh);
    cr_assert(m == (1 << 30) && sh == -1);
    cr_assert_eq(oq_requantize_q31(6, m, sh, 0, 0, 255), 2);     /* 1.5 -> 2 */
    cr_assert_eq(oq_requantize_q31(10, m, sh, 0, 0, 255), 3);    /* 2.5 -> 3 */
    cr_assert_eq(oq_requantize_q31(-10, m, sh, 0, -128, 127), -3);
    oq_q8_quantize_multiplier(3.0, &m, &sh);
    cr_assert(sh == 2);
    cr_assert_eq(oq_requantize_q31(20, m, sh, 0, 0, 255), 60);
    cr_assert_eq(oq_requantize_q31(1000, m, sh, 0, 0, 255), 255);
}

Test(kernels, requant_q31_within_1lsb_of_fp32)
{
    size_t worst = 0;
    for (int i = 0; i < 200000; i++) {
        float s = (float)((rnd() % 100000 + 1) * 1e-7);
        int32_t acc = (int32_t)(rnd() % 4000001) - 2000000, m;
        int8_t sh;
        oq_q8_quantize_multiplier(s, &m, &sh);
        int32_t zp = (int32_t)(rnd() % 256);
        int32_t a = oq_requantize_fp32(acc, s, zp, 0, 255);
        int32_t b = oq_requantize_q31(acc, m, sh, zp, 0, 255);
        size_t d = (size_t)abs(a - b);
        cr_assert(d <= 1, "acc %d scale %g: fp32 %d q31 %d", acc, s, a, b);
        worst = d > worst ? d : worst;
    }
    cr_assert(worst <= 1);
}

/* ------------------------------------------------------------------ GEMM */

static size_t gemm_ids[64], dw_ids[64];

ParameterizedTestParameters(kernels, gemm)
{
    size_t n;
    oq_q8_gemm_kernels(&n);
    for (size_t i = 0; i < n; i++)
        gemm_ids[i] = i;
    return cr_make_param_array(size_t, gemm_ids, n);
}

/* One random GEMM case on kernel k vs the oracle (fails the test on a mismatch). */
static void gemm_case(const oq_q8_gemm_kernel *k, size_t M, size_t N, size_t K, int mode,
                      int amode, int wmode)
{
    size_t lda = K + rnd() % 3, ldc = N + rnd() % 2;
    int32_t a_zp = (int32_t)pick((const size_t[]){0, 128, 255, 3}, 4);
    uint8_t *a = xalloc(M * lda);
    int8_t *w = xalloc(K * N);
    int32_t *bias = xalloc(N * 4);
    fill_u8(a, M * lda, amode);
    fill_s8(w, K * N, wmode);
    for (size_t n = 0; n < N; n++)
        bias[n] = rint_in(-60000, 60000);
    void *packed = xalloc(oq_q8_packed_size(k->layout, K, N));
    const int32_t *b_used = rnd() % 4 ? bias : NULL;
    oq_q8_pack_gemm(k->layout, K, N, w, N, 1, b_used, a_zp, packed);
    rq_setup s;
    rq_random(&s, N, K, mode);
    size_t es = out_bytes(&s.rq), bytes = M * ldc * es;
    uint8_t *ref = xalloc(bytes), *got = xalloc(bytes);
    oq_q8_gemm_ref(M, N, K, a, lda, a_zp, w, b_used, ref, ldc, &s.rq);
    oq_q8_gemm_run(k, M, N, K, a, lda, packed, got, ldc, 0, &s.rq);
    size_t d = first_diff(ref, got, bytes / es + 16 / es, es);
    if (d != (size_t)-1)
        cr_assert_fail("%s M=%zu N=%zu K=%zu a_zp=%d mode=%d dt=%d at [%zu,%zu]: got %lld want %lld",
                       k->name, M, N, K, a_zp, mode, s.rq.out_dtype, d / ldc, d % ldc,
                       (long long)elem(got, d, es, s.rq.out_dtype),
                       (long long)elem(ref, d, es, s.rq.out_dtype));
    rq_free(&s);
    free(a), free(w), free(bias), free(packed), free(ref), free(got);
}

ParameterizedTest(size_t *id, kernels, gemm)
{
    size_t n;
    const oq_q8_gemm_kernel *k = &oq_q8_gemm_kernels(&n)[*id];
    if (!oq_q8_isa_usable(k->isa))
        cr_skip_test("%s: %s not available on this CPU", k->name, oq_isa_name(k->isa));
    static const size_t Ms[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 31, 32, 33, 64, 65};
    static const size_t Ns[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 64, 70, 100};
    static const size_t Ks[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 63, 64, 65, 127, 128, 130, 300};
    for (int it = 0; it < 400; it++) {
        int mode = it % 3;
        int amode = it % 17 == 0 ? 1 : it % 19 == 0 ? 2 : 0;
        int wmode = it % 13 == 0 ? 1 : it % 11 == 0 ? 2 : 0;
        gemm_case(k, pick(Ms, 16), pick(Ns, 16), pick(Ks, 18), mode, amode, wmode);
    }
    /* fp32 ties: round half to even in every epilogue */
    for (int it = 0; it < 12; it++) {
        size_t d = tie_case(k, 1 + rnd() % 9, 1 + rnd() % 40, 1 + rnd() % 9,
                            it % 2 ? 0.5f : 0.25f, it % 3 ? 128 : 0, (oq_q8_dtype)(it % 2));
        cr_assert(d == (size_t)-1, "%s: fp32 tie case differs at %zu", k->name, d);
    }
    /* deep K with saturated data: the int16 overflow cases of vpmaddubsw */
    gemm_case(k, 35, 40, 2304, OQ_Q8_RQ_S32, 1, 1);
    gemm_case(k, 35, 40, 2304, OQ_Q8_RQ_S32, 1, 2);
    gemm_case(k, 33, 33, 4608, OQ_Q8_RQ_FP32, 0, 0);
    gemm_case(k, 64, 64, 576, OQ_Q8_RQ_FP32, 1, 2);
}

Test(kernels, gemm_select_and_matmul)
{
    const oq_cpu *c = oq_cpu_get();
    oq_q8_layout L = oq_q8_gemm_layout(c->best);
    const oq_q8_gemm_kernel *k = oq_q8_gemm_select(L);
    cr_assert(k && k->layout == L && oq_q8_isa_usable(k->isa));
    /* ONNXQ_ISA caps the choice (the suite also runs with scalar and avx2) */
    const char *cap = getenv("ONNXQ_ISA");
    if (cap && strcmp(cap, "scalar") == 0)
        cr_assert(k->isa == OQ_ISA_SCALAR && oq_q8_gemm_select(OQ_Q8_LAYOUT_N16K4)->isa == 0 &&
                  oq_q8_dw_select(9)->isa == OQ_ISA_SCALAR, "scalar cap ignored: %s", k->name);
    if (cap && strcmp(cap, "avx2") == 0)
        cr_assert(k->isa <= OQ_ISA_AVX2 && oq_q8_gemm_select(OQ_Q8_LAYOUT_N16K4)->isa <= OQ_ISA_AVX2 &&
                  oq_q8_dw_select(9)->isa <= OQ_ISA_AVX2, "avx2 cap ignored: %s", k->name);
    /* the best kernel for the CPU's own layout is of its best ISA (x86 AMX: VNNI if not granted) */
    if (c->best <= OQ_ISA_AVX512VNNI)
        cr_assert(k->isa == c->best || c->best == OQ_ISA_SCALAR, "%s for best ISA %s", k->name,
                  oq_isa_name(c->best));
    /* batched MatMul with per-batch weights vs the oracle per batch */
    size_t B = 3, M = 5, N = 19, K = 37;
    uint8_t *a = xalloc(B * M * K);
    int8_t *w = xalloc(B * K * N);
    fill_u8(a, B * M * K, 0);
    fill_s8(w, B * K * N, 0);
    size_t ps = oq_q8_packed_size(L, K, N);
    uint8_t *packed = xalloc(B * ps);
    for (size_t b = 0; b < B; b++)
        oq_q8_pack_gemm(L, K, N, w + b * K * N, N, 1, NULL, 77, packed + b * ps);
    float sc = 0.003f;
    oq_q8_requant rq;
    oq_q8_requant_fp32(&rq, &sc, 0, 100, OQ_Q8_U8);
    uint8_t *got = xalloc(B * M * N), *ref = xalloc(B * M * N);
    oq_q8_matmul(L, B, M, N, K, a, packed, B, got, &rq);
    for (size_t b = 0; b < B; b++)
        oq_q8_gemm_ref(M, N, K, a + b * M * K, K, 77, w + b * K * N, NULL, ref + b * M * N, N, &rq);
    size_t d = first_diff(ref, got, B * M * N, 1);
    cr_assert(d == (size_t)-1, "matmul at %zu: got %d want %d", d, got[d], ref[d]);
    free(a), free(w), free(packed), free(got), free(ref);
}

Test(kernels, s8_activations_via_flip_sign)
{
    /* an s8-activation GEMM equals the u8 kernel on x ^ 0x80 with zero point + 128 */
    size_t M = 9, N = 20, K = 23;
    int8_t xs[9 * 23], w[23 * 20];
    uint8_t xu[9 * 23], got[9 * 20], ref[9 * 20];
    for (size_t i = 0; i < M * K; i++)
        xs[i] = (int8_t)rnd();
    fill_s8(w, K * N, 0);
    float sc = 0.01f;
    oq_q8_requant rq;
    oq_q8_requant_fp32(&rq, &sc, 0, -3, OQ_Q8_S8);
    oq_q8_layout L = oq_q8_gemm_layout(oq_cpu_get()->best);
    void *packed = xalloc(oq_q8_packed_size(L, K, N));
    oq_q8_pack_gemm(L, K, N, w, N, 1, NULL, -5 + 128, packed);
    oq_q8_flip_sign(M * K, xs, xu);
    oq_q8_gemm(L, M, N, K, xu, K, packed, got, N, &rq);
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            int32_t acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (xs[m * K + k] + 5) * w[k * N + n];
            ref[m * N + n] = (uint8_t)oq_requantize_fp32(acc, sc, -3, -128, 127);
        }
    cr_assert(memcmp(got, ref, M * N) == 0);
    free(packed);
}

Test(kernels, qlinear_matmul_ref_hand)
{
    /* 1x2 @ 2x1: a = [130, 126] zp 128 -> [2, -2]; b = [3, 1] zp 0 -> acc 6 - 2 = 4; *0.625 = 2.5
     * -> 2 (even) + 10 */
    uint8_t a[2] = {130, 126};
    int8_t b[2] = {3, 1};
    int32_t bz = 0;
    float s = 0.625f;
    uint8_t y;
    oq_q8_qlinear_matmul_ref(1, 1, 2, a, OQ_Q8_U8, 128, b, OQ_Q8_S8, &bz, 0, &s, 0, &y, OQ_Q8_U8,
                             10);
    cr_assert_eq(y, 12);
}

/* ------------------------------------------------------------------ convolution */

ParameterizedTestParameters(kernels, conv)
{
    size_t n;
    oq_q8_gemm_kernels(&n);
    for (size_t i = 0; i < n; i++)
        gemm_ids[i] = i;
    return cr_make_param_array(size_t, gemm_ids, n);
}

ParameterizedTest(size_t *id, kernels, conv)
{
    size_t nk;
    const oq_q8_gemm_kernel *k = &oq_q8_gemm_kernels(&nk)[*id];
    if (!oq_q8_isa_usable(k->isa))
        cr_skip_test("%s: %s not available on this CPU", k->name, oq_isa_name(k->isa));
    static const size_t Cs[] = {1, 3, 7, 8, 16, 17, 32};
    for (int it = 0; it < 150; it++) {
        oq_q8_conv_shape s;
        memset(&s, 0, sizeof s);
        s.batch = 1 + rnd() % 2;
        s.groups = rnd() % 4 == 0 ? 1 + rnd() % 3 : 1;
        s.in_c = pick(Cs, 7) * s.groups;
        s.out_c = pick(Cs, 7) * s.groups;
        s.kh = 1 + rnd() % 3, s.kw = 1 + rnd() % 3;
        if (it % 10 == 0)
            s.kh = s.kw = 5;
        s.stride_h = 1 + rnd() % 2, s.stride_w = 1 + rnd() % 3;
        s.dil_h = 1 + (rnd() % 4 == 0), s.dil_w = 1 + (rnd() % 4 == 0);
        s.pad_top = rnd() % 3, s.pad_left = rnd() % 2, s.pad_bottom = rnd() % 3, s.pad_right = rnd() % 2;
        s.in_h = 1 + rnd() % 9, s.in_w = 1 + rnd() % 9;
        if (it % 7 == 0) /* 1x1 pointwise, direct GEMM path */
            s.kh = s.kw = 1, s.stride_h = s.stride_w = 1, s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 0;
        if (it % 9 == 0)
            s.in_h = s.in_w = 1;
        if (!oq_q8_conv_init(&s))
            continue;
        int32_t x_zp = (int32_t)pick((const size_t[]){0, 128, 255, 9}, 4);
        size_t nx = s.batch * s.in_h * s.in_w * s.in_c, cg = s.in_c / s.groups;
        size_t nw = s.out_c * cg * s.kh * s.kw, ny = s.batch * s.out_h * s.out_w * s.out_c;
        uint8_t *x = xalloc(nx);
        int8_t *w = xalloc(nw);
        int32_t *bias = xalloc(s.out_c * 4);
        fill_u8(x, nx, it % 23 == 0 ? 1 : 0);
        fill_s8(w, nw, 0);
        for (size_t i = 0; i < s.out_c; i++)
            bias[i] = rint_in(-20000, 20000);
        void *packed = xalloc(oq_q8_conv_packed_size(k->layout, &s));
        oq_q8_pack_conv(k->layout, &s, w, bias, x_zp, packed);
        rq_setup r;
        rq_random(&r, s.out_c, cg * s.kh * s.kw, it % 3);
        size_t es = out_bytes(&r.rq);
        uint8_t *ref = xalloc(ny * es), *got = xalloc(ny * es);
        void *ws = xalloc(oq_q8_conv_workspace_size(&s) + 1);
        oq_q8_conv_ref(&s, x, x_zp, w, bias, ref, &r.rq);
        oq_q8_conv_with(k, &s, x, x_zp, packed, got, &r.rq, ws);
        size_t d = first_diff(ref, got, ny + 16 / es, es);
        if (d != (size_t)-1)
            cr_assert_fail("%s conv in %zux%zux%zu out_c %zu g %zu k %zux%zu s %zu,%zu d %zu,%zu "
                           "pad %zu,%zu,%zu,%zu zp %d mode %d at %zu: got %lld want %lld",
                           k->name, s.in_h, s.in_w, s.in_c, s.out_c, s.groups, s.kh, s.kw,
                           s.stride_h, s.stride_w, s.dil_h, s.dil_w, s.pad_top, s.pad_left,
                           s.pad_bottom, s.pad_right, x_zp, r.rq.mode, d,
                           (long long)elem(got, d, es, r.rq.out_dtype),
                           (long long)elem(ref, d, es, r.rq.out_dtype));
        rq_free(&r);
        free(x), free(w), free(bias), free(packed), free(ref), free(got), free(ws);
    }
}

Test(kernels, conv_qlinearconv_hand)
{
    /* 1x1 image, 2 channels, 1 output: x = [131, 125] zp 128 -> [3, -3]; w = [1, 2]: acc = -3,
     * bias 8 -> 5; scale 0.5 -> 2.5 -> 2 (half to even) + zp 1 = 3 */
    oq_q8_conv_shape s = {.batch = 1, .in_h = 1, .in_w = 1, .in_c = 2, .out_c = 1, .groups = 1,
                          .kh = 1, .kw = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1};
    cr_assert(oq_q8_conv_init(&s));
    uint8_t x[2] = {131, 125}, y = 0;
    int8_t w[2] = {1, 2};
    int32_t b = 8;
    float sc = 0.5f;
    oq_q8_requant rq;
    oq_q8_requant_fp32(&rq, &sc, 0, 1, OQ_Q8_U8);
    oq_q8_layout L = oq_q8_gemm_layout(oq_cpu_get()->best);
    void *packed = xalloc(oq_q8_conv_packed_size(L, &s));
    oq_q8_pack_conv(L, &s, w, &b, 128, packed);
    oq_q8_conv(&s, x, 128, L, packed, &y, &rq, NULL);
    cr_assert_eq(y, 3);
    free(packed);
}

/* ------------------------------------------------------------------ depthwise */

ParameterizedTestParameters(kernels, dwconv)
{
    size_t n;
    oq_q8_dw_kernels(&n);
    for (size_t i = 0; i < n; i++)
        dw_ids[i] = i;
    return cr_make_param_array(size_t, dw_ids, n);
}

ParameterizedTest(size_t *id, kernels, dwconv)
{
    size_t nk;
    const oq_q8_dw_kernel *k = &oq_q8_dw_kernels(&nk)[*id];
    if (!oq_q8_isa_usable(k->isa))
        cr_skip_test("%s: %s not available on this CPU", k->name, oq_isa_name(k->isa));
    static const size_t Cs[] = {1, 3, 7, 15, 16, 17, 31, 32, 33, 48, 70};
    for (int it = 0; it < 150; it++) {
        oq_q8_conv_shape s;
        memset(&s, 0, sizeof s);
        s.batch = 1 + rnd() % 2;
        s.in_c = s.out_c = s.groups = pick(Cs, 11);
        if (k->taps == 9 && it % 5 == 0) /* 1x9 / 9x1 windows also select the 9-tap kernels */
            s.kh = it % 10 ? 1 : 9, s.kw = 9 / s.kh;
        else if (k->taps == 9)
            s.kh = s.kw = 3;
        else if (k->taps == 25)
            s.kh = s.kw = 5;
        else
            s.kh = 1 + rnd() % 5, s.kw = 1 + rnd() % 5;
        s.stride_h = s.stride_w = 1 + rnd() % 2;
        s.dil_h = s.dil_w = 1 + (rnd() % 5 == 0);
        s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = s.kh / 2;
        s.pad_left = s.kw / 2, s.pad_right = s.kw / 2;
        s.in_h = 1 + rnd() % 9, s.in_w = 1 + rnd() % 9;
        if (it % 3 == 0) /* wide rows: long interiors for the row kernels */
            s.in_w = 10 + rnd() % 40;
        if (it % 11 == 0) /* unpadded: every window inside (row path on all rows) */
            s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 0;
        if (!oq_q8_conv_init(&s))
            continue;
        int32_t x_zp = (int32_t)pick((const size_t[]){0, 128, 255, 9}, 4);
        size_t C = s.in_c, nx = s.batch * s.in_h * s.in_w * C, nw = C * s.kh * s.kw;
        size_t ny = s.batch * s.out_h * s.out_w * C;
        uint8_t *x = xalloc(nx);
        int8_t *w = xalloc(nw);
        int32_t *bias = xalloc(C * 4);
        fill_u8(x, nx, it % 13 == 0 ? 1 : 0);
        fill_s8(w, nw, it % 13 == 0 ? 2 : 0);
        for (size_t i = 0; i < C; i++)
            bias[i] = rint_in(-5000, 5000);
        void *packed = xalloc(oq_q8_dw_packed_size(C, s.kh, s.kw));
        oq_q8_pack_dw(C, s.kh, s.kw, w, bias, x_zp, packed);
        rq_setup r;
        rq_random(&r, C, s.kh * s.kw, it % 3);
        size_t es = out_bytes(&r.rq);
        uint8_t *ref = xalloc(ny * es), *got = xalloc(ny * es);
        void *ws = xalloc(oq_q8_dw_workspace_size(&s));
        oq_q8_conv_ref(&s, x, x_zp, w, bias, ref, &r.rq);
        oq_q8_dwconv(k, &s, x, x_zp, packed, got, &r.rq, ws);
        size_t d = first_diff(ref, got, ny + 16 / es, es);
        if (d != (size_t)-1)
            cr_assert_fail("%s dw in %zux%zu C %zu k %zux%zu s %zu d %zu zp %d mode %d at %zu: got "
                           "%lld want %lld", k->name, s.in_h, s.in_w, C, s.kh, s.kw, s.stride_h,
                           s.dil_h, x_zp, r.rq.mode, d, (long long)elem(got, d, es, r.rq.out_dtype),
                           (long long)elem(ref, d, es, r.rq.out_dtype));
        rq_free(&r);
        free(x), free(w), free(bias), free(packed), free(ref), free(got), free(ws);
    }
}

/* ------------------------------------------------------------------ dynamic quantization */

Test(kernels, dynamic_qparams_onnx)
{
    /* ONNX DynamicQuantizeLinear example: x = [0, 2, -3, -2.5, 1.34, 0.5] -> scale 5/255,
     * zp = round(3 / (5/255)) = 153 */
    float x[6] = {0, 2, -3, -2.5f, 1.34f, 0.5f}, s;
    int32_t zp;
    oq_q8_dynamic_qparams(6, x, &s, &zp);
    cr_assert(s == 5.0f / 255.0f && zp == 153, "scale %g zp %d", s, zp);
    uint8_t q[6], want[6] = {153, 255, 0, 26, 221, 179};
    oq_q8_quantize(6, x, s, zp, OQ_Q8_U8, q);
    cr_assert(memcmp(q, want, 6) == 0, "%d %d %d %d %d %d", q[0], q[1], q[2], q[3], q[4], q[5]);
}

Test(kernels, dynamic_matmul)
{
    size_t M = 7, N = 21, K = 45;
    float *x = xalloc(M * K * 4), *y = xalloc(M * N * 4), *ws_y = xalloc(M * N * 4);
    int8_t *w = xalloc(K * N);
    float wsc[21], bias[21];
    for (size_t i = 0; i < M * K; i++)
        x[i] = (float)((int)(rnd() % 2001) - 700) / 300.0f;
    fill_s8(w, K * N, 0);
    for (size_t n = 0; n < N; n++)
        wsc[n] = 0.01f + n * 0.001f, bias[n] = (float)n - 10.0f;
    oq_q8_layout L = oq_q8_gemm_layout(oq_cpu_get()->best);
    void *packed = xalloc(oq_q8_packed_size(L, K, N));
    oq_q8_pack_gemm(L, K, N, w, N, 1, NULL, 0, packed);
    void *ws = xalloc(oq_q8_dynamic_workspace_size(M, N, K));
    oq_q8_dynamic_matmul(L, M, N, K, x, packed, wsc, 1, bias, y, ws);
    /* oracle: quantize with the reference, integer GEMM with the oracle, same float epilogue */
    float s;
    int32_t zp;
    oq_q8_dynamic_qparams(M * K, x, &s, &zp);
    uint8_t *xq = xalloc(M * K);
    oq_q8_quantize_ref(M * K, x, s, zp, OQ_Q8_U8, xq);
    oq_q8_requant rq;
    memset(&rq, 0, sizeof rq);
    rq.mode = OQ_Q8_RQ_S32;
    int32_t *acc = xalloc(M * N * 4);
    oq_q8_gemm_ref(M, N, K, xq, K, zp, w, NULL, acc, N, &rq);
    for (size_t i = 0; i < M * N; i++) {
        float want = fmaf((float)acc[i], s * wsc[i % N], bias[i % N]);
        cr_assert(y[i] == want, "at [%zu,%zu]: got %a want %a", i / N, i % N, y[i], want);
        /* and close to the float product (quantization error bound) */
        double f = bias[i % N];
        for (size_t k2 = 0; k2 < K; k2++)
            f += (double)x[i / N * K + k2] * w[k2 * N + i % N] * wsc[i % N];
        cr_assert(fabs(f - y[i]) < 0.6 * K * s * wsc[i % N] * 127 + 1e-3, "at %zu: %g vs %g", i, y[i], f);
    }
    free(x), free(y), free(ws_y), free(w), free(packed), free(ws), free(xq), free(acc);
}

/* ------------------------------------------------------------------ quantize / dequantize */

Test(kernels, quantize_vs_ref)
{
    static float x[1000];
    uint8_t a[1000], b[1000];
    float fa[1000], fb[1000];
    for (int dt = 0; dt < 2; dt++)
        for (int rep = 0; rep < 20; rep++) {
            size_t n = 1 + rnd() % 1000;
            float s = (float)(rnd() % 1000 + 1) / 4096.0f;
            int32_t zp = dt ? rint_in(-128, 127) : rint_in(0, 255);
            for (size_t i = 0; i < n; i++)
                x[i] = (float)((int)(rnd() % 4001) - 2000) * s / 8.0f; /* many exact ties */
            x[0] = 1e30f, x[n - 1] = -1e30f;
            if (n > 3)
                x[1] = NAN, x[2] = 2.5f * s;
            oq_q8_quantize(n, x, s, zp, (oq_q8_dtype)dt, a);
            oq_q8_quantize_ref(n, x, s, zp, (oq_q8_dtype)dt, b);
            size_t d = first_diff(a, b, n, 1);
            cr_assert(d == (size_t)-1, "quantize dt %d at %zu (x=%g): got %d want %d", dt, d, x[d], a[d], b[d]);
            oq_q8_dequantize(n, a, (oq_q8_dtype)dt, s, zp, fa);
            oq_q8_dequantize_ref(n, a, (oq_q8_dtype)dt, s, zp, fb);
            cr_assert(memcmp(fa, fb, n * 4) == 0);
        }
    /* hand: 2.5 -> 2, 3.5 -> 4 (half to even), zp 10 */
    float h[4] = {2.5f, 3.5f, -2.5f, 300.0f};
    uint8_t q[4];
    oq_q8_quantize(4, h, 1.0f, 10, OQ_Q8_U8, q);
    cr_assert(q[0] == 12 && q[1] == 14 && q[2] == 8 && q[3] == 255);
}

/* ------------------------------------------------------------------ element-wise */

Test(kernels, add_mul_hand)
{
    oq_q8_binary p;
    uint8_t a[3] = {10, 20, 255}, b[3] = {20, 21, 255}, y[3];
    oq_q8_add_init(&p, OQ_Q8_U8, 0.5f, 0, 0.5f, 0, 1.0f, 0);
    oq_q8_add(3, a, 1, b, 1, y, &p);
    /* (10+20)/2 = 15; (20+21)/2 = 20.5 -> 20; 255 -> 255 */
    cr_assert(y[0] == 15 && y[1] == 20 && y[2] == 255, "%d %d %d", y[0], y[1], y[2]);
    int8_t sa[2] = {-128, 127}, sb = 3, sy[2];
    oq_q8_add_init(&p, OQ_Q8_S8, 1.0f, 0, 1.0f, 1, 1.0f, 0);
    oq_q8_add(2, sa, 1, &sb, 0, sy, &p); /* broadcast b: -128+2, 127+2 -> saturate 127 */
    cr_assert(sy[0] == -126 && sy[1] == 127);
    oq_q8_mul_init(&p, OQ_Q8_U8, 0.5f, 128, 0.5f, 128, 1.0f, 100);
    uint8_t ma[2] = {131, 125}, mb[2] = {130, 131}, my[2];
    oq_q8_mul(2, ma, 1, mb, 1, my, &p); /* 3*2*0.25 = 1.5 -> 2; -3*3*0.25 = -2.25 -> -2 */
    cr_assert(my[0] == 102 && my[1] == 98, "%d %d", my[0], my[1]);
}

Test(kernels, concat_rescale)
{
    uint8_t a[4] = {0, 10, 20, 30}, b[2] = {100, 200}, y[6];
    const void *xs[2] = {a, b};
    size_t inner[2] = {2, 1};
    float sc[2] = {1.0f, 0.5f};
    int32_t zp[2] = {0, 100};
    oq_q8_concat(2, 2, xs, inner, sc, zp, y, 1.0f, 0, OQ_Q8_U8);
    /* rows: [0 10 | (100-100)*.5=0], [20 30 | (200-100)*.5 = 50] */
    uint8_t want[6] = {0, 10, 0, 20, 30, 50};
    cr_assert(memcmp(y, want, 6) == 0);
}

Test(kernels, pools)
{
    /* 1x2x2x2 NHWC; channel 0 = [1 2 3 4]? use [1,2 / 2,2] */
    uint8_t x[8] = {1, 10, 2, 20, 2, 30, 2, 41};
    oq_q8_pool_shape s = {.batch = 1, .in_h = 2, .in_w = 2, .c = 2, .kh = 2, .kw = 2,
                          .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1};
    cr_assert(oq_q8_pool_init(&s) && s.out_h == 1 && s.out_w == 1);
    uint8_t y[2];
    oq_q8_maxpool(&s, x, y, OQ_Q8_U8);
    cr_assert(y[0] == 2 && y[1] == 41);
    oq_q8_avgpool(&s, x, 1.0f, 0, y, 1.0f, 0, OQ_Q8_U8);
    /* (1+2+2+2)/4 = 1.75 -> 2; (10+20+30+41)/4 = 25.25 -> 25 */
    cr_assert(y[0] == 2 && y[1] == 25, "%d %d", y[0], y[1]);
    uint8_t t[4] = {1, 2, 2, 3}; /* 1.5 -> 2, 2.5 -> 2 */
    oq_q8_global_avgpool(2, 2, 1, t, 1.0f, 0, y, 1.0f, 0, OQ_Q8_U8);
    cr_assert(y[0] == 2 && y[1] == 2, "%d %d", y[0], y[1]);
    /* padding + count_include_pad: 3x3 window at a corner of a 2x2 image, pad 1 */
    oq_q8_pool_shape p = {.batch = 1, .in_h = 2, .in_w = 2, .c = 1, .kh = 3, .kw = 3,
                          .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1, .pad_top = 1,
                          .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
    uint8_t xi[4] = {9, 9, 9, 9}, yo[4];
    cr_assert(oq_q8_pool_init(&p) && p.out_h == 2);
    oq_q8_avgpool(&p, xi, 1.0f, 0, yo, 1.0f, 0, OQ_Q8_U8);
    cr_assert_eq(yo[0], 9);
    p.count_include_pad = true;
    oq_q8_avgpool(&p, xi, 1.0f, 0, yo, 1.0f, 0, OQ_Q8_U8);
    cr_assert_eq(yo[0], 4); /* 36/9 */
    int8_t sx[4] = {-128, -1, -5, -7}, sy2;
    oq_q8_pool_shape q = s;
    q.c = 1;
    oq_q8_maxpool(&q, sx, &sy2, OQ_Q8_S8);
    cr_assert_eq(sy2, -1);
}

Test(kernels, resize_lut_transpose)
{
    uint8_t x[4] = {1, 2, 3, 4}, y[16];
    oq_q8_resize_nearest(1, 2, 2, 1, 4, 4, 2.0f, 2.0f, 1, 2, x, y); /* asymmetric, floor */
    uint8_t want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    cr_assert(memcmp(y, want, 16) == 0);
    uint8_t t[256];
    oq_q8_lut_build(OQ_Q8_LUT_SIGMOID, 0, 0, 0.1f, 128, 1.0f / 256, 0, OQ_Q8_U8, t);
    cr_assert_eq(t[128], 128); /* sigmoid(0) = 0.5 */
    cr_assert_eq(t[255], 255); /* sigmoid(12.7) = 0.999997 * 256 -> 256 -> 255 */
    oq_q8_lut_build(OQ_Q8_LUT_LEAKYRELU, 0.5f, 0, 1.0f, 0, 1.0f, 0, OQ_Q8_S8, t);
    cr_assert_eq((int8_t)t[(uint8_t)-4], -2);
    cr_assert_eq((int8_t)t[(uint8_t)-3], -2); /* -1.5 -> -2 (even) */
    cr_assert_eq((int8_t)t[100], 100);
    oq_q8_lut_build(OQ_Q8_LUT_HARDSWISH, 0, 0, 0.1f, 0, 0.1f, 0, OQ_Q8_S8, t);
    cr_assert_eq((int8_t)t[30], 30);  /* x = 3: 3 * 1 */
    cr_assert_eq((int8_t)t[(uint8_t)-40], 0);
    int8_t q[3] = {10, -4, 100}, r[3];
    oq_q8_lut_apply(3, q, t, r);
    cr_assert(r[0] == (int8_t)t[10] && r[1] == (int8_t)t[(uint8_t)-4] && r[1] == -2);
    uint8_t nchw[24], nhwc[24], back[24];
    for (int i = 0; i < 24; i++)
        nchw[i] = (uint8_t)i;
    oq_q8_nchw_to_nhwc(2, 3, 4, 1, nchw, nhwc);
    cr_assert_eq(nhwc[1], 4); /* n0, p0, c1 = nchw[1*4 + 0] */
    oq_q8_nhwc_to_nchw(2, 3, 4, 1, nhwc, back);
    cr_assert(memcmp(nchw, back, 24) == 0);
}

/* oq_q8_qlinear_matmul_ref as the two-activation kernel (per-tensor qparams) against the definition: int64 sums of
 * (a - za)(b - zb), times the float multiplier, rounded half to even, zero point, saturated;
 * u8 and s8 operands and outputs, K up to the exactness bound with extreme operands. */
Test(kernels, qmatmul_two_activations)
{
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {16, 16, 16}, {2, 3, 33025}};
    uint32_t seed = 7;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++)
        for (int ty = 0; ty < 4; ty++) {
            size_t M = shapes[t][0], N = shapes[t][1], K = shapes[t][2];
            oq_q8_dtype at = ty & 1 ? OQ_Q8_S8 : OQ_Q8_U8, bt = ty & 2 ? OQ_Q8_S8 : OQ_Q8_U8;
            oq_q8_dtype yt = ty == 3 ? OQ_Q8_S8 : OQ_Q8_U8;
            bool big = K > 1000;   /* extreme operands: |a - za| = |b - zb| = 255 everywhere */
            int32_t za = big ? (at == OQ_Q8_S8 ? 127 : 255) : (at == OQ_Q8_S8 ? -3 : 120);
            int32_t zb = big ? (bt == OQ_Q8_S8 ? 127 : 255) : (bt == OQ_Q8_S8 ? 5 : 131);
            uint8_t *a = malloc(M * K), *b = malloc(K * N), *y = malloc(M * N);
            cr_assert(a && b && y);
            for (size_t i = 0; i < M * K; i++) {
                seed = seed * 1103515245u + 12345u;
                a[i] = big ? (at == OQ_Q8_S8 ? 0x80 : 0) : (uint8_t)(seed >> 16);
            }
            for (size_t i = 0; i < K * N; i++) {
                seed = seed * 1103515245u + 12345u;
                b[i] = big ? (bt == OQ_Q8_S8 ? 0x80 : 0) : (uint8_t)(seed >> 16);
            }
            float scale = big ? 1.0f / 2147483648.0f : 0.0123f;
            int32_t zy = yt == OQ_Q8_S8 ? -7 : 9, lo = yt == OQ_Q8_S8 ? -128 : 0;
            oq_q8_qlinear_matmul_ref(M, N, K, a, at, za, b, bt, &zb, 0, &scale, 0, y, yt, zy);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    int64_t s = 0;
                    for (size_t k = 0; k < K; k++) {
                        int32_t av = at == OQ_Q8_S8 ? (int8_t)a[i * K + k] : a[i * K + k];
                        int32_t bv = bt == OQ_Q8_S8 ? (int8_t)b[k * N + j] : b[k * N + j];
                        s += (int64_t)(av - za) * (bv - zb);
                    }
                    cr_assert(s <= INT32_MAX && s >= INT32_MIN);
                    double q = nearbyint((double)((float)s * scale)) + zy;
                    q = q < lo ? lo : q > lo + 255 ? lo + 255 : q;
                    int32_t got = yt == OQ_Q8_S8 ? (int8_t)y[i * N + j] : y[i * N + j];
                    cr_assert_eq(got, (int32_t)q, "shape %zu type %d at [%zu,%zu]: got %d want %d",
                                 t, ty, i, j, got, (int)q);
                }
            free(a);
            free(b);
            free(y);
        }
}
