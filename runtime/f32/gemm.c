/* fp32 GEMM driver (GotoBLAS loop order): N blocks of NC, K blocks of KC (B block packed into the
 * workspace, or read in place from a prepacked B), M blocks of MC (A block packed, or read in place
 * from a prepacked A), then NR x MR micro-tiles handed to the ISA's micro-kernel. Edge tiles go
 * through a small stack tile so micro-kernels only ever see full MR x NR tiles.
 * Also: ISA dispatch (oq_isa_pick over the tables built, with oq_cpu_get()'s features) and
 * operand packing. The file builds
 * as is in the emitted C: the x86 micro-kernels exist wherever GCC or Clang targets x86-64. */
#include "f32_internal.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "../cpu.h"

#if !defined(OQ_F32_HAVE_X86) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define OQ_F32_HAVE_X86 1
#endif

/* The family's kernel tables and the ISA (isa.def) each needs, low to high. */
static const struct f32_table {
    oq_isa need;
    const oq_f32_kernels *k;
} tables[] = {
    {OQ_ISA_SCALAR, &oq_f32_kernels_scalar},
#if defined(OQ_F32_HAVE_X86) && OQ_WITH_AVX2
    {OQ_ISA_AVX2, &oq_f32_kernels_avx2},
#endif
#if defined(OQ_F32_HAVE_X86) && OQ_WITH_AVX512
    {OQ_ISA_AVX512, &oq_f32_kernels_avx512},
#endif
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* The table of isa compiled into this build, or NULL. */
static const struct f32_table *table_of(oq_f32_isa isa)
{
    for (size_t i = 0; i < NTABLES; i++)
        if (tables[i].k->isa == isa)
            return &tables[i];
    return NULL;
}

/* The ISA oq_isa_pick chooses among the tables for a CPU with features f. */
oq_f32_isa oq_f32_isa_for(oq_features f)
{
    oq_isa_set have = 0;
    for (size_t i = 0; i < NTABLES; i++)
        have |= OQ_ISA_BIT(tables[i].need);
    oq_isa pick = oq_isa_pick(have, f);
    for (size_t i = 0; i < NTABLES; i++)
        if (tables[i].need == pick)
            return tables[i].k->isa;
    return OQ_F32_SCALAR;
}

/* The ISA OQ_F32_AUTO resolves to: the choice for the (ONNXQ_ISA-capped) CPU. */
oq_f32_isa oq_f32_isa_best(void)
{
    return oq_f32_isa_for(oq_cpu_get()->features);
}

/* True if isa's kernels are built and can run here (AUTO and SCALAR always can). */
bool oq_f32_isa_supported(oq_f32_isa isa)
{
    const struct f32_table *t = table_of(isa);
    return isa == OQ_F32_AUTO || (t && oq_cpu_has(t->need));
}

/* Printable name of isa. */
const char *oq_f32_isa_name(oq_f32_isa isa)
{
    switch (isa) {
    case OQ_F32_AUTO: return "auto";
    case OQ_F32_SCALAR: return "scalar";
    case OQ_F32_AVX2: return "avx2";
    case OQ_F32_AVX512: return "avx512";
    }
    return "?";
}

/* Kernel table for isa; scalar when isa is not supported on this CPU/build. */
const oq_f32_kernels *oq_f32_kernels_get(oq_f32_isa isa)
{
    if (isa == OQ_F32_AUTO)
        isa = oq_f32_isa_best();
    if (!oq_f32_isa_supported(isa))
        return &oq_f32_kernels_scalar;
    return table_of(isa)->k;
}

/* Alpha 1, beta 0, no bias, no clamp. */
oq_f32_epilogue oq_f32_epilogue_default(void)
{
    oq_f32_epilogue e = {1.0f, 0.0f, NULL, NULL, -INFINITY, INFINITY};
    return e;
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t round_up(size_t a, size_t r) { return (a + r - 1) / r * r; }

/* K block length: K split into ceil(K/KC) nearly equal blocks (no short last block). */
static size_t kblock(size_t K)
{
    size_t nb = (K + OQ_F32_KC - 1) / OQ_F32_KC;
    return nb ? (K + nb - 1) / nb : 0;
}

/* Bytes of scratch for an M x N x K product with any ISA (A block + B block + alignment). */
size_t oq_f32_gemm_workspace_size(size_t M, size_t N, size_t K)
{
    size_t kc = kblock(K);
    size_t rows = min_sz(M + OQ_F32_MAX_MR - 1, OQ_F32_MC_CAP);
    size_t cols = min_sz(N + OQ_F32_MAX_NR - 1, OQ_F32_NC);
    return (kc * rows + kc * cols) * sizeof(float) + 64;
}

/* Packs op(A) rows [i0, i0+mc) x k [k0, k0+kc) into mr-row panels (panel stride kc*mr). */
static void pack_a_block(const oq_f32_kernels *ks, const oq_f32_operand *a, size_t i0, size_t mc,
                         size_t k0, size_t kc, unsigned mr, float *dst)
{
    if (a->trans) {              /* op(A)^T row k = A row k: one put per k */
        size_t pad = round_up(mc, mr) - mc;
        for (size_t k = 0; k < kc; k++) {
            ks->put(dst + k * mr, kc * mr, mr, 0, a->p + (k0 + k) * a->ld + i0, mc, 1);
            if (pad)
                ks->put(dst + k * mr, kc * mr, mr, mc, NULL, pad, 0);
        }
        return;
    }
    for (size_t ip = 0; ip < mc; ip += mr, dst += kc * mr) {
        size_t rows = min_sz(mr, mc - ip);
        if (a->trans) {          /* op(A)[i][k] = A[k*ld + i]: rows contiguous per k */
            for (size_t k = 0; k < kc; k++) {
                const float *src = a->p + (k0 + k) * a->ld + i0 + ip;
                float *d = dst + k * mr;
                for (size_t i = 0; i < rows; i++)
                    d[i] = src[i];
                for (size_t i = rows; i < mr; i++)
                    d[i] = 0.0f;
            }
        } else {                 /* op(A)[i][k] = A[i*ld + k] */
            for (size_t i = 0; i < rows; i++) {
                const float *src = a->p + (i0 + ip + i) * a->ld + k0;
                for (size_t k = 0; k < kc; k++)
                    dst[k * mr + i] = src[k];
            }
            for (size_t i = rows; i < mr; i++)
                for (size_t k = 0; k < kc; k++)
                    dst[k * mr + i] = 0.0f;
        }
    }
}

/* Packs op(B) rows k [k0, k0+kc) x columns [j0, j0+nc) into nr-column panels (stride kc*nr),
 * zero-filled past nc. */
static void pack_b_block(const oq_f32_kernels *ks, const oq_f32_operand *b, size_t k0, size_t kc,
                         size_t j0, size_t nc, unsigned nr, float *dst)
{
    size_t ps = kc * nr, pad = round_up(nc, nr) - nc;
    if (!b->trans) {             /* op(B)[k][j] = B[k*ld + j]: row k is contiguous */
        for (size_t k = 0; k < kc; k++) {
            ks->put(dst + k * nr, ps, nr, 0, b->p + (k0 + k) * b->ld + j0, nc, 1);
            if (pad)
                ks->put(dst + k * nr, ps, nr, nc, NULL, pad, 0);
        }
        return;
    }
    for (size_t jp = 0; jp < nc; jp += nr, dst += kc * nr) {    /* op(B)[k][j] = B[j*ld + k] */
        size_t cols = min_sz(nr, nc - jp);
        for (size_t j = 0; j < cols; j++) {
            const float *src = b->p + (j0 + jp + j) * b->ld + k0;
            for (size_t k = 0; k < kc; k++)
                dst[k * nr + j] = src[k];
        }
        for (size_t j = cols; j < nr; j++)
            for (size_t k = 0; k < kc; k++)
                dst[k * nr + j] = 0.0f;
    }
}

/* Packed size: header + ceil(rows/r) panels of K x r floats. */
static size_t packed_size(size_t rows, size_t K, unsigned r)
{
    return OQ_F32_HDR + round_up(rows, r) * K * sizeof(float);
}

static float *packed_data(const void *packed)
{
    return (float *)((char *)(uintptr_t)packed + OQ_F32_HDR);
}

static void write_hdr(void *packed, oq_f32_isa isa, unsigned r, char kind, size_t rows, size_t K)
{
    oq_f32_pack_hdr h;
    memset(&h, 0, sizeof h);
    h.magic = OQ_F32_MAGIC;
    h.isa = (uint32_t)isa;
    h.r = r;
    h.kind = (uint32_t)kind;
    h.rows = rows;
    h.K = K;
    memcpy(packed, &h, sizeof h);
}

/* Bytes for a prepacked A (M x K) for isa. */
size_t oq_f32_pack_a_size(oq_f32_isa isa, size_t M, size_t K)
{
    return packed_size(M, K, oq_f32_kernels_get(isa)->mr);
}

/* Prepacks op(A) (M x K) into MR-row panels for isa. */
void oq_f32_pack_a(oq_f32_isa isa, bool transA, size_t M, size_t K, const float *A, size_t lda,
                   void *packed)
{
    const oq_f32_kernels *ks = oq_f32_kernels_get(isa);
    write_hdr(packed, ks->isa, ks->mr, 'A', M, K);
    oq_f32_operand a = {A, lda, transA, NULL};
    float *d = packed_data(packed);
    size_t kb = kblock(K);
    for (size_t pc = 0; pc < K; pc += kb)
        pack_a_block(ks, &a, 0, M, pc, min_sz(kb, K - pc), ks->mr, d + pc * round_up(M, ks->mr));
}

/* Bytes for a prepacked B (K x N) for isa. */
size_t oq_f32_pack_b_size(oq_f32_isa isa, size_t K, size_t N)
{
    return packed_size(N, K, oq_f32_kernels_get(isa)->nr);
}

/* Prepacks op(B) (K x N) into NR-column panels for isa. */
void oq_f32_pack_b(oq_f32_isa isa, bool transB, size_t K, size_t N, const float *B, size_t ldb,
                   void *packed)
{
    const oq_f32_kernels *ks = oq_f32_kernels_get(isa);
    write_hdr(packed, ks->isa, ks->nr, 'B', N, K);
    oq_f32_operand b = {B, ldb, transB, NULL};
    float *d = packed_data(packed);
    size_t kb = kblock(K);
    for (size_t pc = 0; pc < K; pc += kb)
        pack_b_block(ks, &b, pc, min_sz(kb, K - pc), 0, N, ks->nr,
                     d + pc * round_up(N, ks->nr));
}

static const oq_f32_pack_hdr *hdr_of(const void *packed, char kind)
{
    if (!packed)
        return NULL;
    const oq_f32_pack_hdr *h = packed;
    assert(h->magic == OQ_F32_MAGIC && h->kind == (uint32_t)kind);
    (void)kind;
    return h;
}

/* C = beta*C + bias, clamped (the K == 0 product). */
static void epilogue_only(size_t M, size_t N, const oq_f32_epilogue *ep, float *C, size_t ldc)
{
    bool clamp = ep->clamp_min > -INFINITY || ep->clamp_max < INFINITY;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            float v = ep->beta != 0.0f ? ep->beta * C[i * ldc + j] : 0.0f;
            if (ep->bias_m)
                v += ep->bias_m[i];
            if (ep->bias_n)
                v += ep->bias_n[j];
            if (clamp)
                v = v < ep->clamp_min ? ep->clamp_min : v > ep->clamp_max ? ep->clamp_max : v;
            C[i * ldc + j] = v;
        }
}

/* The blocked product; see the file comment. */
void oq_f32_gemm_core(oq_f32_isa isa, size_t M, size_t N, size_t K, const oq_f32_src *a,
                      const oq_f32_src *b, const oq_f32_epilogue *ep, float *C, size_t ldc,
                      void *ws)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0) {
        epilogue_only(M, N, ep, C, ldc);
        return;
    }
    const oq_f32_pack_hdr *ha = a->fn ? NULL : hdr_of(a->op->packed, 'A');
    const oq_f32_pack_hdr *hb = b->fn ? NULL : hdr_of(b->op->packed, 'B');
    if (ha)
        isa = (oq_f32_isa)ha->isa;
    else if (hb)
        isa = (oq_f32_isa)hb->isa;
    const oq_f32_kernels *ks = oq_f32_kernels_get(isa);
    unsigned mr = ha ? ha->r : ks->mr, nr = hb ? hb->r : ks->nr;
    assert(mr <= OQ_F32_MAX_MR && nr <= OQ_F32_MAX_NR);
    assert(!ha || (ha->rows == M && ha->K == K));
    assert(!hb || (hb->rows == N && hb->K == K));
    bool native = mr == ks->mr && nr == ks->nr;

    size_t mc_max = OQ_F32_MC_CAP / mr * mr, nc_max = OQ_F32_NC / nr * nr;
    float *bbuf = (float *)round_up((uintptr_t)ws, 64);
    size_t kb = kblock(K);
    float *abuf = bbuf + kb * min_sz(round_up(N, nr), nc_max);
    bool has_clamp = ep->clamp_min > -INFINITY || ep->clamp_max < INFINITY;

    float tile[OQ_F32_MAX_MR * OQ_F32_MAX_NR], bm[OQ_F32_MAX_MR], bn[OQ_F32_MAX_NR];
    for (size_t jc = 0; jc < N; jc += nc_max) {
        size_t nc = min_sz(nc_max, N - jc);
        for (size_t pc = 0; pc < K; pc += kb) {
            size_t kc = min_sz(kb, K - pc);
            const float *bp;
            size_t b_ps;
            if (hb) {
                bp = packed_data(hb) + pc * round_up(N, nr) + jc * kc;
                b_ps = kc * nr;
            } else {
                if (b->fn)
                    b->fn(b->ctx, pc, kc, jc, nc, nr, bbuf);
                else
                    pack_b_block(ks, b->op, pc, kc, jc, nc, nr, bbuf);
                bp = bbuf;
                b_ps = kc * nr;
            }
            oq_f32_ukparams p = {ep->alpha, ep->beta, NULL, NULL, ep->clamp_min, ep->clamp_max,
                                 pc == 0, has_clamp && pc + kc == K};
            for (size_t ic = 0; ic < M; ic += mc_max) {
                size_t mc = min_sz(mc_max, M - ic);
                const float *ap;
                size_t a_ps;
                if (ha) {
                    ap = packed_data(ha) + pc * round_up(M, mr) + ic * kc;
                    a_ps = kc * mr;
                } else {
                    if (a->fn)
                        a->fn(a->ctx, pc, kc, ic, mc, mr, abuf);
                    else
                        pack_a_block(ks, a->op, ic, mc, pc, kc, mr, abuf);
                    ap = abuf;
                    a_ps = kc * mr;
                }
                /* Tile order: B panel outer (it stays in L1 while the A block streams from
                 * L2), unless there are few B panels (small N, e.g. 7x7 maps): then A panel
                 * outer, so each A micro-panel is fetched from memory once. */
                size_t nbp = (nc + nr - 1) / nr, nap = (mc + mr - 1) / mr;
                bool a_outer = nbp <= 4;
                for (size_t t = 0; t < nbp * nap; t++) {
                    size_t jr = (a_outer ? t % nbp : t / nap) * nr;
                    size_t ir = (a_outer ? t / nbp : t % nap) * mr;
                    size_t ncols = min_sz(nr, nc - jr);
                    const float *bpanel = bp + (jr / nr) * b_ps;
                    {
                        size_t nrows = min_sz(mr, mc - ir);
                        const float *apanel = ap + (ir / mr) * a_ps;
                        float *ct = C + (ic + ir) * ldc + jc + jr;
                        p.bias_m = ep->bias_m && p.first ? ep->bias_m + ic + ir : NULL;
                        p.bias_n = ep->bias_n && p.first ? ep->bias_n + jc + jr : NULL;
                        if (nrows == mr && ncols == nr) {
                            if (native)
                                ks->gemm(kc, apanel, bpanel, ct, ldc, &p);
                            else
                                oq_f32_gemm_minmax_ukernel_mrxnr__scalar(mr, nr, kc, apanel,
                                                                         bpanel, ct, ldc, &p);
                            continue;
                        }
                        /* edge tile: run the full tile on a stack copy */
                        bool need_c = !p.first || p.beta != 0.0f;
                        for (size_t i = 0; i < mr; i++)
                            for (size_t j = 0; j < nr; j++)
                                tile[i * nr + j] = need_c && i < nrows && j < ncols
                                                       ? ct[i * ldc + j] : 0.0f;
                        oq_f32_ukparams pt = p;
                        if (p.bias_m) {
                            for (size_t i = 0; i < mr; i++)
                                bm[i] = i < nrows ? p.bias_m[i] : 0.0f;
                            pt.bias_m = bm;
                        }
                        if (p.bias_n) {
                            for (size_t j = 0; j < nr; j++)
                                bn[j] = j < ncols ? p.bias_n[j] : 0.0f;
                            pt.bias_n = bn;
                        }
                        if (native)
                            ks->gemm(kc, apanel, bpanel, tile, nr, &pt);
                        else
                            oq_f32_gemm_minmax_ukernel_mrxnr__scalar(mr, nr, kc, apanel, bpanel,
                                                                     tile, nr, &pt);
                        for (size_t i = 0; i < nrows; i++)
                            memcpy(ct + i * ldc, tile + i * nr, ncols * sizeof(float));
                    }
                }
            }
        }
    }
}

/* Public entry: operands raw or prepacked. */
void oq_f32_gemm_ex(oq_f32_isa isa, size_t M, size_t N, size_t K, const oq_f32_operand *a,
                    const oq_f32_operand *b, const oq_f32_epilogue *ep, float *C, size_t ldc,
                    void *ws)
{
    oq_f32_src as = {a, NULL, NULL}, bs = {b, NULL, NULL};
    oq_f32_gemm_core(isa, M, N, K, &as, &bs, ep, C, ldc, ws);
}

/* BLAS-like wrapper over oq_f32_gemm_ex with the best ISA. */
void oq_f32_gemm(bool transA, bool transB, size_t M, size_t N, size_t K, float alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                 size_t ldc, void *ws)
{
    oq_f32_operand a = {A, lda, transA, NULL}, b = {B, ldb, transB, NULL};
    oq_f32_epilogue ep = oq_f32_epilogue_default();
    ep.alpha = alpha;
    ep.beta = beta;
    oq_f32_gemm_ex(OQ_F32_AUTO, M, N, K, &a, &b, &ep, C, ldc, ws);
}
