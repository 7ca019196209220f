/* Internals shared by the runtime/f32 sources: the micro-kernel signature, the per-ISA kernel
 * table, the packed-panel layout and the GEMM driver that Conv/ConvTranspose call with their own
 * packers.
 * Packed operand layout: a 64-byte header, then K blocks of KB = ceil(K/ceil(K/KC)) steps (the
 * last one possibly shorter, kb steps); block b holds ceil(rows/r) panels of kb x r floats, so one
 * K block of all panels is contiguous: (row i, step k) at [b*KB*R + (i/r)*kb*r + (k%KB)*r + i%r],
 * R = rows rounded up to r, b = k/KB; rows past the end zero-filled. */
#ifndef OQ_F32_INTERNAL_H
#define OQ_F32_INTERNAL_H
#include "f32.h"

#if defined(__GNUC__)
#define OQ_F32_HIDDEN __attribute__((visibility("hidden")))
#else
#define OQ_F32_HIDDEN
#endif

#define OQ_F32_KC 256          /* K block: a KC x NR micro-panel of B stays in L1 */
#define OQ_F32_MC_CAP 128      /* M block cap (rounded down to MR): A block stays in L2 */
#define OQ_F32_NC 512          /* N block: the packed B block (KC x NC) stays in L2 */
#define OQ_F32_MAX_MR 16
#define OQ_F32_MAX_NR 32
#define OQ_F32_HDR 64          /* bytes of packed-operand header */
#define OQ_F32_MAGIC 0x32336671u

typedef struct oq_f32_pack_hdr {
    uint32_t magic;            /* OQ_F32_MAGIC */
    uint32_t isa;              /* oq_f32_isa the panels were cut for */
    uint32_t r;                /* panel width: MR (packed A) or NR (packed B) */
    uint32_t kind;             /* 'A' or 'B' */
    uint64_t rows;             /* M (A) or N (B) */
    uint64_t K;                /* depth */
} oq_f32_pack_hdr;

/* What a micro-kernel does to its full MR x NR tile of C after the kc-step product acc:
 * acc *= alpha; first: acc += beta*C (if beta != 0) + bias_m[i] + bias_n[j]; else acc += C;
 * clamp (if set) to [lo, hi]; store. */
typedef struct oq_f32_ukparams {
    float alpha, beta;
    const float *bias_m;       /* MR floats or NULL */
    const float *bias_n;       /* NR floats or NULL */
    float lo, hi;
    bool first;                /* first K block: C holds beta-scaled input (or nothing) */
    bool clamp;                /* last K block and a finite clamp */
} oq_f32_ukparams;

/* a: kc x MR panel (MR floats per k), b: kc x NR panel, c: MR x NR tile with row stride ldc. */
typedef void (*oq_f32_ukernel_fn)(size_t kc, const float *a, const float *b, float *c,
                                  size_t ldc, const oq_f32_ukparams *p);

/* Depthwise 2D, one output channel, from the stride-phase planes of its padded input plane:
 * plane q (q < sw) holds padded columns q, q+sw, ...; row r of plane q at planes + q*pstride +
 * r*wq. y[oh][ow] = clamp(bias + sum_t w[t] * planes[oh*sh*wq + toff[t] + ow]) where tap t =
 * (kh, kw) has toff[t] = ((kw*dw)%sw)*pstride + kh*dh*wq + (kw*dw)/sw.
 * Reading up to 16 floats past ow = OW-1 (+ offset) stays inside the plane (zero padding). */
typedef struct oq_f32_dw_args {
    const float *planes;
    const size_t *toff;        /* ntaps tap offsets (see above) */
    size_t ntaps, rstride;     /* taps; floats between output rows' input rows (sh*wq) */
    size_t OH, OW;
    const float *w;            /* ntaps weights */
    float bias, lo, hi;
    bool clamp;
    float *y;                  /* OH x OW, contiguous */
} oq_f32_dw_args;
typedef void (*oq_f32_dw_fn)(const oq_f32_dw_args *a);
/* Stride-2 split of a row: even[i] = src[2i] for i < ne, odd[i] = src[2i+1] for i < no
 * (ne == no or ne == no + 1). */
typedef void (*oq_f32_deint2_fn)(const float *src, float *even, size_t ne, float *odd, size_t no);
/* Writes n values into B-panel layout: value i goes to column c = col + i, stored at
 * dst[(c/nr)*ps + c%nr]; the value is src[i*stride], or 0 if src is NULL. Reads nothing past
 * src[(n-1)*stride]. nr <= 32. */
typedef void (*oq_f32_put_fn)(float *dst, size_t ps, unsigned nr, size_t col, const float *src,
                              size_t n, size_t stride);
/* put() for rows x len values: value (r, i) = src[r*rstride + i*stride] goes to column
 * col + r*len + i. */
/* Writes base[off[i]] for i < n to B-panel columns 0..n-1 (dst[(i/nr)*ps + i%nr]) and zeros to
 * the rest of the last panel. nr <= 32. */
typedef void (*oq_f32_gatherp_fn)(float *dst, size_t ps, unsigned nr, const float *base,
                                  const int32_t *off, size_t n);
typedef void (*oq_f32_put2d_fn)(float *dst, size_t ps, unsigned nr, size_t col, const float *src,
                                size_t rows, size_t len, size_t rstride, size_t stride);

typedef struct oq_f32_kernels {
    oq_f32_isa isa;
    unsigned mr, nr;
    oq_f32_ukernel_fn gemm;    /* MR x NR micro-kernel */
    oq_f32_dw_fn dw;           /* depthwise channel kernel */
    oq_f32_deint2_fn deint2;   /* stride-2 row split (depthwise planes) */
    oq_f32_put_fn put;         /* row -> B panels (B packing, im2col-pack) */
    oq_f32_put2d_fn put2d;     /* block of rows -> B panels (im2col-pack from a padded plane) */
    oq_f32_gatherp_fn gatherp; /* offset-table gather -> narrow panels (transposed-form im2col) */
} oq_f32_kernels;

/* Kernel table for isa (OQ_F32_AUTO resolved); scalar if isa is not supported here. */
OQ_F32_HIDDEN const oq_f32_kernels *oq_f32_kernels_get(oq_f32_isa isa);
/* Per-ISA tables (defined in ukernel_<isa>.c; the x86 ones only on x86-64 builds). */
OQ_F32_HIDDEN extern const oq_f32_kernels oq_f32_kernels_scalar;
OQ_F32_HIDDEN extern const oq_f32_kernels oq_f32_kernels_avx2;
OQ_F32_HIDDEN extern const oq_f32_kernels oq_f32_kernels_avx512;
/* Generic scalar micro-kernel for any mr x nr (<= MAX) panels (used for foreign packings). */
OQ_F32_HIDDEN void oq_f32_gemm_minmax_ukernel_mrxnr__scalar(unsigned mr, unsigned nr, size_t kc,
                                                            const float *a, const float *b,
                                                            float *c, size_t ldc,
                                                            const oq_f32_ukparams *p);
OQ_F32_HIDDEN void oq_f32_dwconv_minmax_ukernel_1x1__scalar(const oq_f32_dw_args *a);
OQ_F32_HIDDEN void oq_f32_put_ukernel_x1__scalar(float *dst, size_t ps, unsigned nr, size_t col,
                                                 const float *src, size_t n, size_t stride);
OQ_F32_HIDDEN void oq_f32_put2d_ukernel_x1__scalar(float *dst, size_t ps, unsigned nr, size_t col,
                                                   const float *src, size_t rows, size_t len,
                                                   size_t rstride, size_t stride);
OQ_F32_HIDDEN void oq_f32_gatherp_ukernel_x1__scalar(float *dst, size_t ps, unsigned nr,
                                                     const float *base, const int32_t *off,
                                                     size_t n);
OQ_F32_HIDDEN void oq_f32_deint2_ukernel_x1__scalar(const float *src, float *even, size_t ne,
                                                    float *odd, size_t no);

/* Packs rows [k0, k0+kc) x columns [j0, j0+nc) of a K x N matrix (op(B), or op(A)^T for an A
 * source) into ceil(nc/nr) panels of kc x nr (zero-filled past nc) at dst, panel stride kc*nr. */
typedef void (*oq_f32_pack_fn)(const void *ctx, size_t k0, size_t kc, size_t j0, size_t nc,
                               unsigned nr, float *dst);

/* An operand for the driver: prepacked/raw operand, or a packer callback (im2col). */
typedef struct oq_f32_src {
    const oq_f32_operand *op;  /* used when fn == NULL */
    oq_f32_pack_fn fn;
    const void *ctx;
} oq_f32_src;

/* A convolution's geometry as three spatial dims (d = 0 depth, 1 height, 2 width; missing
 * leading dims of size 1), with the volumes. */
typedef struct oq_f32_geo {
    size_t in[3], k[3], out[3], s[3], d[3], pb[3];
    size_t inv, kv, outv;      /* volumes */
} oq_f32_geo;
/* Fills g from p (1 to 3 spatial dims). */
OQ_F32_HIDDEN void oq_f32_geo_of(const oq_f32_conv_params *p, oq_f32_geo *g);

/* The blocked GEMM. ws as oq_f32_gemm_workspace_size(M, N, K). */
OQ_F32_HIDDEN void oq_f32_gemm_core(oq_f32_isa isa, size_t M, size_t N, size_t K,
                                    const oq_f32_src *a, const oq_f32_src *b,
                                    const oq_f32_epilogue *ep, float *C, size_t ldc, void *ws);
#endif
