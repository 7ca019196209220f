/* fp32 kernels: blocked, packed GEMM (scalar, AVX2+FMA, AVX-512F micro-kernels picked once at run
 * time from oq_cpu_get(); ONNXQ_ISA=scalar forces scalar), Conv (1D/2D/3D, groups, depthwise fast
 * path, dilations, asymmetric pads, fused bias + clamp) and ConvTranspose. Matrices are row-major
 * with a leading dimension; images are NC<spatial> (NCHW). No IR dependency, no malloc, no stdio:
 * scratch memory comes from the caller, sized by the *_workspace_size functions. Packed buffers
 * start with a small header naming the ISA they were packed for; any ISA's packing runs correctly
 * on any CPU (a foreign packing falls back to a generic scalar kernel). */
#ifndef OQ_F32_H
#define OQ_F32_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../cpu.h"

typedef enum oq_f32_isa {
    OQ_F32_AUTO = 0,           /* best available on this CPU (after the ONNXQ_ISA cap) */
    OQ_F32_SCALAR,             /* portable C; the oracle */
    OQ_F32_AVX2,               /* AVX2 + FMA, 6x16 micro-kernel */
    OQ_F32_AVX512,             /* AVX-512F/BW/VL, 8x32 micro-kernel */
} oq_f32_isa;

/* The ISA OQ_F32_AUTO resolves to on a CPU with features f (oq_isa_pick). */
oq_f32_isa oq_f32_isa_for(oq_features f);
/* The ISA OQ_F32_AUTO resolves to here. */
oq_f32_isa oq_f32_isa_best(void);
/* True if this CPU (after the ONNXQ_ISA cap) can run `isa`'s kernels. */
bool oq_f32_isa_supported(oq_f32_isa isa);
const char *oq_f32_isa_name(oq_f32_isa isa);

/* ------------------------------------------------------------------------------------ GEMM */

/* One GEMM operand: either raw (p, ld, trans) or prepacked (packed != NULL; p/ld/trans ignored).
 * For A: op(A) is M x K, raw A is M x K (trans=false, row stride ld >= K) or K x M (trans=true).
 * For B: op(B) is K x N, raw B is K x N (trans=false) or N x K (trans=true). */
typedef struct oq_f32_operand {
    const float *p;            /* raw matrix, row-major */
    size_t ld;                 /* leading dimension (row stride, in floats) of the raw matrix */
    bool trans;                /* raw matrix is stored transposed */
    const void *packed;        /* from oq_f32_pack_a / oq_f32_pack_b, or NULL */
} oq_f32_operand;

/* Epilogue applied once to each C element: C = alpha*op(A)op(B) + beta*C + bias_m[i] + bias_n[j],
 * then clamped to [clamp_min, clamp_max]. beta == 0 means C is not read (may hold NaN). */
typedef struct oq_f32_epilogue {
    float alpha;               /* usually 1 */
    float beta;                /* 0: overwrite C */
    const float *bias_m;       /* M floats (per row of C), or NULL */
    const float *bias_n;       /* N floats (per column of C), or NULL */
    float clamp_min, clamp_max; /* -INFINITY, INFINITY for no clamp; ReLU = 0, INFINITY */
} oq_f32_epilogue;

/* Epilogue with alpha 1, beta 0, no bias, no clamp. */
oq_f32_epilogue oq_f32_epilogue_default(void);

/* Bytes of workspace oq_f32_gemm / oq_f32_gemm_ex need for an M x N x K product (bounded by a
 * few hundred KiB whatever the size). Valid for every ISA. */
size_t oq_f32_gemm_workspace_size(size_t M, size_t N, size_t K);

/* C (M x N, row stride ldc) = epilogue(op(A) op(B)). Operands raw or prepacked; isa OQ_F32_AUTO
 * picks the best (a prepacked operand's ISA wins). ws: oq_f32_gemm_workspace_size bytes, any
 * alignment. M, N, K may be 0 (K == 0: C = beta*C + bias, clamped). */
void oq_f32_gemm_ex(oq_f32_isa isa, size_t M, size_t N, size_t K, const oq_f32_operand *a,
                    const oq_f32_operand *b, const oq_f32_epilogue *ep, float *C, size_t ldc,
                    void *ws);

/* BLAS-like convenience: C = alpha*op(A)op(B) + beta*C (beta == 0: C not read). */
void oq_f32_gemm(bool transA, bool transB, size_t M, size_t N, size_t K, float alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                 size_t ldc, void *ws);

/* Prepacking of a constant operand (e.g. Gemm/MatMul weights), once, for repeated products.
 * Sizes in bytes; the packed buffer needs no special alignment. */
size_t oq_f32_pack_a_size(oq_f32_isa isa, size_t M, size_t K);
void oq_f32_pack_a(oq_f32_isa isa, bool transA, size_t M, size_t K, const float *A, size_t lda,
                   void *packed);
size_t oq_f32_pack_b_size(oq_f32_isa isa, size_t K, size_t N);
void oq_f32_pack_b(oq_f32_isa isa, bool transB, size_t K, size_t N, const float *B, size_t ldb,
                   void *packed);

/* ------------------------------------------------------------------------------------ Conv */

/* Convolution geometry (ONNX Conv / ConvTranspose, after auto_pad has been resolved to pads).
 * Conv:          x [N, C, in...], w [M, C/group, k...], y [N, M, out...],
 *                out[d] = (in[d] + pad_begin[d] + pad_end[d] - dil[d]*(k[d]-1) - 1)/stride[d] + 1.
 * ConvTranspose: x [N, C, in...], w [C, M/group, k...], y [N, M, out...], output position
 *                o = i*stride - pad_begin + kk*dil; out[] is given by the caller (it carries
 *                output_padding / output_shape); pad_end is unused.
 * Unused trailing dims (d >= nspatial) are ignored. */
typedef struct oq_f32_conv_params {
    int nspatial;              /* 1..3 */
    int64_t N, C, M, group;    /* batch, input channels, output channels, groups (divides C, M) */
    int64_t in[3], k[3], out[3];   /* spatial sizes of x, kernel, y */
    int64_t stride[3], dil[3];     /* >= 1 */
    int64_t pad_begin[3], pad_end[3]; /* >= 0 */
    float clamp_min, clamp_max;    /* fused activation; -INFINITY, INFINITY for none */
    oq_f32_isa isa;                /* OQ_F32_AUTO (0) normally */
} oq_f32_conv_params;

/* Fills p with a 2D, 1-group, stride-1, no-pad, no-clamp default (caller then sets fields). */
void oq_f32_conv_params_init(oq_f32_conv_params *p);

/* Bytes for the packed weights of a Conv with params p. */
size_t oq_f32_conv_pack_size(const oq_f32_conv_params *p);
/* Packs Conv weights w [M, C/group, k...] into packed (oq_f32_conv_pack_size bytes). */
void oq_f32_conv_pack(const oq_f32_conv_params *p, const float *w, void *packed);
/* Bytes of scratch oq_f32_conv needs (0 possible). */
size_t oq_f32_conv_workspace_size(const oq_f32_conv_params *p);
/* y = clamp(conv(x, w) + bias). bias: M floats or NULL. x and y must not overlap. */
void oq_f32_conv(const oq_f32_conv_params *p, const float *x, const void *packed_w,
                 const float *bias, float *y, void *ws);

/* ConvTranspose: same params struct (see above), weights w [C, M/group, k...], nspatial 1..3. */
size_t oq_f32_conv_transpose_pack_size(const oq_f32_conv_params *p);
void oq_f32_conv_transpose_pack(const oq_f32_conv_params *p, const float *w, void *packed);
size_t oq_f32_conv_transpose_workspace_size(const oq_f32_conv_params *p);
/* y = clamp(conv_transpose(x, w) + bias). bias: M floats or NULL. */
void oq_f32_conv_transpose(const oq_f32_conv_params *p, const float *x, const void *packed_w,
                           const float *bias, float *y, void *ws);
#endif
