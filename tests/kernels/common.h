/* common.h: shared helpers of the kernel tests (Criterion suite and the self-contained aarch64
 * driver): a deterministic RNG, random shapes/data and requant setups, and the byte comparison
 * that names the first differing element. */
#ifndef OQ_TEST_KERNELS_COMMON_H
#define OQ_TEST_KERNELS_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/q8/q8.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Uniform in [lo, hi]. */
static inline int32_t rint_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static inline size_t pick(const size_t *v, size_t n) { return v[rnd() % n]; }

/* Fills bytes; mode 0 random, 1 all 255 / max, 2 all 0 / min. */
static inline void fill_u8(uint8_t *p, size_t n, int mode)
{
    for (size_t i = 0; i < n; i++)
        p[i] = mode == 1 ? 255 : mode == 2 ? 0 : (uint8_t)rnd();
}

static inline void fill_s8(int8_t *p, size_t n, int mode)
{
    for (size_t i = 0; i < n; i++)
        p[i] = mode == 1 ? 127 : mode == 2 ? -128 : (int8_t)rint_in(-127, 127);
}

/* A random requantization setup for n channels (arrays sized n, owned by the caller). */
typedef struct rq_setup {
    oq_q8_requant rq;
    float *scale;
    int32_t *mult;
    int8_t *shift;
} rq_setup;

static inline void rq_random(rq_setup *s, size_t n, size_t K, int mode)
{
    s->scale = malloc(n * sizeof(float));
    s->mult = malloc(n * sizeof(int32_t));
    s->shift = malloc(n * sizeof(int8_t));
    oq_q8_dtype dt = rnd() % 2 ? OQ_Q8_S8 : OQ_Q8_U8;
    int32_t zp = dt == OQ_Q8_S8 ? rint_in(-128, 127) : (int32_t)pick((const size_t[]){0, 128, 255, 7}, 4);
    size_t stride = rnd() % 3 ? 1 : 0;
    double base = 1.0 / (double)(K * 128 + 1) * (double)rint_in(1, 60);
    int extreme = rnd() % 8;
    for (size_t i = 0; i < n; i++) {
        double m = base * (0.5 + (rnd() % 1000) / 1000.0);
        if (extreme == 0)
            m = 1e-7;   /* everything lands on the zero point */
        if (extreme == 1)
            m = 50.0;   /* saturation at both ends */
        s->scale[i] = (float)m;
        oq_q8_quantize_multiplier((double)s->scale[i], &s->mult[i], &s->shift[i]);
    }
    if (mode == OQ_Q8_RQ_Q31)
        oq_q8_requant_q31(&s->rq, s->mult, s->shift, stride, zp, dt);
    else
        oq_q8_requant_fp32(&s->rq, s->scale, stride, zp, dt);
    s->rq.mode = (oq_q8_rq_mode)mode;
    if (rnd() % 3 == 0) { /* fused clamp */
        oq_q8_act_bounds((int)(rnd() % 3), 0.05f, zp, dt, &s->rq.qmin, &s->rq.qmax);
    }
}

static inline void rq_free(rq_setup *s)
{
    free(s->scale), free(s->mult), free(s->shift);
}

static inline size_t out_bytes(const oq_q8_requant *rq) { return rq->mode == OQ_Q8_RQ_S32 ? 4 : 1; }

/* Index of the first differing element (element size es), or (size_t)-1. */
static inline size_t first_diff(const void *a, const void *b, size_t n, size_t es)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp((const uint8_t *)a + i * es, (const uint8_t *)b + i * es, es))
            return i;
    return (size_t)-1;
}

static inline int64_t elem(const void *p, size_t i, size_t es, oq_q8_dtype dt)
{
    if (es == 4)
        return ((const int32_t *)p)[i];
    return dt == OQ_Q8_S8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

/* Runs kernel k on a GEMM whose fp32 requantization hits exact .5 ties on most outputs (scale 0.5
 * or 0.25, small weights); returns the index of the first difference from the oracle or -1. */
static inline size_t tie_case(const oq_q8_gemm_kernel *k, size_t M, size_t N, size_t K,
                              float scale, int32_t zp, oq_q8_dtype dt)
{
    uint8_t *a = malloc(M * K);
    int8_t *w = malloc(K * N);
    int32_t *bias = malloc(N * 4);
    for (size_t i = 0; i < M * K; i++)
        a[i] = (uint8_t)rnd();
    for (size_t i = 0; i < K * N; i++)
        w[i] = (int8_t)rint_in(-2, 2);
    for (size_t i = 0; i < N; i++)
        bias[i] = rint_in(-300, 300);
    void *packed = malloc(oq_q8_packed_size(k->layout, K, N));
    oq_q8_pack_gemm(k->layout, K, N, w, N, 1, bias, 100, packed);
    oq_q8_requant rq;
    oq_q8_requant_fp32(&rq, &scale, 0, zp, dt);
    uint8_t *ref = malloc(M * N), *got = malloc(M * N);
    oq_q8_gemm_ref(M, N, K, a, K, 100, w, bias, ref, N, &rq);
    oq_q8_gemm_run(k, M, N, K, a, K, packed, got, N, 0, &rq);
    size_t d = first_diff(ref, got, M * N, 1);
    free(a), free(w), free(bias), free(packed), free(ref), free(got);
    return d;
}

/* 64-byte aligned allocation with a guard zone (tests only). */
static inline void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n + 64))
        abort();
    memset(p, 0xA5, n + 64);
    return p;
}
#endif
