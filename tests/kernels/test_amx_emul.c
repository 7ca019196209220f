/* test_amx_emul.c: checks the tile logic of the AMX GEMM kernel on machines without AMX. The
 * kernel source (runtime/q8/qu8-gemm/amx.c) is compiled here with the _tile_* intrinsics
 * replaced by a C model of LDTILECFG / TILELOADD / TDPBUSD / TILESTORED written from the Intel
 * SDM pseudo-code (the config is parsed by byte offset: palette at 0, colsb u16[16] at 16,
 * rows u8[16] at 48), and compared bit for bit with the GEMM oracle. This validates tile
 * shapes, strides, the B-tile view of the N16K4 layout and the K/row tails; it cannot validate
 * the silicon (the real kernel's own test skips without AMX). Needs AVX-512 VNNI (tail code). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

static struct {
    uint8_t rows[8];
    uint16_t colsb[8];
    uint8_t data[8][16][64];
} emu;

static void emu_loadconfig(const void *cfg)
{
    const uint8_t *p = cfg;
    memset(&emu, 0, sizeof emu);
    if (p[0] != 1)
        abort(); /* palette 1 is the only one defined */
    for (int t = 0; t < 8; t++) {
        emu.colsb[t] = (uint16_t)(p[16 + 2 * t] | p[17 + 2 * t] << 8);
        emu.rows[t] = p[48 + t];
        if (emu.rows[t] > 16 || emu.colsb[t] > 64)
            abort();
    }
}

static void emu_loadd(int t, const void *base, long stride)
{
    memset(emu.data[t], 0, sizeof emu.data[t]);
    for (int r = 0; r < emu.rows[t]; r++)
        memcpy(emu.data[t][r], (const uint8_t *)base + r * stride, emu.colsb[t]);
}

static void emu_stored(int t, void *base, long stride)
{
    for (int r = 0; r < emu.rows[t]; r++)
        memcpy((uint8_t *)base + r * stride, emu.data[t][r], emu.colsb[t]);
}

static void emu_zero(int t) { memset(emu.data[t], 0, sizeof emu.data[t]); }

/* TDPBUSD: C[m].dword[n] += sum_i zx(A[m].byte[4k+i]) * sx(B[k].byte[4n+i]). */
static void emu_dpbusd(int c, int a, int b)
{
    for (int m = 0; m < emu.rows[c]; m++)
        for (int n = 0; n < emu.colsb[c] / 4; n++) {
            int32_t acc;
            memcpy(&acc, &emu.data[c][m][4 * n], 4);
            for (int k = 0; k < emu.colsb[a] / 4; k++)
                for (int i = 0; i < 4; i++)
                    acc += (int32_t)emu.data[a][m][4 * k + i] * (int8_t)emu.data[b][k][4 * n + i];
            memcpy(&emu.data[c][m][4 * n], &acc, 4);
        }
}

#undef _tile_loadd
#undef _tile_stored
#undef _tile_zero
#undef _tile_dpbusd
#define _tile_loadconfig(cfg) emu_loadconfig(cfg)
#define _tile_release() ((void)0)
#define _tile_loadd(t, base, stride) emu_loadd(t, base, (long)(stride))
#define _tile_stored(t, base, stride) emu_stored(t, base, (long)(stride))
#define _tile_zero(t) emu_zero(t)
#define _tile_dpbusd(c, a, b) emu_dpbusd(c, a, b)
#define oq_qu8_gemm_minmax_ukernel_32x32c4__amx emu_amx_kernel
#include "runtime/q8/qu8-gemm/amx.c"
#undef oq_qu8_gemm_minmax_ukernel_32x32c4__amx

#include <criterion/criterion.h>

#include "common.h"

Test(kernels, amx_tile_logic_emulated)
{
    if (!oq_q8_isa_usable(OQ_ISA_AVX512VNNI))
        cr_skip_test("AVX-512 VNNI not available (the AMX kernel's tails use it)");
    oq_q8_gemm_kernel k = {OQ_ISA_AVX512VNNI, emu_amx_kernel, 32, 32, 4, OQ_Q8_LAYOUT_N16K4,
                           "amx (emulated tiles)"};
    static const size_t Ms[] = {32, 64, 96, 33, 63, 5};
    static const size_t Ns[] = {1, 16, 17, 32, 33, 48, 64, 70};
    static const size_t Ks[] = {64, 65, 67, 127, 128, 130, 191, 256, 576, 63};
    for (int it = 0; it < 120; it++) {
        size_t M = pick(Ms, 6), N = pick(Ns, 8), K = pick(Ks, 10);
        size_t lda = K + rnd() % 5, ldc = N + rnd() % 3;
        int32_t a_zp = (int32_t)pick((const size_t[]){0, 128, 255}, 3);
        uint8_t *a = xalloc(M * lda);
        int8_t *w = xalloc(K * N);
        int32_t *bias = xalloc(N * 4);
        fill_u8(a, M * lda, it % 9 == 0);
        fill_s8(w, K * N, it % 9 == 0 ? 2 : 0);
        for (size_t n = 0; n < N; n++)
            bias[n] = rint_in(-60000, 60000);
        void *packed = xalloc(oq_q8_packed_size(k.layout, K, N));
        oq_q8_pack_gemm(k.layout, K, N, w, N, 1, bias, a_zp, packed);
        rq_setup s;
        rq_random(&s, N, K, it % 3);
        size_t es = out_bytes(&s.rq), bytes = M * ldc * es;
        uint8_t *ref = xalloc(bytes), *got = xalloc(bytes);
        oq_q8_gemm_ref(M, N, K, a, lda, a_zp, w, bias, ref, ldc, &s.rq);
        oq_q8_gemm_run(&k, M, N, K, a, lda, packed, got, ldc, 0, &s.rq);
        size_t d = first_diff(ref, got, bytes / es + 16 / es, es);
        if (d != (size_t)-1)
            cr_assert_fail("emulated amx M=%zu N=%zu K=%zu mode=%d at [%zu,%zu]: got %lld want %lld",
                           M, N, K, s.rq.mode, d / ldc, d % ldc,
                           (long long)elem(got, d, es, s.rq.out_dtype),
                           (long long)elem(ref, d, es, s.rq.out_dtype));
        rq_free(&s);
        free(a), free(w), free(bias), free(packed), free(ref), free(got);
    }
}
