/* Tests of runtime/f32: every ISA variant (scalar, AVX2, AVX-512; skipped when the CPU lacks it)
 * against naive double-precision references, on edge shapes (1, 7, 17, 63, 129, block-crossing
 * sizes), all transposes, prepacked operands, bias/clamp epilogues, Conv (groups, depthwise,
 * strides, dilations, asymmetric pads, 1D/2D/3D, 1x1 images; small maps with >= 64 channels
 * take the transposed-GEMM form) and ConvTranspose.
 * Tolerance: |got - ref| <= 8 * FLT_EPSILON * (terms + 2) * sum|terms| + 1e-30, the usual bound
 * for a float sum of `terms` products (terms = K, or Cg*kvol for convs). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/f32/f32.h"

static uint64_t rng_state = 88172645463325252ull;

static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) & 0xffffff) / (float)0x1000000 * 2.0f - 1.0f;
}

static float *rbuf(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

static void *wsbuf(size_t n)
{
    void *p = malloc(n ? n : 1);
    memset(p, 0xff, n);        /* NaN garbage: kernels must not read uninitialized scratch */
    return p;
}

static bool close_enough(double got, double ref, double mag, size_t terms)
{
    double tol = 8.0 * FLT_EPSILON * (double)(terms + 2) * mag + 1e-30;
    return fabs(got - ref) <= tol;
}

static void skip_unless(oq_f32_isa isa)
{
    if (!oq_f32_isa_supported(isa))
        cr_skip_test("ISA %s not available on this CPU", oq_f32_isa_name(isa));
}

ParameterizedTestParameters(f32, gemm_shapes)
{
    static oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    return cr_make_param_array(oq_f32_isa, isas, 3);
}

/* One product checked against the double reference; raw or packed operands per flags. */
static void check_gemm(oq_f32_isa isa, size_t M, size_t N, size_t K, bool ta, bool tb,
                       bool pack_a, bool pack_b, float alpha, float beta, bool bias_m,
                       bool bias_n, float lo, float hi, oq_f32_isa pack_isa)
{
    size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
    float *A = rbuf((ta ? K : M) * lda), *B = rbuf((tb ? N : K) * ldb);
    float *C = rbuf(M * ldc), *C0 = malloc(M * ldc * sizeof(float) + 4);
    float *bm = rbuf(M), *bn = rbuf(N);
    if (beta == 0.0f)
        for (size_t i = 0; i < M * ldc; i++)
            C[i] = NAN;        /* beta == 0: C must not be read */
    memcpy(C0, C, M * ldc * sizeof(float));
    void *pa = NULL, *pb = NULL;
    oq_f32_operand a = {A, lda, ta, NULL}, b = {B, ldb, tb, NULL};
    if (pack_a) {
        pa = malloc(oq_f32_pack_a_size(pack_isa, M, K));
        oq_f32_pack_a(pack_isa, ta, M, K, A, lda, pa);
        a.packed = pa;
    }
    if (pack_b) {
        pb = malloc(oq_f32_pack_b_size(isa, K, N));
        oq_f32_pack_b(isa, tb, K, N, B, ldb, pb);
        b.packed = pb;
    }
    oq_f32_epilogue ep = {alpha, beta, bias_m ? bm : NULL, bias_n ? bn : NULL, lo, hi};
    void *ws = wsbuf(oq_f32_gemm_workspace_size(M, N, K));
    oq_f32_gemm_ex(isa, M, N, K, &a, &b, &ep, C, ldc, ws);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (size_t k = 0; k < K; k++) {
                double x = ta ? A[k * lda + i] : A[i * lda + k];
                double y = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += x * y;
                mag += fabs(x * y);
            }
            s *= alpha;
            mag *= fabs(alpha);
            if (beta != 0.0f) {
                s += beta * (double)C0[i * ldc + j];
                mag += fabs(beta * (double)C0[i * ldc + j]);
            }
            if (bias_m)
                s += bm[i], mag += fabs(bm[i]);
            if (bias_n)
                s += bn[j], mag += fabs(bn[j]);
            s = s < lo ? lo : s > hi ? hi : s;
            double got = C[i * ldc + j];
            if (!close_enough(got, s, mag, K))
                cr_assert_fail("%s gemm M=%zu N=%zu K=%zu ta=%d tb=%d pa=%d pb=%d at [%zu,%zu]: "
                         "got %.9g want %.9g", oq_f32_isa_name(isa), M, N, K, ta, tb, pack_a,
                         pack_b, i, j, got, s);
        }
    for (size_t i = 0; i < M; i++)  /* padding column untouched */
        cr_assert(memcmp(&C[i * ldc + N], &C0[i * ldc + N], sizeof(float)) == 0,
                  "column past N written at row %zu", i);
    free(A), free(B), free(C), free(C0), free(bm), free(bn), free(pa), free(pb), free(ws);
}

ParameterizedTest(oq_f32_isa *isa, f32, gemm_shapes)
{
    skip_unless(*isa);
    static const size_t sz[] = {1, 7, 17, 63, 129};
    for (size_t m = 0; m < 5; m++)
        for (size_t n = 0; n < 5; n++)
            for (size_t k = 0; k < 5; k++)
                for (int t = 0; t < 4; t++)
                    check_gemm(*isa, sz[m], sz[n], sz[k], t & 1, t & 2, false, false, 1.0f,
                               0.0f, false, false, -INFINITY, INFINITY, *isa);
}

ParameterizedTestParameters(f32, gemm_blocks)
{
    static oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    return cr_make_param_array(oq_f32_isa, isas, 3);
}

/* Sizes crossing the KC (256), MC (~128) and NC (512) blocks, with alpha/beta. */
ParameterizedTest(oq_f32_isa *isa, f32, gemm_blocks)
{
    skip_unless(*isa);
    check_gemm(*isa, 200, 600, 300, false, false, false, false, 1.0f, 0.0f, false, false,
               -INFINITY, INFINITY, *isa);
    check_gemm(*isa, 131, 1100, 513, true, false, false, false, 0.5f, 2.0f, false, false,
               -INFINITY, INFINITY, *isa);
    check_gemm(*isa, 257, 33, 700, false, true, false, false, -1.5f, 1.0f, false, false,
               -INFINITY, INFINITY, *isa);
    check_gemm(*isa, 64, 3136 / 4, 576, false, false, true, false, 1.0f, 0.0f, true, false,
               0.0f, INFINITY, *isa);
}

ParameterizedTestParameters(f32, gemm_packed)
{
    static oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    return cr_make_param_array(oq_f32_isa, isas, 3);
}

/* Prepacked A and/or B (both transposes), bias per row/column, clamps, beta. */
ParameterizedTest(oq_f32_isa *isa, f32, gemm_packed)
{
    skip_unless(*isa);
    static const size_t sz[] = {1, 7, 17, 63, 129, 300};
    for (size_t m = 0; m < 6; m++)
        for (size_t n = 0; n < 6; n++)
            for (int t = 0; t < 8; t++) {
                size_t k = sz[(m + n + (size_t)t) % 6];
                check_gemm(*isa, sz[m], sz[n], k, t & 1, t & 2, true, t & 4, 1.0f,
                           t & 1 ? 0.5f : 0.0f, t & 2, t & 4, t & 1 ? -0.25f : 0.0f,
                           t & 2 ? 0.5f : INFINITY, *isa);
                check_gemm(*isa, sz[m], sz[n], k, t & 1, t & 2, false, true, 1.0f, 0.0f,
                           true, true, -INFINITY, INFINITY, *isa);
            }
}

ParameterizedTestParameters(f32, gemm_foreign_packing)
{
    static oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    return cr_make_param_array(oq_f32_isa, isas, 3);
}

/* A packed for one ISA, B for another: the driver must fall back to the generic tile. */
ParameterizedTest(oq_f32_isa *isa, f32, gemm_foreign_packing)
{
    skip_unless(*isa);
    for (int o = OQ_F32_SCALAR; o <= OQ_F32_AVX512; o++) {
        if (!oq_f32_isa_supported((oq_f32_isa)o))
            continue;
        check_gemm(*isa, 29, 45, 70, false, false, true, true, 1.0f, 0.0f, true, false,
                   -INFINITY, INFINITY, (oq_f32_isa)o);
        check_gemm(*isa, 29, 45, 270, true, true, true, false, 1.0f, 0.0f, false, true, 0.0f,
                   INFINITY, (oq_f32_isa)o);
    }
}

Test(f32, gemm_degenerate)
{
    float C[6] = {1, 2, 3, 4, 5, 6}, bn[3] = {10, 20, 30};
    char ws[256];
    oq_f32_operand a = {NULL, 0, false, NULL}, b = {NULL, 0, false, NULL};
    oq_f32_epilogue ep = {1.0f, 2.0f, NULL, bn, -INFINITY, 45.0f};
    oq_f32_gemm_ex(OQ_F32_AUTO, 2, 3, 0, &a, &b, &ep, C, 3, ws);   /* K = 0: beta*C + bias */
    float want[6] = {12, 24, 36, 18, 30, 42};
    want[5] = 42;
    for (int i = 0; i < 6; i++)
        cr_assert_float_eq(C[i], want[i] > 45 ? 45 : want[i], 0.0f, "at %d", i);
    oq_f32_gemm_ex(OQ_F32_AUTO, 0, 3, 5, &a, &b, &ep, C, 3, ws);   /* M = 0: no-op */
    cr_assert_float_eq(C[0], 12.0f, 0.0f);
    cr_assert(oq_f32_isa_supported(OQ_F32_SCALAR));
    cr_assert(oq_f32_isa_supported(oq_f32_isa_best()));
}

Test(f32, blas_wrapper)
{
    size_t M = 9, N = 11, K = 13;
    float *A = rbuf(K * M), *B = rbuf(N * K), *C = rbuf(M * N), *R = malloc(M * N * 4);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0;
            for (size_t k = 0; k < K; k++)
                s += (double)A[k * M + i] * B[j * K + k];
            R[i * N + j] = (float)(0.5 * s + 2.0 * C[i * N + j]);
        }
    void *ws = wsbuf(oq_f32_gemm_workspace_size(M, N, K));
    oq_f32_gemm(true, true, M, N, K, 0.5f, A, M, B, K, 2.0f, C, N, ws);
    for (size_t i = 0; i < M * N; i++)
        cr_assert_float_eq(C[i], R[i], 1e-5f, "at %zu: got %g want %g", i, C[i], R[i]);
    free(A), free(B), free(C), free(R), free(ws);
}

/* ------------------------------------------------------------------------------ Conv */

typedef struct conv_case {
    int ns;
    int64_t N, C, M, group;
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3];
    bool bias, relu6;
} conv_case;

static void make_params(const conv_case *c, oq_f32_isa isa, oq_f32_conv_params *p)
{
    oq_f32_conv_params_init(p);
    p->nspatial = c->ns;
    p->N = c->N, p->C = c->C, p->M = c->M, p->group = c->group;
    p->isa = isa;
    for (int d = 0; d < c->ns; d++) {
        p->in[d] = c->in[d], p->k[d] = c->k[d], p->stride[d] = c->s[d], p->dil[d] = c->d[d];
        p->pad_begin[d] = c->pb[d], p->pad_end[d] = c->pe[d];
        p->out[d] = (c->in[d] + c->pb[d] + c->pe[d] - c->d[d] * (c->k[d] - 1) - 1) / c->s[d] + 1;
    }
    if (c->relu6)
        p->clamp_min = 0.0f, p->clamp_max = 6.0f;
}

static size_t vol(const int64_t *v, int ns)
{
    size_t r = 1;
    for (int d = 0; d < ns; d++)
        r *= (size_t)v[d];
    return r;
}

/* Spatial multi-index helpers over up to 3 dims. */
static void unravel(size_t idx, const int64_t *dims, int ns, int64_t *out)
{
    for (int d = ns - 1; d >= 0; d--) {
        out[d] = (int64_t)(idx % (size_t)dims[d]);
        idx /= (size_t)dims[d];
    }
}

static size_t ravel(const int64_t *pos, const int64_t *dims, int ns)
{
    size_t r = 0;
    for (int d = 0; d < ns; d++)
        r = r * (size_t)dims[d] + (size_t)pos[d];
    return r;
}

static void check_conv(oq_f32_isa isa, const conv_case *c)
{
    oq_f32_conv_params p;
    make_params(c, isa, &p);
    int ns = c->ns;
    size_t iv = vol(p.in, ns), kv = vol(p.k, ns), ov = vol(p.out, ns);
    size_t Cg = (size_t)(c->C / c->group), Mg = (size_t)(c->M / c->group);
    float *x = rbuf((size_t)(c->N * c->C) * iv), *w = rbuf((size_t)c->M * Cg * kv);
    float *b = rbuf((size_t)c->M), *y = rbuf((size_t)(c->N * c->M) * ov + 1);
    float guard = y[(size_t)(c->N * c->M) * ov];
    void *pw = malloc(oq_f32_conv_pack_size(&p));
    oq_f32_conv_pack(&p, w, pw);
    void *ws = wsbuf(oq_f32_conv_workspace_size(&p));
    oq_f32_conv(&p, x, pw, c->bias ? b : NULL, y, ws);
    cr_assert(memcmp(&guard, &y[(size_t)(c->N * c->M) * ov], 4) == 0, "wrote past y");
    for (size_t n = 0; n < (size_t)c->N; n++)
        for (size_t m = 0; m < (size_t)c->M; m++)
            for (size_t o = 0; o < ov; o++) {
                int64_t op[3], ip[3], kp[3];
                unravel(o, p.out, ns, op);
                size_t g = m / Mg;
                double s = c->bias ? b[m] : 0.0, mag = fabs(s);
                for (size_t ci = 0; ci < Cg; ci++)
                    for (size_t kk = 0; kk < kv; kk++) {
                        unravel(kk, p.k, ns, kp);
                        bool ok = true;
                        for (int d = 0; d < ns; d++) {
                            ip[d] = op[d] * p.stride[d] - p.pad_begin[d] + kp[d] * p.dil[d];
                            ok = ok && ip[d] >= 0 && ip[d] < p.in[d];
                        }
                        if (!ok)
                            continue;
                        double xv = x[((n * (size_t)c->C) + g * Cg + ci) * iv +
                                      ravel(ip, p.in, ns)];
                        double wv = w[(m * Cg + ci) * kv + kk];
                        s += xv * wv;
                        mag += fabs(xv * wv);
                    }
                if (c->relu6)
                    s = s < 0 ? 0 : s > 6 ? 6 : s;
                double got = y[(n * (size_t)c->M + m) * ov + o];
                if (!close_enough(got, s, mag, Cg * kv))
                    cr_assert_fail("%s conv ns=%d C=%lld M=%lld g=%lld k=%lld s=%lld "
                                   "d=%lld at n=%zu m=%zu o=%zu: got %.9g want %.9g",
                                   oq_f32_isa_name(isa), ns, (long long)c->C, (long long)c->M,
                                   (long long)c->group, (long long)c->k[0], (long long)c->s[0],
                                   (long long)c->d[0], n, m, o, got, s);
            }
    free(x), free(w), free(b), free(y), free(pw), free(ws);
}

/* ns N C M group | in k s d pad_begin pad_end | bias relu6 */
static const conv_case conv_cases[] = {
    {2, 1, 3, 8, 1, {9, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true, false},
    {2, 2, 5, 7, 1, {8, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 2}, true, true},
    {2, 1, 6, 9, 3, {7, 10}, {3, 2}, {1, 2}, {2, 1}, {2, 0}, {1, 1}, false, false},
    {2, 1, 17, 63, 1, {5, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, true, false},
    {2, 1, 64, 129, 1, {3, 4}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, true, true},
    {2, 1, 16, 32, 1, {9, 9}, {1, 1}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, true, false},
    {2, 1, 16, 16, 16, {13, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true, true},
    {2, 2, 8, 8, 8, {12, 15}, {3, 3}, {2, 2}, {1, 1}, {0, 1}, {1, 0}, true, false},
    {2, 1, 4, 12, 4, {40, 37}, {5, 5}, {2, 1}, {2, 2}, {4, 3}, {2, 4}, true, false},
    {2, 1, 3, 3, 3, {1, 1}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true, false},
    {2, 1, 7, 5, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, false, false},
    {2, 1, 7, 5, 1, {1, 1}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true, false},
    {2, 1, 1, 20, 1, {28, 28}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, true, true},
    {2, 1, 32, 32, 32, {67, 70}, {3, 3}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, true, false},
    {2, 1, 3, 64, 1, {37, 41}, {7, 7}, {2, 2}, {1, 1}, {3, 3}, {3, 3}, true, true},
    {2, 1, 40, 72, 1, {20, 20}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true, false},
    {2, 1, 6, 6, 6, {9, 16}, {3, 3}, {2, 2}, {1, 1}, {1, 2}, {1, 2}, true, false},
    {2, 1, 5, 10, 5, {11, 21}, {3, 3}, {2, 2}, {2, 2}, {2, 1}, {2, 0}, true, true},
    {2, 1, 4, 4, 4, {6, 7}, {3, 5}, {2, 2}, {1, 1}, {0, 3}, {0, 3}, false, false},
    {2, 2, 24, 96, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, true, true},
    {2, 1, 64, 128, 2, {9, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 1}, true, false},
    {2, 1, 130, 70, 1, {5, 6}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 1}, true, false},
    {1, 2, 6, 10, 2, {30}, {5}, {2}, {3}, {4}, {1}, true, false},
    {1, 1, 8, 8, 8, {50}, {3}, {1}, {1}, {1}, {1}, true, true},
    {3, 1, 4, 6, 2, {5, 6, 7}, {3, 2, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 2}, {0, 1, 2}, true, false},
    {3, 1, 3, 3, 3, {4, 5, 6}, {2, 3, 3}, {1, 1, 2}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, true, false},
};

ParameterizedTestParameters(f32, conv)
{
    static oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    return cr_make_param_array(oq_f32_isa, isas, 3);
}

ParameterizedTest(oq_f32_isa *isa, f32, conv)
{
    skip_unless(*isa);
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        check_conv(*isa, &conv_cases[i]);
}

/* ------------------------------------------------------------------------ ConvTranspose */

static void check_deconv(oq_f32_isa isa, const conv_case *c, const int64_t *outpad)
{
    oq_f32_conv_params p;
    oq_f32_conv_params_init(&p);
    int ns = c->ns;
    p.nspatial = ns;
    p.N = c->N, p.C = c->C, p.M = c->M, p.group = c->group, p.isa = isa;
    for (int d = 0; d < ns; d++) {
        p.in[d] = c->in[d], p.k[d] = c->k[d], p.stride[d] = c->s[d], p.dil[d] = c->d[d];
        p.pad_begin[d] = c->pb[d], p.pad_end[d] = c->pe[d];
        p.out[d] = c->s[d] * (c->in[d] - 1) + outpad[d] + (c->k[d] - 1) * c->d[d] + 1 - c->pb[d] -
                   c->pe[d];
    }
    if (c->relu6)
        p.clamp_min = 0.0f, p.clamp_max = 6.0f;
    size_t iv = vol(p.in, ns), kv = vol(p.k, ns), ov = vol(p.out, ns);
    size_t Cg = (size_t)(c->C / c->group), Mg = (size_t)(c->M / c->group);
    float *x = rbuf((size_t)(c->N * c->C) * iv), *w = rbuf((size_t)c->C * Mg * kv);
    float *b = rbuf((size_t)c->M), *y = rbuf((size_t)(c->N * c->M) * ov);
    double *ref = calloc((size_t)(c->N * c->M) * ov, sizeof(double));
    double *mag = calloc((size_t)(c->N * c->M) * ov, sizeof(double));
    void *pw = malloc(oq_f32_conv_transpose_pack_size(&p));
    oq_f32_conv_transpose_pack(&p, w, pw);
    void *ws = wsbuf(oq_f32_conv_transpose_workspace_size(&p));
    oq_f32_conv_transpose(&p, x, pw, c->bias ? b : NULL, y, ws);
    for (size_t n = 0; n < (size_t)c->N; n++)
        for (size_t ci = 0; ci < (size_t)c->C; ci++)
            for (size_t i = 0; i < iv; i++)
                for (size_t mm = 0; mm < Mg; mm++)
                    for (size_t kk = 0; kk < kv; kk++) {
                        int64_t ip[3], kp[3], op[3];
                        unravel(i, p.in, ns, ip);
                        unravel(kk, p.k, ns, kp);
                        bool ok = true;
                        for (int d = 0; d < ns; d++) {
                            op[d] = ip[d] * p.stride[d] - p.pad_begin[d] + kp[d] * p.dil[d];
                            ok = ok && op[d] >= 0 && op[d] < p.out[d];
                        }
                        if (!ok)
                            continue;
                        size_t m = ci / Cg * Mg + mm;
                        size_t at = (n * (size_t)c->M + m) * ov + ravel(op, p.out, ns);
                        double v = (double)x[(n * (size_t)c->C + ci) * iv + i] *
                                   w[(ci * Mg + mm) * kv + kk];
                        ref[at] += v;
                        mag[at] += fabs(v);
                    }
    for (size_t n = 0; n < (size_t)c->N; n++)
        for (size_t m = 0; m < (size_t)c->M; m++)
            for (size_t o = 0; o < ov; o++) {
                size_t at = (n * (size_t)c->M + m) * ov + o;
                double s = ref[at] + (c->bias ? b[m] : 0.0);
                if (c->relu6)
                    s = s < 0 ? 0 : s > 6 ? 6 : s;
                if (!close_enough(y[at], s, mag[at] + fabs(b[m]), Cg * kv))
                    cr_assert_fail("%s convT ns=%d C=%lld M=%lld g=%lld at n=%zu m=%zu o=%zu: got "
                             "%.9g want %.9g", oq_f32_isa_name(isa), ns, (long long)c->C,
                             (long long)c->M, (long long)c->group, n, m, o, y[at], s);
            }
    free(x), free(w), free(b), free(y), free(ref), free(mag), free(pw), free(ws);
}

ParameterizedTestParameters(f32, conv_transpose)
{
    static oq_f32_isa isas[] = {OQ_F32_SCALAR, OQ_F32_AVX2, OQ_F32_AVX512};
    return cr_make_param_array(oq_f32_isa, isas, 3);
}

ParameterizedTest(oq_f32_isa *isa, f32, conv_transpose)
{
    skip_unless(*isa);
    static const int64_t op0[3] = {0, 0, 0}, op1[3] = {1, 0, 1};
    check_deconv(*isa, &conv_cases[0], op0);
    check_deconv(*isa, &conv_cases[1], op1);
    check_deconv(*isa, &conv_cases[2], op0);
    check_deconv(*isa, &conv_cases[6], op0);
    check_deconv(*isa, &conv_cases[9], op0);
    check_deconv(*isa, &conv_cases[22], op1);
    check_deconv(*isa, &conv_cases[24], op1);
    static const conv_case big = {2, 1, 64, 32, 1, {14, 14}, {4, 4}, {2, 2}, {1, 1}, {1, 1},
                                  {1, 1}, true, true};
    check_deconv(*isa, &big, op0);
}
