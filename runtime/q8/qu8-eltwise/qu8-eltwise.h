/* qu8-eltwise.h: the element-wise int8 micro-kernels (Add, Mul, rescale, pooling, Quantize/
 * Dequantize, LUT, transposes) as one table of function pointers per ISA variant; the public
 * oq_q8_* functions (eltwise.c, pool.c, quant.c, lut.c, transpose.c) call the table chosen once
 * per process (select.c: oq_isa_pick, honouring ONNXQ_ISA). Every entry is bit-identical
 * to the scalar references of those files (tests/kernels/test_eltwise.c); the scalar table
 * (scalar.c) is the fast portable path and also the tail code of the SIMD variants. */
#ifndef OQ_QU8_ELTWISE_H
#define OQ_QU8_ELTWISE_H
#include "../q8.h"

/* Parameters of a requantizing unary op, y = clamp(rne((float)(x - zx) * r), lo - zy,
 * hi - zy) + zy (the fp32 requantize of requant.h). */
typedef struct oq_q8_rescale_params {
    oq_q8_dtype dt;          /* dtype of x and y */
    int32_t zx, zy;          /* zero points */
    float r;                 /* sx / sy (Mul: sa * sb / sy) */
    int32_t lo, hi;          /* output clamp in the dtype */
} oq_q8_rescale_params;

/* Parameters of an averaging pool step: y = round_sat((double)(sum + bias) * r / cnt, zy). */
typedef struct oq_q8_avg_params {
    oq_q8_dtype dt;          /* dtype of x and y */
    int32_t bias;            /* added to the integer sum: -taps_in_image * zx */
    double r;                /* (double)(float)(sx / sy) */
    double cnt;              /* divisor (taps counted), > 0 */
    int32_t zy, lo, hi;      /* output zero point and clamp */
} oq_q8_avg_params;

typedef struct oq_q8_elt_ukernels {
    oq_isa isa;              /* ISA needed (oq_q8_isa_usable) */
    const char *name;        /* "scalar", "avx2", "avx512", "neon" */
    /* y[i] = add(a[i], b[i * b_stride]) as oq_q8_add; b_stride 0 or 1 */
    void (*add)(size_t n, const void *a, const void *b, size_t b_stride, void *y,
                const oq_q8_binary *p);
    /* y[i] = mul(a[i], b[i * b_stride]) as oq_q8_mul; b_stride 0 or 1 */
    void (*mul)(size_t n, const void *a, const void *b, size_t b_stride, void *y,
                const oq_q8_binary *p);
    /* y[i] = requantize(x[i]) with p (no aliasing other than y == x) */
    void (*rescale)(size_t n, const void *x, void *y, const oq_q8_rescale_params *p);
    /* y[p*c + ch] = max over t < taps of in[t][p*step + ch], ch < c, p < pixels; taps >= 1
     * (pixels > 1: a run of interior windows, step = stride_w * c) */
    void (*maxpool)(size_t c, size_t pixels, size_t taps, const uint8_t *const *in, size_t step,
                    void *y, oq_q8_dtype dt);
    /* y[p*c + ch] = avg(sum over t < taps of in[t][p*step + ch]) with prm; taps >= 0 (0: only
     * prm->bias); pixels > 1: a run of interior windows, step = stride_w * c */
    void (*avgpool)(size_t c, size_t pixels, size_t taps, const uint8_t *const *in, size_t step,
                    void *y, const oq_q8_avg_params *prm);
    /* y[ch] = avg(sum over p < rows of x[p * c + ch]) with p (GlobalAveragePool of one image) */
    void (*gavgpool)(size_t rows, size_t c, const void *x, void *y, const oq_q8_avg_params *p);
    /* oq_q8_quantize / oq_q8_dequantize */
    void (*quantize)(size_t n, const float *x, float scale, int32_t zp, oq_q8_dtype dt, void *q);
    void (*dequantize)(size_t n, const void *q, oq_q8_dtype dt, float scale, int32_t zp,
                       float *x);
    /* y[i] = table[x[i]] */
    void (*lut)(size_t n, const uint8_t *x, const uint8_t table[256], uint8_t *y);
    /* y[p][ch] = x[ch][p] for ch < c, p < hw (one image, 1-byte elements); and the inverse */
    void (*chw_to_hwc8)(size_t c, size_t hw, const uint8_t *x, uint8_t *y);
    void (*hwc_to_chw8)(size_t c, size_t hw, const uint8_t *x, uint8_t *y);
} oq_q8_elt_ukernels;

extern const oq_q8_elt_ukernels oq_q8_elt_scalar;
#if defined(__x86_64__) && OQ_WITH_AVX2
extern const oq_q8_elt_ukernels oq_q8_elt_avx2;
#endif
#if defined(__x86_64__) && OQ_WITH_AVX512
extern const oq_q8_elt_ukernels oq_q8_elt_avx512;
#endif
#if defined(__aarch64__) && OQ_WITH_NEON
extern const oq_q8_elt_ukernels oq_q8_elt_neon;
#endif

/* The public functions of eltwise.c, pool.c and transpose.c with an explicit table (tests,
 * bench; concat with k NULL runs the scalar references). */
void oq_q8_add_with(const oq_q8_elt_ukernels *k, size_t n, const void *a, size_t a_stride,
                    const void *b, size_t b_stride, void *y, const oq_q8_binary *p);
void oq_q8_mul_with(const oq_q8_elt_ukernels *k, size_t n, const void *a, size_t a_stride,
                    const void *b, size_t b_stride, void *y, const oq_q8_binary *p);
void oq_q8_rescale_with(const oq_q8_elt_ukernels *k, size_t n, const void *x, float sx,
                        int32_t zx, void *y, float sy, int32_t zy, oq_q8_dtype dt);
void oq_q8_concat_with(const oq_q8_elt_ukernels *k, size_t outer, size_t count,
                       const void *const *x, const size_t *inner, const float *scale,
                       const int32_t *zp, void *y, float sy, int32_t zy, oq_q8_dtype dt);
void oq_q8_maxpool_with(const oq_q8_elt_ukernels *k, const oq_q8_pool_shape *s, const void *x,
                        void *y, oq_q8_dtype dt);
void oq_q8_avgpool_with(const oq_q8_elt_ukernels *k, const oq_q8_pool_shape *s, const void *x,
                        float sx, int32_t zx, void *y, float sy, int32_t zy, oq_q8_dtype dt);
void oq_q8_global_avgpool_with(const oq_q8_elt_ukernels *k, size_t batch, size_t hw, size_t c,
                               const void *x, float sx, int32_t zx, void *y, float sy,
                               int32_t zy, oq_q8_dtype dt);
void oq_q8_nchw_to_nhwc_with(const oq_q8_elt_ukernels *k, size_t n, size_t c, size_t hw,
                             size_t elem, const void *x, void *y);
void oq_q8_nhwc_to_nchw_with(const oq_q8_elt_ukernels *k, size_t n, size_t c, size_t hw,
                             size_t elem, const void *x, void *y);

/* All variants compiled into this binary, low to high ISA (count in *n). */
const oq_q8_elt_ukernels *const *oq_q8_elt_variants(size_t *n);
/* The variant oq_isa_pick chooses for a CPU with features f (never NULL: scalar runs anywhere). */
const oq_q8_elt_ukernels *oq_q8_elt_for(oq_features f);
/* The same for this CPU (chosen once per process; ONNXQ_ISA caps it). */
const oq_q8_elt_ukernels *oq_q8_elt(void);
#endif
