/* xtest.c: self-contained kernel test driver (no Criterion) for cross builds run under qemu:
 * every usable GEMM, conv and depthwise kernel of the .inc enumerators against the unpacked
 * scalar oracles, bit for bit, on random shapes with edges; prints `N passed, N failed`
 * (exit status 1 on any failure). Kernels the CPU lacks are reported as skipped. */
#include "common.h"

static int passed, failed, skipped;

static void check(bool ok, const char *what, const char *name)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s: %s\n", name, what);
    }
}

/* Runs kernel k on a random GEMM of the given size; returns true if equal to the oracle. */
static bool gemm_case(const oq_q8_gemm_kernel *k, size_t M, size_t N, size_t K, int mode, int am,
                      int wm, char *msg)
{
    size_t lda = K + rnd() % 3, ldc = N + rnd() % 2;
    int32_t a_zp = (int32_t)pick((const size_t[]){0, 128, 255, 3}, 4);
    uint8_t *a = xalloc(M * lda);
    int8_t *w = xalloc(K * N);
    int32_t *bias = xalloc(N * 4);
    fill_u8(a, M * lda, am);
    fill_s8(w, K * N, wm);
    for (size_t n = 0; n < N; n++)
        bias[n] = rint_in(-60000, 60000);
    void *packed = xalloc(oq_q8_packed_size(k->layout, K, N));
    oq_q8_pack_gemm(k->layout, K, N, w, N, 1, bias, a_zp, packed);
    rq_setup s;
    rq_random(&s, N, K, mode);
    size_t es = out_bytes(&s.rq), bytes = M * ldc * es;
    uint8_t *ref = xalloc(bytes), *got = xalloc(bytes);
    oq_q8_gemm_ref(M, N, K, a, lda, a_zp, w, bias, ref, ldc, &s.rq);
    oq_q8_gemm_run(k, M, N, K, a, lda, packed, got, ldc, 0, &s.rq);
    size_t d = first_diff(ref, got, bytes / es + 16 / es, es);
    if (d != (size_t)-1)
        sprintf(msg, "M=%zu N=%zu K=%zu zp=%d mode=%d at %zu: got %lld want %lld", M, N, K, a_zp,
                mode, d, (long long)elem(got, d, es, s.rq.out_dtype),
                (long long)elem(ref, d, es, s.rq.out_dtype));
    rq_free(&s);
    free(a), free(w), free(bias), free(packed), free(ref), free(got);
    return d == (size_t)-1;
}

/* Random conv (dw: depthwise through kernel dk, else GEMM kernel k) vs oq_q8_conv_ref. */
static bool conv_case(const oq_q8_gemm_kernel *k, const oq_q8_dw_kernel *dk, int it, char *msg)
{
    static const size_t Cs[] = {1, 3, 7, 16, 17, 33};
    oq_q8_conv_shape s;
    memset(&s, 0, sizeof s);
    s.batch = 1 + rnd() % 2;
    if (dk) {
        s.in_c = s.out_c = s.groups = pick(Cs, 6);
        s.kh = s.kw = dk->taps == 9 ? 3 : dk->taps == 25 ? 5 : 1 + rnd() % 4;
        s.pad_top = s.pad_bottom = s.kh / 2, s.pad_left = s.pad_right = s.kw / 2;
    } else {
        s.groups = rnd() % 4 == 0 ? 2 : 1;
        s.in_c = pick(Cs, 6) * s.groups, s.out_c = pick(Cs, 6) * s.groups;
        s.kh = 1 + rnd() % 3, s.kw = 1 + rnd() % 3;
        s.pad_top = rnd() % 2, s.pad_left = rnd() % 2, s.pad_bottom = rnd() % 2, s.pad_right = rnd() % 2;
    }
    s.stride_h = s.stride_w = 1 + rnd() % 2;
    s.dil_h = s.dil_w = 1 + (rnd() % 5 == 0);
    s.in_h = 1 + rnd() % 8, s.in_w = 1 + rnd() % 8;
    if (!oq_q8_conv_init(&s))
        return true;
    int32_t x_zp = (int32_t)pick((const size_t[]){0, 128, 255, 9}, 4);
    size_t nx = s.batch * s.in_h * s.in_w * s.in_c, cg = s.in_c / s.groups;
    size_t nw = s.out_c * cg * s.kh * s.kw, ny = s.batch * s.out_h * s.out_w * s.out_c;
    uint8_t *x = xalloc(nx);
    int8_t *w = xalloc(nw);
    int32_t *bias = xalloc(s.out_c * 4);
    fill_u8(x, nx, 0);
    fill_s8(w, nw, 0);
    for (size_t i = 0; i < s.out_c; i++)
        bias[i] = rint_in(-20000, 20000);
    rq_setup r;
    rq_random(&r, s.out_c, cg * s.kh * s.kw, it % 3);
    size_t es = out_bytes(&r.rq);
    uint8_t *ref = xalloc(ny * es), *got = xalloc(ny * es);
    void *packed, *ws;
    oq_q8_conv_ref(&s, x, x_zp, w, bias, ref, &r.rq);
    if (dk) {
        packed = xalloc(oq_q8_dw_packed_size(s.in_c, s.kh, s.kw));
        oq_q8_pack_dw(s.in_c, s.kh, s.kw, w, bias, x_zp, packed);
        ws = xalloc(oq_q8_dw_workspace_size(&s));
        oq_q8_dwconv(dk, &s, x, x_zp, packed, got, &r.rq, ws);
    } else {
        packed = xalloc(oq_q8_conv_packed_size(k->layout, &s));
        oq_q8_pack_conv(k->layout, &s, w, bias, x_zp, packed);
        ws = xalloc(oq_q8_conv_workspace_size(&s) + 1);
        oq_q8_conv_with(k, &s, x, x_zp, packed, got, &r.rq, ws);
    }
    size_t d = first_diff(ref, got, ny + 16 / es, es);
    if (d != (size_t)-1)
        sprintf(msg, "in %zux%zux%zu out_c %zu g %zu k %zux%zu s %zu zp %d mode %d at %zu: got %lld "
                "want %lld", s.in_h, s.in_w, s.in_c, s.out_c, s.groups, s.kh, s.kw, s.stride_h,
                x_zp, r.rq.mode, d, (long long)elem(got, d, es, r.rq.out_dtype),
                (long long)elem(ref, d, es, r.rq.out_dtype));
    rq_free(&r);
    free(x), free(w), free(bias), free(packed), free(ref), free(got), free(ws);
    return d == (size_t)-1;
}

int main(void)
{
    static const size_t Ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 17, 33};
    static const size_t Ns[] = {1, 3, 7, 15, 16, 17, 31, 32, 33, 48, 70};
    static const size_t Ks[] = {1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 64, 65, 130};
    char msg[512];
    size_t n;
    const oq_q8_gemm_kernel *ks = oq_q8_gemm_kernels(&n);
    printf("CPU best ISA: %s\n", oq_isa_name(oq_cpu_get()->best));
    for (size_t i = 0; i < n; i++) {
        const oq_q8_gemm_kernel *k = &ks[i];
        if (!oq_q8_isa_usable(k->isa)) {
            printf("skip %s (%s not available)\n", k->name, oq_isa_name(k->isa));
            skipped++;
            continue;
        }
        int f0 = failed;
        for (int it = 0; it < 150; it++) {
            bool ok = gemm_case(k, pick(Ms, 10), pick(Ns, 11), pick(Ks, 13), it % 3,
                                it % 17 == 0, it % 13 == 0 ? 1 : it % 11 == 0 ? 2 : 0, msg);
            check(ok, msg, k->name);
        }
        for (int it = 0; it < 8; it++) {
            size_t d = tie_case(k, 1 + rnd() % 9, 1 + rnd() % 40, 1 + rnd() % 9,
                                it % 2 ? 0.5f : 0.25f, it % 3 ? 128 : 0, (oq_q8_dtype)(it % 2));
            sprintf(msg, "fp32 tie case at %zu", d);
            check(d == (size_t)-1, msg, k->name);
        }
        check(gemm_case(k, 33, 40, 2304, OQ_Q8_RQ_S32, 1, 1, msg), msg, k->name);
        check(gemm_case(k, 33, 40, 2304, OQ_Q8_RQ_S32, 1, 2, msg), msg, k->name);
        for (int it = 0; it < 40; it++)
            check(conv_case(k, NULL, it, msg), msg, k->name);
        printf("%-48s gemm+conv %s\n", k->name, failed == f0 ? "ok" : "FAILED");
    }
    const oq_q8_dw_kernel *ds = oq_q8_dw_kernels(&n);
    for (size_t i = 0; i < n; i++) {
        const oq_q8_dw_kernel *k = &ds[i];
        if (!oq_q8_isa_usable(k->isa)) {
            printf("skip %s (%s not available)\n", k->name, oq_isa_name(k->isa));
            skipped++;
            continue;
        }
        int f0 = failed;
        for (int it = 0; it < 60; it++)
            check(conv_case(NULL, k, it, msg), msg, k->name);
        printf("%-48s dwconv %s\n", k->name, failed == f0 ? "ok" : "FAILED");
    }
    /* quantize (vectorized where available) vs its reference */
    float x[300];
    uint8_t q1[300], q2[300];
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < 300; i++)
            x[i] = (float)((int)(rnd() % 4001) - 2000) / 64.0f;
        oq_q8_quantize(300, x, 0.125f, 7, (oq_q8_dtype)(rep % 2), q1);
        oq_q8_quantize_ref(300, x, 0.125f, 7, (oq_q8_dtype)(rep % 2), q2);
        check(memcmp(q1, q2, 300) == 0, "quantize differs from reference", "oq_q8_quantize");
    }
    printf("%d passed, %d failed (%d kernels skipped)\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
