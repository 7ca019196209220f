/* bench_f32: single-thread GFLOP/s of the fp32 kernels per ISA variant at ResNet-18 and
 * MobileNetV2 shapes (GEMM with prepacked weights as conv runs it, whole Conv calls incl.
 * im2col-pack, depthwise), next to a measured FMA peak for each ISA. Not run by the tests.
 * Usage: bench_f32 [min_seconds_per_case [name_filter]]   (ONNXQ_ISA caps the variants tried) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/f32/f32.h"

/* CPU time of this thread: the machine may be shared, and time-slicing with other processes
 * must not count (wall time is noisy there); single-threaded code, so this is its latency. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double min_time = 0.3;

/* Best seconds per call of fn(ctx) over repeated runs totalling >= min_time. */
static double time_best(void (*fn)(void *), void *ctx)
{
    fn(ctx);
    double best = 1e30, total = 0;
    int reps = 0;
    while (total < min_time || reps < 3) {
        double t0 = now();
        fn(ctx);
        double dt = now() - t0;
        total += dt;
        reps++;
        if (dt < best)
            best = dt;
    }
    return best;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define PEAK_ITERS 500000L
/* 12 independent FMA chains of ymm (distinct values, so none are merged); returns GFLOP/s. */
__attribute__((target("avx2,fma"))) static double peak_avx2(void)
{
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2);
    __m256 a3 = _mm256_set1_ps(3), a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5);
    __m256 a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7), a8 = _mm256_set1_ps(8);
    __m256 a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);
    double t0 = now();
    for (long n = 0; n < PEAK_ITERS; n++) {
        a0 = _mm256_fmadd_ps(a0, m, c), a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c), a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c), a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c), a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c), a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c), a11 = _mm256_fmadd_ps(a11, m, c);
    }
    double dt = now() - t0;
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    volatile float sink = _mm256_cvtss_f32(s);
    (void)sink;
    return 12.0 * 8 * 2 * PEAK_ITERS / dt * 1e-9;
}

/* 12 independent FMA chains of zmm; returns GFLOP/s. */
__attribute__((target("avx512f"))) static double peak_avx512(void)
{
    __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2);
    __m512 a3 = _mm512_set1_ps(3), a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5);
    __m512 a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7), a8 = _mm512_set1_ps(8);
    __m512 a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
    double t0 = now();
    for (long n = 0; n < PEAK_ITERS; n++) {
        a0 = _mm512_fmadd_ps(a0, m, c), a1 = _mm512_fmadd_ps(a1, m, c);
        a2 = _mm512_fmadd_ps(a2, m, c), a3 = _mm512_fmadd_ps(a3, m, c);
        a4 = _mm512_fmadd_ps(a4, m, c), a5 = _mm512_fmadd_ps(a5, m, c);
        a6 = _mm512_fmadd_ps(a6, m, c), a7 = _mm512_fmadd_ps(a7, m, c);
        a8 = _mm512_fmadd_ps(a8, m, c), a9 = _mm512_fmadd_ps(a9, m, c);
        a10 = _mm512_fmadd_ps(a10, m, c), a11 = _mm512_fmadd_ps(a11, m, c);
    }
    double dt = now() - t0;
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 12.0 * 16 * 2 * PEAK_ITERS / dt * 1e-9;
}

/* Best of 200 short runs (the machine may be shared). */
static double peak_best(double (*fn)(void))
{
    double best = 0;
    for (int i = 0; i < 200; i++) {
        double g = fn();
        best = g > best ? g : best;
    }
    return best;
}
#endif

static float *randbuf(size_t n)
{
    float *p = malloc(n * sizeof(float) + 64);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return p;
}

typedef struct gemm_case {
    oq_f32_isa isa;
    size_t M, N, K;
    bool pack_a, pack_b;
    float *A, *B, *C;
    void *pa, *pb, *ws;
} gemm_case;

static void run_gemm(void *v)
{
    gemm_case *g = v;
    oq_f32_operand a = {g->A, g->K, false, g->pa}, b = {g->B, g->N, false, g->pb};
    oq_f32_epilogue ep = oq_f32_epilogue_default();
    oq_f32_gemm_ex(g->isa, g->M, g->N, g->K, &a, &b, &ep, g->C, g->N, g->ws);
}

/* GFLOP/s of an M x N x K product; weights prepacked as A (conv) or B (fc). */
static double bench_gemm(oq_f32_isa isa, size_t M, size_t N, size_t K, bool packed_b)
{
    gemm_case g = {isa, M, N, K, !packed_b, packed_b, randbuf(M * K), randbuf(K * N),
                   randbuf(M * N), NULL, NULL, NULL};
    g.ws = malloc(oq_f32_gemm_workspace_size(M, N, K));
    if (packed_b) {
        g.pb = malloc(oq_f32_pack_b_size(isa, K, N));
        oq_f32_pack_b(isa, false, K, N, g.B, N, g.pb);
    } else {
        g.pa = malloc(oq_f32_pack_a_size(isa, M, K));
        oq_f32_pack_a(isa, false, M, K, g.A, K, g.pa);
    }
    double t = time_best(run_gemm, &g);
    free(g.A), free(g.B), free(g.C), free(g.pa), free(g.pb), free(g.ws);
    return 2.0 * (double)M * (double)N * (double)K / t * 1e-9;
}

typedef struct conv_case {
    oq_f32_conv_params p;
    float *x, *bias, *y;
    void *pw, *ws;
} conv_case;

static void run_conv(void *v)
{
    conv_case *c = v;
    oq_f32_conv(&c->p, c->x, c->pw, c->bias, c->y, c->ws);
}

/* GFLOP/s (2*MACs) and ms of a 2D conv call (C, HxW) -> M, kxk, stride s, pad k/2, group g. */
static double bench_conv(oq_f32_isa isa, int64_t C, int64_t H, int64_t M, int64_t k, int64_t s,
                         int64_t group, double *ms)
{
    conv_case c;
    oq_f32_conv_params_init(&c.p);
    c.p.isa = isa;
    c.p.C = C, c.p.M = M, c.p.group = group;
    for (int d = 0; d < 2; d++) {
        c.p.in[d] = H, c.p.k[d] = k, c.p.stride[d] = s;
        c.p.pad_begin[d] = c.p.pad_end[d] = k / 2;
        c.p.out[d] = (H + 2 * (k / 2) - k) / s + 1;
    }
    c.p.clamp_min = 0.0f;
    size_t wn = (size_t)(M * (C / group) * k * k), on = (size_t)(M * c.p.out[0] * c.p.out[1]);
    float *w = randbuf(wn);
    c.x = randbuf((size_t)(C * H * H));
    c.bias = randbuf((size_t)M);
    c.y = randbuf(on);
    c.pw = malloc(oq_f32_conv_pack_size(&c.p));
    oq_f32_conv_pack(&c.p, w, c.pw);
    c.ws = malloc(oq_f32_conv_workspace_size(&c.p));
    double t = time_best(run_conv, &c);
    free(w), free(c.x), free(c.bias), free(c.y), free(c.pw), free(c.ws);
    *ms = t * 1e3;
    return 2.0 * (double)wn * (double)(c.p.out[0] * c.p.out[1]) / t * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        min_time = atof(argv[1]);
    const char *filter = argc > 2 ? argv[2] : "";
    oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    printf("fp32 kernels, single thread, thread CPU time, best of >= %.2fs per case; "
           "GFLOP/s = 2*MACs/time\n",
           min_time);
#if defined(__x86_64__)
    if (oq_f32_isa_supported(OQ_F32_AVX2))
        printf("FMA peak avx2 (ymm): %.1f GFLOP/s\n", peak_best(peak_avx2));
    if (oq_f32_isa_supported(OQ_F32_AVX512))
        printf("FMA peak avx512 (zmm): %.1f GFLOP/s\n", peak_best(peak_avx512));
#endif
    static const struct { const char *name; size_t M, N, K; bool pb; } gs[] = {
        {"r18 conv1 im2col 64x12544x147", 64, 12544, 147, false},
        {"r18 layer1 3x3 64x3136x576", 64, 3136, 576, false},
        {"r18 layer2 3x3 128x784x1152", 128, 784, 1152, false},
        {"r18 layer3 3x3 256x196x2304", 256, 196, 2304, false},
        {"r18 layer4 3x3 512x49x4608", 512, 49, 4608, false},
        {"r18 fc 1x1000x512 (packed B)", 1, 1000, 512, true},
        {"mv2 pw expand 96x12544x16", 96, 12544, 16, false},
        {"mv2 pw expand 144x3136x24", 144, 3136, 24, false},
        {"mv2 pw project 24x3136x144", 24, 3136, 144, false},
        {"mv2 pw project 64x196x384", 64, 196, 384, false},
        {"mv2 pw last 1280x49x320", 1280, 49, 320, false},
        {"square 512x512x512", 512, 512, 512, false},
    };
    printf("\n%-34s", "GEMM (prepacked weights)");
    for (int i = 0; i < 3; i++)
        if (oq_f32_isa_supported(isas[i]))
            printf(" %10s", oq_f32_isa_name(isas[i]));
    printf("\n");
    for (size_t c = 0; c < sizeof gs / sizeof gs[0]; c++) {
        if (!strstr(gs[c].name, filter))
            continue;
        printf("%-34s", gs[c].name);
        for (int i = 0; i < 3; i++)
            if (oq_f32_isa_supported(isas[i]))
                printf(" %10.1f", bench_gemm(isas[i], gs[c].M, gs[c].N, gs[c].K, gs[c].pb));
        printf("\n");
        fflush(stdout);
    }
    static const struct { const char *name; int64_t C, H, M, k, s, g; } cs[] = {
        {"r18 conv1 3->64 224 k7 s2", 3, 224, 64, 7, 2, 1},
        {"r18 layer1 64->64 56 k3", 64, 56, 64, 3, 1, 1},
        {"r18 layer2 128->128 28 k3", 128, 28, 128, 3, 1, 1},
        {"r18 layer2.0 64->128 56 k3 s2", 64, 56, 128, 3, 2, 1},
        {"r18 layer3 256->256 14 k3", 256, 14, 256, 3, 1, 1},
        {"r18 layer4 512->512 7 k3", 512, 7, 512, 3, 1, 1},
        {"r18 down 64->128 56 k1 s2", 64, 56, 128, 1, 2, 1},
        {"mv2 pw 32->16 112 k1", 32, 112, 16, 1, 1, 1},
        {"mv2 pw 16->96 112 k1", 16, 112, 96, 1, 1, 1},
        {"mv2 dw 32 112 k3", 32, 112, 32, 3, 1, 32},
        {"mv2 dw 96 112 k3 s2", 96, 112, 96, 3, 2, 96},
        {"mv2 dw 144 56 k3", 144, 56, 144, 3, 1, 144},
        {"mv2 dw 960 7 k3", 960, 7, 960, 3, 1, 960},
    };
    printf("\n%-34s", "Conv call GFLOP/s (ms)");
    for (int i = 0; i < 3; i++)
        if (oq_f32_isa_supported(isas[i]))
            printf(" %16s", oq_f32_isa_name(isas[i]));
    printf("\n");
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        if (!strstr(cs[c].name, filter))
            continue;
        printf("%-34s", cs[c].name);
        for (int i = 0; i < 3; i++)
            if (oq_f32_isa_supported(isas[i])) {
                double ms, gf = bench_conv(isas[i], cs[c].C, cs[c].H, cs[c].M, cs[c].k, cs[c].s,
                                           cs[c].g, &ms);
                printf(" %7.1f (%6.3f)", gf, ms);
            }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}
