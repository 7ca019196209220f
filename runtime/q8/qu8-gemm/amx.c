/* qu8-gemm/amx.c: 32x32c4 AMX-INT8 GEMM micro-kernel. Tiles: tmm0-3 = C (2x2 of 16 rows x 16
 * int32), tmm4-5 = A (16 rows x 64 u8, read straight from the activations with their stride),
 * tmm6-7 = B (16 k-groups x 64 bytes: exactly 16 consecutive k-groups of an N16K4 block, stride
 * 64). tdpbusd multiplies u8 (A) by s8 (B) into int32, exact. The K remainder (< 64), the bias
 * and the epilogue run in AVX-512 VNNI on the stored C tiles; row tails (mr < 32) and K < 64 go
 * to the AVX-512 VNNI kernel. Needs the OS's XTILEDATA permission (cpu.c requests it; the
 * dispatcher only picks this kernel when granted).
 * NOT EXECUTED on the development machine (no AMX there): written from the Intel SDM/intrinsics
 * guide (LDTILECFG layout: palette byte 0, start_row byte 1, colsb u16[16] at byte 16,
 * rows u8[16] at byte 48). */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AMX /* x86-64, amx kernels built; else an empty unit */
#include "x86-epilogue.h"
#include "load.h"
#include "qu8-gemm.h"

#define TAMX __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512vnni")))

typedef struct tilecfg {
    uint8_t palette_id;          /* 1 */
    uint8_t start_row;           /* 0 */
    uint8_t reserved[14];        /* must be 0 */
    uint16_t colsb[16];          /* bytes per row of tile i */
    uint8_t rows[16];            /* rows of tile i */
} tilecfg;

TAMX void oq_qu8_gemm_minmax_ukernel_32x32c4__amx(size_t mr, size_t nc, size_t kc,
                                                 const uint8_t *a, size_t a_stride, const void *w,
                                                 void *c, size_t c_stride, size_t n0,
                                                 const oq_q8_requant *rq)
{
    assert(mr >= 1 && mr <= 32 && nc >= 1 && kc >= 1);
    if (mr < 32 || kc < 64) {
        for (size_t m = 0; m < mr; m += 8)
            oq_qu8_gemm_minmax_ukernel_8x32c4__avx512vnni(
                mr - m < 8 ? mr - m : 8, nc, kc, a + m * a_stride, a_stride, w,
                (uint8_t *)c + m * c_stride * (rq->mode == OQ_Q8_RQ_S32 ? 4 : 1), c_stride, n0, rq);
        return;
    }
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4, kc), k64 = kc / 64 * 64;
    const size_t kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette_id = 1;
    for (int t = 0; t < 8; t++)
        cfg.rows[t] = 16, cfg.colsb[t] = 64;
    _tile_loadconfig(&cfg);
    int32_t acc[32][32] __attribute__((aligned(64)));
    for (size_t nb = 0; nb < nc; nb += 32) {
        const size_t nn = nc - nb < 32 ? nc - nb : 32;
        const uint8_t *b0 = (const uint8_t *)w + nb / 16 * bb, *b1 = nn > 16 ? b0 + bb : b0;
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        for (size_t kk = 0; kk < k64; kk += 64) {
            _tile_loadd(4, a + kk, a_stride);
            _tile_loadd(5, a + 16 * a_stride + kk, a_stride);
            _tile_loadd(6, b0 + 128 + kk * 16, 64);
            _tile_loadd(7, b1 + 128 + kk * 16, 64);
            _tile_dpbusd(0, 4, 6);
            _tile_dpbusd(1, 4, 7);
            _tile_dpbusd(2, 5, 6);
            _tile_dpbusd(3, 5, 7);
        }
        _tile_stored(0, &acc[0][0], 128);
        _tile_stored(1, &acc[0][16], 128);
        _tile_stored(2, &acc[16][0], 128);
        _tile_stored(3, &acc[16][16], 128);
        float sc[32];
        if (rq->mode == OQ_Q8_RQ_FP32) {
            oq_q8_load_scales(rq, n0 + nb, nn < 16 ? nn : 16, sc);
            oq_q8_load_scales(rq, n0 + nb + 16, nn > 16 ? nn - 16 : 0, sc + 16);
        }
        const __m512i bias0 = _mm512_loadu_si512(b0), bias1 = _mm512_loadu_si512(b1);
        for (size_t r = 0; r < 32; r++) {
            const uint8_t *ar = a + r * a_stride;
            __m512i x0 = _mm512_add_epi32(_mm512_load_si512(acc[r]), bias0);
            __m512i x1 = _mm512_add_epi32(_mm512_load_si512(acc[r] + 16), bias1);
            for (size_t g = k64 / 4; g < kg; g++) {
                __m512i va = _mm512_set1_epi32(ld4(ar + 4 * g));
                x0 = _mm512_dpbusd_epi32(x0, va, _mm512_loadu_si512(b0 + 128 + 64 * g));
                x1 = _mm512_dpbusd_epi32(x1, va, _mm512_loadu_si512(b1 + 128 + 64 * g));
            }
            if (kt) {
                __m512i va = _mm512_set1_epi32(ldn(ar + 4 * kg, kt));
                x0 = _mm512_dpbusd_epi32(x0, va, _mm512_loadu_si512(b0 + 128 + 64 * kg));
                x1 = _mm512_dpbusd_epi32(x1, va, _mm512_loadu_si512(b1 + 128 + 64 * kg));
            }
            uint8_t *cr = (uint8_t *)c + (r * c_stride + nb) * es;
            epi16_512(x0, cr, nn < 16 ? nn : 16, n0 + nb, rq, sc);
            if (nn > 16)
                epi16_512(x1, cr + 16 * es, nn - 16, n0 + nb + 16, rq, sc + 16);
        }
    }
    _tile_release();
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
