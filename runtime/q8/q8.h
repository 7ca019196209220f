/* q8.h: public header of the int8 runtime (the table of contents of runtime/q8/).
 * Plain C99 + intrinsics, no IR dependency: the C backend copies runtime/q8/ and runtime/cpu.[ch]
 * into generated projects. Kernels never allocate, never print, return no status (they assert);
 * scratch memory comes from a *_workspace_size() companion and a caller buffer. Every function
 * is reentrant; the only state is the once-per-process kernel choice (pthread_once).
 * Numerics (README.md, Numerics): u8 asymmetric activations, s8 symmetric per-channel weights (zp 0), int32
 * bias and accumulators, requantization in mode fp32 (ONNX QLinearConv) or q31 (gemmlowp/TFLite).
 */
#ifndef OQ_Q8_H
#define OQ_Q8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../cpu.h"

/* ---------------------------------------------------------------------------------------------
 * Requantization (runtime/q8/requant.h holds the static-inline scalar references).
 * --------------------------------------------------------------------------------------------- */
typedef enum oq_q8_dtype { OQ_Q8_U8 = 0, OQ_Q8_S8 = 1 } oq_q8_dtype;

typedef enum oq_q8_rq_mode {
    OQ_Q8_RQ_FP32 = 0, /* y = clamp(rne((float)acc * scale[c])) + zp: ONNX QLinearConv / ORT MLAS */
    OQ_Q8_RQ_Q31 = 1,  /* y = rdbpot(srdhm(acc << l, mult[c]), r) + zp: TFLite/gemmlowp */
    OQ_Q8_RQ_S32 = 2,  /* no requantization: store the int32 accumulator (c is int32_t *) */
} oq_q8_rq_mode;

/* Parameters of the requantize epilogue, shared by GEMM, conv and depthwise conv. */
typedef struct oq_q8_requant {
    oq_q8_rq_mode mode;          /* see above */
    oq_q8_dtype out_dtype;       /* u8 or s8 output (ignored for S32) */
    const float *scale;          /* FP32: s_in * s_w[c] / s_out, finite, > 0 */
    const int32_t *multiplier;   /* Q31: Q31 multiplier in [2^30, 2^31) (or 0) */
    const int8_t *shift;         /* Q31: TFLite convention, > 0 left shift, < 0 right; [-31, 30] */
    size_t channel_stride;       /* 1: per-channel arrays indexed by channel; 0: per-tensor */
    int32_t out_zp;              /* output zero point, within the output dtype */
    int32_t qmin, qmax;          /* output clamp in the dtype (fused ReLU/ReLU6), qmin <= qmax */
} oq_q8_requant;

/* Splits a real multiplier m (0 < m < 2^30) into a Q31 multiplier and shift (TFLite
 * QuantizeMultiplier: m = mult * 2^(shift - 31), mult in [2^30, 2^31)). m == 0 gives 0, 0. */
void oq_q8_quantize_multiplier(double m, int32_t *mult, int8_t *shift);
/* Clamp bounds in the output dtype for a fused activation: act 0 none, 1 ReLU, 2 ReLU6
 * (6.0 quantized with out_scale/out_zp, round half to even). */
void oq_q8_act_bounds(int act, float out_scale, int32_t out_zp, oq_q8_dtype dt, int32_t *qmin,
                      int32_t *qmax);
/* Fills rq for fp32 mode with the full dtype range (then narrow qmin/qmax for fused clamps). */
void oq_q8_requant_fp32(oq_q8_requant *rq, const float *scale, size_t channel_stride,
                        int32_t out_zp, oq_q8_dtype out_dtype);
/* Fills rq for q31 mode with the full dtype range. */
void oq_q8_requant_q31(oq_q8_requant *rq, const int32_t *mult, const int8_t *shift,
                       size_t channel_stride, int32_t out_zp, oq_q8_dtype out_dtype);

/* ---------------------------------------------------------------------------------------------
 * Packed GEMM weights. The weight matrix W[K][N] (s8) is packed at compile time (the C backend
 * calls oq_q8_pack_* and writes the bytes as a const array; the interpreter packs at load time).
 *
 * Every layout is a sequence of ceil(N/16) blocks of 16 output columns, each
 *     int32 bias'[16]    bias[n] - a_zp * colsum[n]  (0 for padding columns)
 *     int32 colsum[16]   sum_k W[k][n]  (NEON sdot adds 128*colsum: the xor 0x80 shift of u8
 *                        activations; the dynamic-quantization path subtracts a_zp*colsum)
 *     weights, K padded to Kp = round_up(K, 4) with zeros, N padded to 16 with zeros:
 *       OQ_Q8_LAYOUT_N16K4:    int8  [Kp/4][16][4]      (byte (g, j, t) = W[4g+t][16b+j])
 *       OQ_Q8_LAYOUT_N16K4W16: int16 [Kp/4][16][4]      (elem (g, j, t) = W[4g+t][16b+j])
 * Block bytes: 128 + Kp*16 (N16K4) or 128 + Kp*32 (W16); the packed buffer should be 64-byte
 * aligned (kernels use unaligned loads, so any alignment is correct, only slower).
 * N16K4 is read by every kernel family: scalar, AVX2 (widening in the loop, ~70% of its W16
 * speed), AVX-VNNI, AVX-512 VNNI, AMX (B tiles are 16 k-groups x 64 bytes of a block) and all
 * NEON variants; N16K4W16 (the same order in int16, for vpmaddwd) by AVX2 and scalar. So one
 * N16K4 packing serves a run-time-dispatched binary on any CPU; W16 is the AVX2 speed option.
 * The scalar kernel reads every layout, so a model packed for any ISA still runs anywhere.
 * --------------------------------------------------------------------------------------------- */
typedef enum oq_q8_layout { OQ_Q8_LAYOUT_N16K4 = 0, OQ_Q8_LAYOUT_N16K4W16 = 1 } oq_q8_layout;
#define OQ_Q8_NR 16 /* columns per packed block */
#define OQ_Q8_KR 4  /* K granularity of packing */

/* The layout whose kernels are fastest on a CPU with features f: W16 where the best kernels
 * are the AVX2 ones (no dot product, e.g. AVX-512 F/BW/VL without VNNI), else N16K4. */
oq_q8_layout oq_q8_gemm_layout_for(oq_features f);
/* The same for a CPU with exactly the features of `isa`'s row of isa.def. */
oq_q8_layout oq_q8_gemm_layout(oq_isa isa);
/* Bytes of one packed block of 16 columns for depth K. */
size_t oq_q8_block_bytes(oq_q8_layout layout, size_t K);
/* Bytes of packed weights for W[K][N]. */
size_t oq_q8_packed_size(oq_q8_layout layout, size_t K, size_t N);
/* Packs W (element (k, n) at w[k*w_k_stride + n*w_n_stride]; MatMul B [K][N]: K stride N, 1;
 * Gemm transB [N][K]: 1, K) and bias (N int32, or NULL for 0) with activation zero point a_zp. */
void oq_q8_pack_gemm(oq_q8_layout layout, size_t K, size_t N, const int8_t *w, size_t w_k_stride,
                     size_t w_n_stride, const int32_t *bias, int32_t a_zp, void *packed);

/* ---------------------------------------------------------------------------------------------
 * GEMM micro-kernels: C[mr][nc] = requant(A[mr][kc] (u8) x W[kc][nc] (packed) + bias'),
 * one signature for the family; the enumerator is runtime/q8/qu8-gemm/qu8-gemm.inc.
 * a: row i at a + i*a_stride (kc bytes read); w: first packed block of these columns;
 * c: row i at c + i*c_stride elements (u8/s8 or int32 for S32); n0: channel index of column 0 in
 * rq's per-channel arrays. mr in [1, MR], any nc >= 1, kc >= 1.
 * --------------------------------------------------------------------------------------------- */
typedef void oq_q8_gemm_ukernel_fn(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                   size_t a_stride, const void *w, void *c, size_t c_stride,
                                   size_t n0, const oq_q8_requant *rq);

typedef struct oq_q8_gemm_kernel {
    oq_isa isa;                  /* ISA needed */
    oq_q8_gemm_ukernel_fn *fn;   /* the micro-kernel */
    unsigned mr, nr, kr;         /* rows per call, columns per inner step, K group */
    oq_q8_layout layout;         /* packed layout it reads */
    const char *name;            /* function name */
} oq_q8_gemm_kernel;

/* All GEMM micro-kernels compiled into this binary (usable or not), count in *n. */
const oq_q8_gemm_kernel *oq_q8_gemm_kernels(size_t *n);
/* True if the (ONNXQ_ISA-capped) CPU can run ISA `isa` (oq_cpu_has). */
bool oq_q8_isa_usable(oq_isa isa);
/* Best kernel reading `layout` for a CPU with features f (oq_isa_pick over the kernels of the
 * layout). Never NULL: the scalar kernels read every layout. */
const oq_q8_gemm_kernel *oq_q8_gemm_select_for(oq_q8_layout layout, oq_features f);
/* The same for this CPU (chosen once per process, pthread_once). */
const oq_q8_gemm_kernel *oq_q8_gemm_select(oq_q8_layout layout);

/* C[M][N] = requant(A[M][K] x W + bias'), A row stride lda bytes, C row stride ldc elements,
 * rq channel index of column n is n0 + n. Uses kernel k (its layout must be the packing's). */
void oq_q8_gemm_run(const oq_q8_gemm_kernel *k, size_t M, size_t N, size_t K, const uint8_t *a,
                    size_t lda, const void *packed, void *c, size_t ldc, size_t n0,
                    const oq_q8_requant *rq);
/* Same with the best kernel for `layout`. */
void oq_q8_gemm(oq_q8_layout layout, size_t M, size_t N, size_t K, const uint8_t *a, size_t lda,
                const void *packed, void *c, size_t ldc, const oq_q8_requant *rq);
/* Batched MatMul: for b < batch, C_b[M][N] = A_b[M][K] x W_b; A_b = a + b*M*K, C_b = c + b*M*N
 * elements; W_b = packed + (b % packed_count) * oq_q8_packed_size(layout, K, N) (packed_count 1:
 * broadcast weights). */
void oq_q8_matmul(oq_q8_layout layout, size_t batch, size_t M, size_t N, size_t K,
                  const uint8_t *a, const void *packed, size_t packed_count, void *c,
                  const oq_q8_requant *rq);
/* Unpacked oracle of the whole GEMM: W[K][N] plain s8 row-major, bias int32 (or NULL), a_zp.
 * Exactly the numbers every kernel must produce (used by tests). */
void oq_q8_gemm_ref(size_t M, size_t N, size_t K, const uint8_t *a, size_t lda, int32_t a_zp,
                    const int8_t *w, const int32_t *bias, void *c, size_t ldc,
                    const oq_q8_requant *rq);
/* ONNX QLinearMatMul in full generality (u8/s8 on both sides, any zero points, per-tensor or
 * per-column b), scalar only: a[M][K], b[K][N], y[M][N], fp32 requantization; int32
 * accumulation, exact for K <= OQ_Q8_QMATMUL_MAX_K. Also the kernel of the product of two
 * activations (Q.K^T, attention.V), which has no packed operand: the interpreter's per-tensor
 * QLinearMatMul and the emitted C call it. */
#define OQ_Q8_QMATMUL_MAX_K 33025u /* 255 * 255 * K < 2^31: |a - a_zp|, |b - b_zp| <= 255 */
void oq_q8_qlinear_matmul_ref(size_t M, size_t N, size_t K, const void *a, oq_q8_dtype a_dt,
                              int32_t a_zp, const void *b, oq_q8_dtype b_dt, const int32_t *b_zp,
                              size_t b_zp_stride, const float *scale, size_t scale_stride,
                              void *y, oq_q8_dtype y_dt, int32_t y_zp);

/* ---------------------------------------------------------------------------------------------
 * Convolution, NHWC activations, ONNX OIHW weights [out_c][in_c/groups][kh][kw].
 * --------------------------------------------------------------------------------------------- */
typedef struct oq_q8_conv_shape {
    size_t batch, in_h, in_w, in_c; /* input NHWC */
    size_t out_c, groups;           /* in_c and out_c divisible by groups */
    size_t kh, kw;                  /* kernel */
    size_t stride_h, stride_w;      /* >= 1 */
    size_t dil_h, dil_w;            /* >= 1 */
    size_t pad_top, pad_left, pad_bottom, pad_right;
    size_t out_h, out_w;            /* filled by oq_q8_conv_init */
} oq_q8_conv_shape;

/* Computes out_h/out_w (floor mode, ONNX explicit pads); false if the shape is invalid. */
bool oq_q8_conv_init(oq_q8_conv_shape *s);
/* Bytes of packed weights: groups consecutive GEMM packings with K = kh*kw*(in_c/groups) in
 * (ky, kx, c) order (c fastest, matching NHWC im2col rows) and N = out_c/groups. */
size_t oq_q8_conv_packed_size(oq_q8_layout layout, const oq_q8_conv_shape *s);
/* Packs ONNX OIHW weights w and bias (out_c int32 or NULL) for input zero point x_zp. */
void oq_q8_pack_conv(oq_q8_layout layout, const oq_q8_conv_shape *s, const int8_t *w,
                     const int32_t *bias, int32_t x_zp, void *packed);
/* Scratch bytes oq_q8_conv needs (0 for 1x1 stride 1 unpadded). */
size_t oq_q8_conv_workspace_size(const oq_q8_conv_shape *s);
/* y[N][OH][OW][out_c] = conv(x[N][H][W][in_c]); padding reads as x_zp. rq per output channel. */
void oq_q8_conv(const oq_q8_conv_shape *s, const uint8_t *x, int32_t x_zp, oq_q8_layout layout,
                const void *packed, void *y, const oq_q8_requant *rq, void *workspace);
/* Same with an explicit GEMM kernel (tests, bench). */
void oq_q8_conv_with(const oq_q8_gemm_kernel *k, const oq_q8_conv_shape *s, const uint8_t *x,
                     int32_t x_zp, const void *packed, void *y, const oq_q8_requant *rq,
                     void *workspace);
/* Unpacked oracle (direct loops over ONNX OIHW weights). */
void oq_q8_conv_ref(const oq_q8_conv_shape *s, const uint8_t *x, int32_t x_zp, const int8_t *w,
                    const int32_t *bias, void *y, const oq_q8_requant *rq);

/* ---------------------------------------------------------------------------------------------
 * Depthwise convolution (groups == in_c == out_c). Packed: int32 bias'[Cp], then int16 weights
 * in tap pairs: [ceil(taps/2)][Cp][2] (elem (p, c, i) = w[c][tap 2p+i], 0 past the last tap),
 * Cp = round_up(C, 16), zero padded (pairs feed vpmaddwd / vpdpwssd directly). Micro-kernel: one
 * output pixel, all channels, from `taps` input row pointers (NHWC pixels; padded taps point at a
 * row of x_zp bytes). A call covers `pixels` consecutive output pixels (one output row): pixel p
 * reads in[p*taps .. p*taps+taps-1] and writes out + p*channels elements.
 * Row micro-kernel (optional companion, same packing): `pixels` consecutive output pixels whose
 * whole windows lie inside the image, addressed without pointers: tap (ky, kx) of pixel p reads
 * x + p*px_step + ky*row_step + kx*tap_step (+ channel); the driver uses it for the interior of
 * each output row and the pointer kernel for the borders.
 * Enumerator: runtime/q8/qu8-dwconv/qu8-dwconv.inc (taps 9 and 25 are unrolled fast paths,
 * taps 0 = any count).
 * --------------------------------------------------------------------------------------------- */
typedef void oq_q8_dw_ukernel_fn(size_t channels, size_t pixels, size_t taps,
                                 const uint8_t *const *in, const void *packed, void *out,
                                 const oq_q8_requant *rq);
typedef void oq_q8_dw_row_fn(size_t channels, size_t pixels, size_t kh, size_t kw,
                             const uint8_t *x, size_t px_step, size_t row_step, size_t tap_step,
                             const void *packed, void *out, const oq_q8_requant *rq);
typedef struct oq_q8_dw_kernel {
    oq_isa isa;                 /* ISA needed */
    oq_q8_dw_ukernel_fn *fn;    /* the micro-kernel */
    unsigned taps;              /* 9, 25, or 0 for any */
    unsigned cr;                /* channels per vector step */
    const char *name;           /* function name */
    oq_q8_dw_row_fn *row;       /* row companion for the same taps, or NULL */
} oq_q8_dw_kernel;
const oq_q8_dw_kernel *oq_q8_dw_kernels(size_t *n);
/* Best kernel for `taps` taps on a CPU with features f: the fast path for taps if it has one of
 * at least the generic kernel's ISA, else the generic kernel. Never NULL. */
const oq_q8_dw_kernel *oq_q8_dw_select_for(size_t taps, oq_features f);
/* The same for this CPU (chosen once per process). */
const oq_q8_dw_kernel *oq_q8_dw_select(size_t taps);
size_t oq_q8_dw_packed_size(size_t C, size_t kh, size_t kw);
/* Packs ONNX weights [C][1][kh][kw] and bias (C or NULL) for input zero point x_zp. */
void oq_q8_pack_dw(size_t C, size_t kh, size_t kw, const int8_t *w, const int32_t *bias,
                   int32_t x_zp, void *packed);
/* Scratch bytes for oq_q8_dwconv: a row of zero-point bytes, out_w*kh*kw row pointers and kh*kw
 * offsets. */
size_t oq_q8_dw_workspace_size(const oq_q8_conv_shape *s);
/* Depthwise conv (s->groups == s->in_c == s->out_c) with the best kernel (or k if non-NULL). */
void oq_q8_dwconv(const oq_q8_dw_kernel *k, const oq_q8_conv_shape *s, const uint8_t *x,
                  int32_t x_zp, const void *packed, void *y, const oq_q8_requant *rq,
                  void *workspace);

/* ---------------------------------------------------------------------------------------------
 * Dynamic quantization (ONNX DynamicQuantizeLinear + MatMulInteger style, fp32 output).
 * --------------------------------------------------------------------------------------------- */
/* ONNX DynamicQuantizeLinear qparams of x[n]: range widened to include 0, scale = range/255
 * (1 if the range is 0), zp = saturate(rne(-min/scale)). */
void oq_q8_dynamic_qparams(size_t n, const float *x, float *scale, int32_t *zp);
/* Scratch bytes for oq_q8_dynamic_matmul. */
size_t oq_q8_dynamic_workspace_size(size_t M, size_t N, size_t K);
/* y[M][N] = fmaf((float)(acc - a_zp*colsum[n]), a_scale*w_scale[n], bias[n]) where acc is the
 * u8 x s8 product of x quantized at run time (DynamicQuantizeLinear) and W packed with a_zp 0
 * and no int bias. w_scale per column (stride 1) or per tensor (stride 0); bias float or NULL. */
void oq_q8_dynamic_matmul(oq_q8_layout layout, size_t M, size_t N, size_t K, const float *x,
                          const void *packed, const float *w_scale, size_t w_scale_stride,
                          const float *bias, float *y, void *workspace);

/* ---------------------------------------------------------------------------------------------
 * Element-wise and data movement (memory bound). dt selects u8/s8 for every tensor. Each public
 * function runs the element-wise kernel table chosen once per process (runtime/q8/qu8-eltwise/:
 * scalar, AVX2, AVX-512, NEON; ONNXQ_ISA caps it) and is bit-identical to its scalar *_ref.
 * --------------------------------------------------------------------------------------------- */
/* Quantize (ONNX QuantizeLinear): q = clamp(rne(x / scale) + zp). */
void oq_q8_quantize(size_t n, const float *x, float scale, int32_t zp, oq_q8_dtype dt, void *q);
/* Dequantize: x = (float)(q - zp) * scale. Vectorized on AVX2. */
void oq_q8_dequantize(size_t n, const void *q, oq_q8_dtype dt, float scale, int32_t zp, float *x);
/* s8 activations (zp z) -> u8 activations (zp z + 128) by flipping the sign bit: the GEMM, conv
 * and depthwise kernels take u8 activations, so an int8-activation model runs them on
 * oq_q8_flip_sign(x) with a_zp + 128 (in place allowed). */
void oq_q8_flip_sign(size_t n, const void *x, void *y);
/* Scalar references of the two above (tests). */
void oq_q8_quantize_ref(size_t n, const float *x, float scale, int32_t zp, oq_q8_dtype dt,
                        void *q);
void oq_q8_dequantize_ref(size_t n, const void *q, oq_q8_dtype dt, float scale, int32_t zp,
                          float *x);

/* QLinearAdd / QLinearMul with broadcasting by strides: element i reads a[i*a_stride],
 * b[i*b_stride] (stride 0 broadcasts a scalar). Add: y = rne((double)(a-za)*(float)(sa/sy) +
 * (double)(b-zb)*(float)(sb/sy)) + zy (exact products in double, so FMA contraction cannot change
 * it). Mul: y = rne((float)((a-za)*(b-zb)) * (float)(sa*sb/sy)) + zy. Saturating to [qmin, qmax].
 */
typedef struct oq_q8_binary {
    oq_q8_dtype dt;              /* dtype of a, b, y */
    int32_t a_zp, b_zp, y_zp;    /* zero points */
    float a_mul, b_mul;          /* Add: sa/sy, sb/sy; Mul: a_mul = sa*sb/sy */
    int32_t qmin, qmax;          /* output clamp */
} oq_q8_binary;
void oq_q8_add_init(oq_q8_binary *p, oq_q8_dtype dt, float sa, int32_t za, float sb, int32_t zb,
                    float sy, int32_t zy);
void oq_q8_mul_init(oq_q8_binary *p, oq_q8_dtype dt, float sa, int32_t za, float sb, int32_t zb,
                    float sy, int32_t zy);
void oq_q8_add(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride, void *y,
               const oq_q8_binary *p);
void oq_q8_mul(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride, void *y,
               const oq_q8_binary *p);
/* Scalar references of the two above (the definition; tests). */
void oq_q8_add_ref(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride,
                   void *y, const oq_q8_binary *p);
void oq_q8_mul_ref(size_t n, const void *a, size_t a_stride, const void *b, size_t b_stride,
                   void *y, const oq_q8_binary *p);

/* Requantize n values from (sx, zx) to (sy, zy): y = rne((float)(x-zx) * (float)(sx/sy)) + zy;
 * a plain copy when the qparams are equal. */
void oq_q8_rescale(size_t n, const void *x, float sx, int32_t zx, void *y, float sy, int32_t zy,
                   oq_q8_dtype dt);
void oq_q8_rescale_ref(size_t n, const void *x, float sx, int32_t zx, void *y, float sy,
                       int32_t zy, oq_q8_dtype dt);
/* Concat with scale alignment: output viewed as [outer][sum of inner[i]]; input i is
 * [outer][inner[i]] with qparams (scale[i], zp[i]), rescaled to (sy, zy). */
void oq_q8_concat(size_t outer, size_t count, const void *const *x, const size_t *inner,
                  const float *scale, const int32_t *zp, void *y, float sy, int32_t zy,
                  oq_q8_dtype dt);

/* Pooling over NHWC. ceil_mode and count_include_pad as in ONNX; pads are ignored by MaxPool. */
typedef struct oq_q8_pool_shape {
    size_t batch, in_h, in_w, c;
    size_t kh, kw, stride_h, stride_w, dil_h, dil_w;
    size_t pad_top, pad_left, pad_bottom, pad_right;
    bool ceil_mode, count_include_pad;
    size_t out_h, out_w;         /* filled by oq_q8_pool_init */
} oq_q8_pool_shape;
bool oq_q8_pool_init(oq_q8_pool_shape *s);
void oq_q8_maxpool(const oq_q8_pool_shape *s, const void *x, void *y, oq_q8_dtype dt);
/* y = rne((double)(sum - cnt*zx) * (float)(sx/sy) / cnt) + zy (cnt: taps in the window, or
 * kh*kw with count_include_pad, padded taps counting as zx). Equal qparams give the exact
 * integer mean rounded half to even. */
void oq_q8_avgpool(const oq_q8_pool_shape *s, const void *x, float sx, int32_t zx, void *y,
                   float sy, int32_t zy, oq_q8_dtype dt);
/* GlobalAveragePool: x[batch][hw][c] -> y[batch][c], same rounding as oq_q8_avgpool. */
void oq_q8_global_avgpool(size_t batch, size_t hw, size_t c, const void *x, float sx, int32_t zx,
                          void *y, float sy, int32_t zy, oq_q8_dtype dt);
/* Scalar references of the three pools (tests). */
void oq_q8_maxpool_ref(const oq_q8_pool_shape *s, const void *x, void *y, oq_q8_dtype dt);
void oq_q8_avgpool_ref(const oq_q8_pool_shape *s, const void *x, float sx, int32_t zx, void *y,
                       float sy, int32_t zy, oq_q8_dtype dt);
void oq_q8_global_avgpool_ref(size_t batch, size_t hw, size_t c, const void *x, float sx,
                              int32_t zx, void *y, float sy, int32_t zy, oq_q8_dtype dt);

/* Resize nearest over NHWC (1-byte elements). coord: 0 half_pixel, 1 asymmetric,
 * 2 align_corners, 3 pytorch_half_pixel, 4 tf_half_pixel_for_nn; nearest: 0 round_prefer_floor,
 * 1 round_prefer_ceil, 2 floor, 3 ceil. scale_h/w: ONNX scales (0: out/in). */
void oq_q8_resize_nearest(size_t batch, size_t in_h, size_t in_w, size_t c, size_t out_h,
                          size_t out_w, float scale_h, float scale_w, int coord, int nearest,
                          const void *x, void *y);
/* Scalar reference of the above (a source index per output pixel; tests). */
void oq_q8_resize_nearest_ref(size_t batch, size_t in_h, size_t in_w, size_t c, size_t out_h,
                              size_t out_w, float scale_h, float scale_w, int coord, int nearest,
                              const void *x, void *y);

/* 256-entry lookup tables built from qparams (at compile time by the C backend). */
typedef enum oq_q8_lut_kind {
    OQ_Q8_LUT_SIGMOID, OQ_Q8_LUT_HARDSIGMOID, OQ_Q8_LUT_HARDSWISH, OQ_Q8_LUT_TANH,
    OQ_Q8_LUT_LEAKYRELU,
} oq_q8_lut_kind;
/* table[(uint8_t)q] = quantize(f(dequantize(q))), f in double; alpha/beta: HardSigmoid (ONNX
 * defaults 0.2, 0.5), LeakyRelu alpha (0.01); ignored otherwise. */
void oq_q8_lut_build(oq_q8_lut_kind kind, float alpha, float beta, float sx, int32_t zx,
                     float sy, int32_t zy, oq_q8_dtype dt, uint8_t table[256]);
void oq_q8_lut_apply(size_t n, const void *x, const uint8_t table[256], void *y);
void oq_q8_lut_apply_ref(size_t n, const void *x, const uint8_t table[256], void *y);

/* Layout transposes for graph boundaries; elem bytes per element (1 or 4). */
void oq_q8_nchw_to_nhwc(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y);
void oq_q8_nhwc_to_nchw(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y);
void oq_q8_nchw_to_nhwc_ref(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y);
void oq_q8_nhwc_to_nchw_ref(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y);
#endif
