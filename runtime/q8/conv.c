/* conv.c: NHWC convolution as GEMM. 1x1 stride-1 unpadded convs read the input directly
 * (A = pixels x channels of the group); every other shape goes through im2col in blocks of
 * CONV_MB output pixels (rows padded to Kp bytes, padding taps = input zero point), so the
 * workspace is CONV_MB * Kp (+ 32) bytes whatever the image size. Groups are separate GEMMs. */
#include <string.h>

#include "q8.h"
#include "requant.h"

#define CONV_MB 96 /* im2col rows per block: a multiple of every kernel's MR (2, 3, 4, 6, 8, 32) */

/* Bytes per im2col row: K rounded up to the packing granularity. */
static size_t kpad(const oq_q8_conv_shape *s)
{
    return (s->kh * s->kw * (s->in_c / s->groups) + 3) / 4 * 4;
}

/* True if the conv is a GEMM on the input as is (1x1, stride 1, no padding). */
static bool direct(const oq_q8_conv_shape *s)
{
    return s->kh == 1 && s->kw == 1 && s->stride_h == 1 && s->stride_w == 1 && !s->pad_top &&
           !s->pad_left && !s->pad_bottom && !s->pad_right;
}

#define SLACK 32 /* bytes after the im2col block: runs are copied with whole 16/32-byte moves */

size_t oq_q8_conv_workspace_size(const oq_q8_conv_shape *s)
{
    return direct(s) ? 0 : CONV_MB * kpad(s) + SLACK;
}

/* Copies n bytes from s to d with inline fixed-size moves (overlapping at the end), never
 * touching bytes outside [0, n): im2col copies are short (cg or kw*cg bytes) and a libc call per
 * tap cost more than the copy. */
static inline void copy_bytes(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n >= 32) {
        size_t i = 0;
        for (; i + 32 <= n; i += 32)
            memcpy(d + i, s + i, 32);
        if (i < n)
            memcpy(d + n - 32, s + n - 32, 32);
    } else if (n >= 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/* Sets n bytes at d to v (short runs inline, long ones through memset). */
static inline void fill_bytes(uint8_t *d, uint8_t v, size_t n)
{
    if (n > 64) {
        memset(d, v, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = v;
}

/* Copies a run of n bytes: one 16- or 32-byte move when n fits and the source may be read that
 * far (src + 32 <= xend); the bytes written past dst + n land in the next run, the row padding or
 * the workspace slack, all written later or never read. */
static inline void copy_run(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *xend)
{
    if (n <= 16 && s + 32 <= xend)
        memcpy(d, s, 16);
    else if (n <= 32 && s + 32 <= xend)
        memcpy(d, s, 32);
    else
        copy_bytes(d, s, n);
}

/* Writes the im2col rows of output pixels [p0, p0+rows) of image xb, group g, into ws (xend: end
 * of the input buffer). A kernel row (fixed ky) whose taps are all inside the image is one
 * contiguous run of kw*cg bytes when groups == 1 and dil_w == 1, copied at once. */
static void im2col(const oq_q8_conv_shape *s, const uint8_t *xb, const uint8_t *xend, uint8_t zp,
                   size_t g, size_t p0, size_t rows, uint8_t *ws, size_t kp)
{
    const size_t cg = s->in_c / s->groups, K = s->kh * s->kw * cg, rowb = s->in_w * s->in_c;
    const bool runs = s->groups == 1 && s->dil_w == 1;
    const size_t run = s->kw * cg, xspan = (s->kw - 1) * s->dil_w;
    size_t oy = p0 / s->out_w, ox = p0 % s->out_w;
    for (size_t r = 0; r < rows; r++) {
        uint8_t *dst = ws + r * kp;
        size_t ix0 = ox * s->stride_w; /* + pad_left offset */
        bool xin = ix0 >= s->pad_left && ix0 + xspan - s->pad_left < s->in_w;
        for (size_t ky = 0; ky < s->kh; ky++) {
            size_t iy = oy * s->stride_h + ky * s->dil_h; /* + pad_top offset */
            if (iy < s->pad_top || iy - s->pad_top >= s->in_h) {
                fill_bytes(dst, zp, run);
                dst += run;
                continue;
            }
            const uint8_t *src = xb + (iy - s->pad_top) * rowb + g * cg;
            if (xin && runs) {
                copy_run(dst, src + (ix0 - s->pad_left) * s->in_c, run, xend);
                dst += run;
                continue;
            }
            for (size_t kx = 0; kx < s->kw; kx++, dst += cg) {
                size_t ix = ix0 + kx * s->dil_w;
                if (ix >= s->pad_left && ix - s->pad_left < s->in_w)
                    copy_run(dst, src + (ix - s->pad_left) * s->in_c, cg, xend);
                else
                    fill_bytes(dst, zp, cg);
            }
        }
        fill_bytes(ws + r * kp + K, zp, kp - K);
        if (++ox == s->out_w)
            ox = 0, oy++;
    }
}

void oq_q8_conv_with(const oq_q8_gemm_kernel *k, const oq_q8_conv_shape *s, const uint8_t *x,
                     int32_t x_zp, const void *packed, void *y, const oq_q8_requant *rq,
                     void *workspace)
{
    size_t cg = s->in_c / s->groups, mg = s->out_c / s->groups, K = s->kh * s->kw * cg;
    size_t kp = kpad(s), M = s->out_h * s->out_w, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    size_t gb = oq_q8_packed_size(k->layout, K, mg);
    const uint8_t *xend = x + s->batch * s->in_h * s->in_w * s->in_c;
    for (size_t b = 0; b < s->batch; b++) {
        const uint8_t *xb = x + b * s->in_h * s->in_w * s->in_c;
        uint8_t *yb = (uint8_t *)y + b * M * s->out_c * es;
        for (size_t g = 0; g < s->groups; g++) {
            const uint8_t *pg = (const uint8_t *)packed + g * gb;
            if (direct(s)) {
                oq_q8_gemm_run(k, M, mg, K, xb + g * cg, s->in_c, pg, yb + g * mg * es, s->out_c,
                               g * mg, rq);
                continue;
            }
            for (size_t p0 = 0; p0 < M; p0 += CONV_MB) {
                size_t rows = M - p0 < CONV_MB ? M - p0 : CONV_MB;
                im2col(s, xb, xend, (uint8_t)x_zp, g, p0, rows, workspace, kp);
                /* depth kp: the zero-point padding bytes meet zero packed weights, and whole
                 * 4-byte groups need no tail loads */
                oq_q8_gemm_run(k, rows, mg, kp, workspace, kp, pg,
                               yb + (p0 * s->out_c + g * mg) * es, s->out_c, g * mg, rq);
            }
        }
    }
}

void oq_q8_conv(const oq_q8_conv_shape *s, const uint8_t *x, int32_t x_zp, oq_q8_layout layout,
                const void *packed, void *y, const oq_q8_requant *rq, void *workspace)
{
    oq_q8_conv_with(oq_q8_gemm_select(layout), s, x, x_zp, packed, y, rq, workspace);
}

void oq_q8_conv_ref(const oq_q8_conv_shape *s, const uint8_t *x, int32_t x_zp, const int8_t *w,
                    const int32_t *bias, void *y, const oq_q8_requant *rq)
{
    size_t cg = s->in_c / s->groups, mg = s->out_c / s->groups;
    size_t idx = 0;
    for (size_t b = 0; b < s->batch; b++)
        for (size_t oy = 0; oy < s->out_h; oy++)
            for (size_t ox = 0; ox < s->out_w; ox++)
                for (size_t oc = 0; oc < s->out_c; oc++, idx++) {
                    size_t g = oc / mg;
                    int32_t acc = bias ? bias[oc] : 0;
                    for (size_t c = 0; c < cg; c++)
                        for (size_t ky = 0; ky < s->kh; ky++)
                            for (size_t kx = 0; kx < s->kw; kx++) {
                                long iy = (long)(oy * s->stride_h + ky * s->dil_h) -
                                          (long)s->pad_top;
                                long ix = (long)(ox * s->stride_w + kx * s->dil_w) -
                                          (long)s->pad_left;
                                int32_t xv = x_zp;
                                if (iy >= 0 && iy < (long)s->in_h && ix >= 0 && ix < (long)s->in_w)
                                    xv = x[((b * s->in_h + iy) * s->in_w + ix) * s->in_c +
                                           g * cg + c];
                                acc += (xv - x_zp) * w[((oc * cg + c) * s->kh + ky) * s->kw + kx];
                            }
                    oq_q8_store(rq, y, idx, oc, acc);
                }
}
