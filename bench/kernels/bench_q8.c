/* bench_q8: single-thread int8 GEMM GOPS (2 ops per multiply-accumulate) of every usable GEMM
 * micro-kernel at ResNet-18 / MobileNetV2 shapes, depthwise 3x3 at MobileNetV2 layer shapes, next
 * to the measured peak of each ISA's multiply-accumulate instruction (independent chains).
 * Usage: bench_q8 [min_seconds_per_case]   (ONNXQ_ISA caps the variants tried). Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/q8/q8.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
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
        total += dt, reps++;
        best = dt < best ? dt : best;
    }
    return best;
}

#define PEAK_ITERS 20000L /* short runs: the best of many dodges other processes */
#if defined(__x86_64__)
/* Peak loops in inline asm (compilers spill or merge intrinsic chains): independent accumulator
 * chains, no loads; best of several runs (the machine may be shared). Returns GOPS. */
static double best_of(double (*f)(void))
{
    double b = 0, t0 = now();
    while (now() - t0 < min_time) {
        double g = f();
        b = g > b ? g : b;
    }
    return b;
}

#define R12(x) x(0) x(1) x(2) x(3) x(4) x(5) x(6) x(7) x(8) x(9) x(10) x(11)

__attribute__((target("avx512f"))) static double peak_avx512vnni_1(void)
{
    long n = PEAK_ITERS;
    double t0 = now();
#define I(i) "vpdpbusd %%zmm30, %%zmm31, %%zmm" #i "\n\t"
    __asm__ volatile("vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n\t"
                     "1:\n\t" R12(I) "dec %0\n\tjnz 1b\n\t"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm30", "xmm31", "cc");
#undef I
    return 2.0 * PEAK_ITERS * 12 * 64 / (now() - t0) * 1e-9;
}

static double peak_avxvnni_1(void)
{
    long n = PEAK_ITERS;
    double t0 = now();
#define I(i) "%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm" #i "\n\t"
    __asm__ volatile("vpxor %%ymm14, %%ymm14, %%ymm14\n\tvpxor %%ymm15, %%ymm15, %%ymm15\n\t"
                     "1:\n\t" R12(I) "dec %0\n\tjnz 1b\n\t"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm14", "xmm15", "cc");
#undef I
    return 2.0 * PEAK_ITERS * 12 * 32 / (now() - t0) * 1e-9;
}

#define R6(x) x(0, 6) x(1, 7) x(2, 8) x(3, 9) x(4, 10) x(5, 11)

/* AVX2's int8 multiply-accumulate: vpmaddubsw + vpmaddwd(ones) + vpaddd, 32 MACs per triple
 * (saturates past int16, which is why the exact kernel does not use it: reference peak only). */
static double peak_avx2_maddubs_1(void)
{
    long n = PEAK_ITERS;
    double t0 = now();
#define I(a, t)                                                                                    \
    "vpmaddubsw %%ymm14, %%ymm15, %%ymm" #t "\n\tvpmaddwd %%ymm13, %%ymm" #t ", %%ymm" #t          \
    "\n\tvpaddd %%ymm" #t ", %%ymm" #a ", %%ymm" #a "\n\t"
    __asm__ volatile("vpxor %%ymm13, %%ymm13, %%ymm13\n\tvpxor %%ymm14, %%ymm14, %%ymm14\n\t"
                     "vpxor %%ymm15, %%ymm15, %%ymm15\n\t1:\n\t" R6(I) R6(I) "dec %0\n\tjnz 1b\n\t"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm13", "xmm14", "xmm15", "cc");
#undef I
    return 2.0 * PEAK_ITERS * 12 * 32 / (now() - t0) * 1e-9;
}

/* vpmaddwd + vpaddd on int16 pairs (what the exact AVX2 kernel issues): 16 MACs per pair. */
static double peak_avx2_maddwd_1(void)
{
    long n = PEAK_ITERS;
    double t0 = now();
#define I(a, t)                                                                                    \
    "vpmaddwd %%ymm14, %%ymm15, %%ymm" #t "\n\tvpaddd %%ymm" #t ", %%ymm" #a ", %%ymm" #a "\n\t"
    __asm__ volatile("vpxor %%ymm14, %%ymm14, %%ymm14\n\tvpxor %%ymm15, %%ymm15, %%ymm15\n\t"
                     "1:\n\t" R6(I) R6(I) "dec %0\n\tjnz 1b\n\t"
                     : "+r"(n)::"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm14", "xmm15", "cc");
#undef I
    return 2.0 * PEAK_ITERS * 12 * 16 / (now() - t0) * 1e-9;
}
static double peak_avx512vnni(void) { return best_of(peak_avx512vnni_1); }
static double peak_avxvnni(void) { return best_of(peak_avxvnni_1); }
static double peak_avx2_maddubs(void) { return best_of(peak_avx2_maddubs_1); }
static double peak_avx2_maddwd(void) { return best_of(peak_avx2_maddwd_1); }
#endif

/* Measured peak (GOPS) of the multiply-accumulate instruction behind `isa`, 0 if none. */
static double peak_of(oq_isa isa, const char **what)
{
    static double cache[32];
    static const char *names[32];
    if (cache[isa] == 0) {
#if defined(__x86_64__)
        switch (isa) {
        case OQ_ISA_AVX2: cache[isa] = peak_avx2_maddubs(), names[isa] = "vpmaddubsw+vpmaddwd"; break;
        case OQ_ISA_AVXVNNI: cache[isa] = peak_avxvnni(), names[isa] = "vpdpbusd ymm"; break;
        case OQ_ISA_AVX512VNNI: cache[isa] = peak_avx512vnni(), names[isa] = "vpdpbusd zmm"; break;
        case OQ_ISA_AMX: cache[isa] = peak_avx512vnni(), names[isa] = "(vpdpbusd zmm; no tile peak)"; break;
        default: break;
        }
#endif
        if (!names[isa])
            names[isa] = "-";
    }
    *what = names[isa];
    return cache[isa];
}

typedef struct gemm_ctx {
    const oq_q8_gemm_kernel *k;
    size_t M, N, K;
    uint8_t *a, *c;
    void *packed;
    oq_q8_requant rq;
} gemm_ctx;

static void run_gemm(void *p)
{
    gemm_ctx *g = p;
    oq_q8_gemm_run(g->k, g->M, g->N, g->K, g->a, g->K, g->packed, g->c, g->N, 0, &g->rq);
}

typedef struct conv_ctx {
    const oq_q8_gemm_kernel *k;
    oq_q8_conv_shape s;
    uint8_t *x, *y;
    void *packed, *ws;
    oq_q8_requant rq;
} conv_ctx;

static void run_conv(void *p)
{
    conv_ctx *c = p;
    oq_q8_conv_with(c->k, &c->s, c->x, 128, c->packed, c->y, &c->rq, c->ws);
}

typedef struct dw_ctx {
    const oq_q8_dw_kernel *k;
    oq_q8_conv_shape s;
    uint8_t *x, *y;
    void *packed, *ws;
    oq_q8_requant rq;
} dw_ctx;

static void run_dw(void *p)
{
    dw_ctx *d = p;
    oq_q8_dwconv(d->k, &d->s, d->x, 128, d->packed, d->y, &d->rq, d->ws);
}

static void *xmalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 1))
        abort();
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)p)[i] = (uint8_t)(i * 2654435761u >> 13);
    return p;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        min_time = atof(argv[1]);
    static const size_t shapes[3][3] = {{3136, 64, 576}, {196, 256, 2304}, {49, 512, 4608}};
    float scales[512];
    for (int i = 0; i < 512; i++)
        scales[i] = 1.0f / 4096.0f;
    const oq_cpu *cpu = oq_cpu_get();
    printf("CPU best ISA: %s (ONNXQ_ISA=%s); single thread; GOPS = 2 * MACs / s\n\n",
           oq_isa_name(cpu->best), getenv("ONNXQ_ISA") ? getenv("ONNXQ_ISA") : "");
    printf("%-46s %10s %10s %10s %9s  %-26s %s\n", "GEMM kernel", "3136x64", "196x256",
           "49x512", "peak", "(peak instruction)", "% of peak (large shapes)");
    printf("%-46s %10s %10s %10s\n", "", "x576", "x2304", "x4608");
    size_t nk;
    const oq_q8_gemm_kernel *ks = oq_q8_gemm_kernels(&nk);
    for (size_t i = 0; i < nk; i++) {
        const oq_q8_gemm_kernel *k = &ks[i];
        if (!oq_q8_isa_usable(k->isa)) {
            printf("%-46s (not usable on this CPU)\n", k->name);
            continue;
        }
        double gops[3];
        for (int s = 0; s < 3; s++) {
            gemm_ctx g = {k, shapes[s][0], shapes[s][1], shapes[s][2], NULL, NULL, NULL, {0}};
            g.a = xmalloc(g.M * g.K);
            g.c = xmalloc(g.M * g.N);
            int8_t *w = xmalloc(g.K * g.N);
            g.packed = xmalloc(oq_q8_packed_size(k->layout, g.K, g.N));
            oq_q8_pack_gemm(k->layout, g.K, g.N, w, g.N, 1, NULL, 128, g.packed);
            oq_q8_requant_fp32(&g.rq, scales, 1, 128, OQ_Q8_U8);
            double t = time_best(run_gemm, &g);
            gops[s] = 2.0 * g.M * g.N * g.K / t * 1e-9;
            free(g.a), free(g.c), free(w), free(g.packed);
        }
        const char *what;
        double pk = peak_of(k->isa, &what);
        printf("%-46s %10.1f %10.1f %10.1f %9.1f  %-26s", k->name, gops[0], gops[1], gops[2], pk,
               what);
        if (pk > 0)
            printf(" %.0f%% %.0f%% %.0f%%", 100 * gops[0] / pk, 100 * gops[1] / pk,
                   100 * gops[2] / pk);
        printf("\n");
    }
#if defined(__x86_64__)
    if (oq_q8_isa_usable(OQ_ISA_AVX2))
        printf("%-46s %10s %10s %10s %9.1f  %-26s\n", "(AVX2 int16 vpmaddwd+vpaddd peak)", "", "",
               "", peak_avx2_maddwd(), "vpmaddwd+vpaddd");
#endif
    /* the same three shapes as whole 3x3 convolutions (NHWC, pad 1), im2col included */
    static const size_t convs[3][3] = {{56, 64, 64}, {14, 256, 256}, {7, 512, 512}};
    printf("\n%-46s %10s %10s %10s\n", "Conv 3x3 pad 1 (im2col + GEMM)", "56x56x64", "14x14x256",
           "7x7x512");
    for (size_t i = 0; i < nk; i++) {
        const oq_q8_gemm_kernel *k = &ks[i];
        if (!oq_q8_isa_usable(k->isa) || k->isa == OQ_ISA_SCALAR)
            continue;
        printf("%-46s", k->name);
        for (int s = 0; s < 3; s++) {
            size_t hw = convs[s][0], ci = convs[s][1], co = convs[s][2];
            conv_ctx c = {k, {1, hw, hw, ci, co, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, NULL,
                          NULL, NULL, NULL, {0}};
            oq_q8_conv_init(&c.s);
            c.x = xmalloc(hw * hw * ci);
            c.y = xmalloc(hw * hw * co);
            int8_t *w = xmalloc(co * ci * 9);
            c.packed = xmalloc(oq_q8_conv_packed_size(k->layout, &c.s));
            oq_q8_pack_conv(k->layout, &c.s, w, NULL, 128, c.packed);
            c.ws = xmalloc(oq_q8_conv_workspace_size(&c.s));
            oq_q8_requant_fp32(&c.rq, scales, 1, 128, OQ_Q8_U8);
            double t = time_best(run_conv, &c);
            printf(" %10.1f", 2.0 * hw * hw * co * ci * 9 / t * 1e-9);
            free(c.x), free(c.y), free(w), free(c.packed), free(c.ws);
        }
        printf("\n");
    }
    /* depthwise 3x3 (pad 1) at MobileNetV2 layer shapes: H(=W), C, stride */
    static const size_t dws[5][3] = {{112, 32, 1}, {56, 144, 1}, {56, 144, 2}, {14, 576, 1},
                                     {7, 960, 1}};
    printf("\n%-46s %10s %10s %10s %10s %10s %9s  %-26s %s\n", "depthwise 3x3 pad 1 (NHWC)",
           "112x32", "56x144", "56x144s2", "14x576", "7x960", "peak", "(peak instruction)",
           "% of peak (112x32)");
    size_t nd;
    const oq_q8_dw_kernel *ds = oq_q8_dw_kernels(&nd);
    for (size_t i = 0; i < nd; i++) {
        const oq_q8_dw_kernel *k = &ds[i];
        if (!oq_q8_isa_usable(k->isa) || (k->taps != 0 && k->taps != 9))
            continue;
        printf("%-46s", k->name);
        double g0 = 0;
        for (int sh = 0; sh < 5; sh++) {
            size_t H = dws[sh][0], C = dws[sh][1], st = dws[sh][2];
            dw_ctx d = {k, {1, H, H, C, C, C, 3, 3, st, st, 1, 1, 1, 1, 1, 1, 0, 0}, NULL, NULL,
                        NULL, NULL, {0}};
            oq_q8_conv_init(&d.s);
            d.x = xmalloc(H * H * C);
            d.y = xmalloc(d.s.out_h * d.s.out_w * C);
            int8_t *w = xmalloc(C * 9);
            d.packed = xmalloc(oq_q8_dw_packed_size(C, 3, 3));
            oq_q8_pack_dw(C, 3, 3, w, NULL, 128, d.packed);
            d.ws = xmalloc(oq_q8_dw_workspace_size(&d.s));
            oq_q8_requant_fp32(&d.rq, scales, 0, 128, OQ_Q8_U8);
            double t = time_best(run_dw, &d);
            double gops = 2.0 * d.s.out_h * d.s.out_w * C * 9 / t * 1e-9;
            g0 = sh == 0 ? gops : g0;
            printf(" %10.1f", gops);
            free(d.x), free(d.y), free(w), free(d.packed), free(d.ws);
        }
        const char *what;
        double pk = peak_of(k->isa, &what);
        printf(" %9.1f  %-26s", pk, what);
        if (pk > 0)
            printf(" %.0f%%", 100 * g0 / pk);
        printf("\n");
    }
    return 0;
}
