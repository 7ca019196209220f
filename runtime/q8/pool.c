/* pool.c: MaxPool, AveragePool and GlobalAveragePool over NHWC int8. Averages are computed from
 * the exact integer window sum: y = rne((double)(sum - cnt*zx) * (float)(sx/sy) / cnt) + zy, so
 * equal in/out qparams give the integer mean rounded half to even. The *_ref functions are the
 * scalar definition; the public ones gather each output pixel's in-image taps as row pointers
 * and run the element-wise kernel table (qu8-eltwise/), vectorized over channels. */
#include "q8.h"
#include "qu8-eltwise/qu8-eltwise.h"
#include "requant.h"

bool oq_q8_pool_init(oq_q8_pool_shape *s)
{
    if (!s->kh || !s->kw || !s->stride_h || !s->stride_w || !s->dil_h || !s->dil_w)
        return false;
    size_t eh = (s->kh - 1) * s->dil_h + 1, ew = (s->kw - 1) * s->dil_w + 1;
    size_t ph = s->in_h + s->pad_top + s->pad_bottom, pw = s->in_w + s->pad_left + s->pad_right;
    if (ph < eh || pw < ew)
        return false;
    size_t rh = s->ceil_mode ? s->stride_h - 1 : 0, rw = s->ceil_mode ? s->stride_w - 1 : 0;
    s->out_h = (ph - eh + rh) / s->stride_h + 1;
    s->out_w = (pw - ew + rw) / s->stride_w + 1;
    /* ONNX/PyTorch: the last window must start inside the input or left padding */
    if (s->ceil_mode && (s->out_h - 1) * s->stride_h >= s->in_h + s->pad_top)
        s->out_h--;
    if (s->ceil_mode && (s->out_w - 1) * s->stride_w >= s->in_w + s->pad_left)
        s->out_w--;
    return true;
}

/* Window taps of output (oy, ox): in-image pixel offsets in px[] (count returned);
 * *all = taps of the window that fall inside the padded extent (count_include_pad divisor). */
static size_t window(const oq_q8_pool_shape *s, size_t oy, size_t ox, size_t *px, size_t *all)
{
    size_t n = 0, a = 0;
    for (size_t ky = 0; ky < s->kh; ky++) {
        size_t iy = oy * s->stride_h + ky * s->dil_h;
        for (size_t kx = 0; kx < s->kw; kx++) {
            size_t ix = ox * s->stride_w + kx * s->dil_w;
            if (iy < s->in_h + s->pad_top + s->pad_bottom &&
                ix < s->in_w + s->pad_left + s->pad_right)
                a++;
            if (iy >= s->pad_top && iy - s->pad_top < s->in_h && ix >= s->pad_left &&
                ix - s->pad_left < s->in_w)
                px[n++] = (iy - s->pad_top) * s->in_w + ix - s->pad_left;
        }
    }
    *all = a;
    return n;
}

void oq_q8_maxpool_ref(const oq_q8_pool_shape *s, const void *x, void *y, oq_q8_dtype dt)
{
    size_t px[256], all, C = s->c, o = 0;
    assert(s->kh * s->kw <= 256);
    for (size_t b = 0; b < s->batch; b++) {
        size_t xb = b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++)
            for (size_t ox = 0; ox < s->out_w; ox++, o += C) {
                size_t n = window(s, oy, ox, px, &all);
                for (size_t c = 0; c < C; c++) {
                    int32_t m = dt == OQ_Q8_S8 ? -128 : 0;
                    for (size_t t = 0; t < n; t++) {
                        int32_t v = oq_q8_ld(x, xb + px[t] * C + c, dt);
                        m = v > m ? v : m;
                    }
                    oq_q8_st(y, o + c, m, dt);
                }
            }
    }
}

/* rne((double)(sum - cnt*zx) * r / cnt) + zy, saturated. */
static int32_t avg(int64_t sum, size_t cnt, int32_t zx, float r, int32_t zy, oq_q8_dtype dt)
{
    int32_t lo = dt == OQ_Q8_S8 ? -128 : 0, hi = dt == OQ_Q8_S8 ? 127 : 255;
    double d = (double)(sum - (int64_t)cnt * zx) * (double)r / (double)cnt;
    return oq_q8_round_sat(d, zy, lo, hi);
}

void oq_q8_avgpool_ref(const oq_q8_pool_shape *s, const void *x, float sx, int32_t zx, void *y,
                       float sy, int32_t zy, oq_q8_dtype dt)
{
    size_t px[256], all, C = s->c, o = 0;
    assert(s->kh * s->kw <= 256);
    float r = sx / sy;
    for (size_t b = 0; b < s->batch; b++) {
        size_t xb = b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++)
            for (size_t ox = 0; ox < s->out_w; ox++, o += C) {
                size_t n = window(s, oy, ox, px, &all);
                size_t cnt = s->count_include_pad ? all : n;
                for (size_t c = 0; c < C; c++) {
                    int64_t sum = (int64_t)(cnt - n) * zx; /* padded taps read as zx */
                    for (size_t t = 0; t < n; t++)
                        sum += oq_q8_ld(x, xb + px[t] * C + c, dt);
                    oq_q8_st(y, o + c, cnt ? avg(sum, cnt, zx, r, zy, dt) : zy, dt);
                }
            }
    }
}

void oq_q8_global_avgpool_ref(size_t batch, size_t hw, size_t c, const void *x, float sx,
                              int32_t zx, void *y, float sy, int32_t zy, oq_q8_dtype dt)
{
    float r = sx / sy;
    for (size_t b = 0; b < batch; b++)
        for (size_t ch = 0; ch < c; ch++) {
            int64_t sum = 0;
            for (size_t p = 0; p < hw; p++)
                sum += oq_q8_ld(x, (b * hw + p) * c + ch, dt);
            oq_q8_st(y, b * c + ch, avg(sum, hw, zx, r, zy, dt), dt);
        }
}

/* Tap offsets of a whole window relative to its top-left pixel (bytes), for interior windows. */
typedef struct taps_plan {
    size_t off[256];             /* (ky*dil_h*in_w + kx*dil_w) * c */
    size_t n;                    /* kh * kw */
} taps_plan;

static void plan_taps(const oq_q8_pool_shape *s, taps_plan *tp)
{
    tp->n = 0;
    for (size_t ky = 0; ky < s->kh; ky++)
        for (size_t kx = 0; kx < s->kw; kx++)
            tp->off[tp->n++] = (ky * s->dil_h * s->in_w + kx * s->dil_w) * s->c;
}

/* Row pointers of the in-image taps of output (oy, ox) of image xb; count returned, *all as
 * window() (windows wholly inside the image take the precomputed offsets). */
static size_t taps_of(const oq_q8_pool_shape *s, const taps_plan *pl, const uint8_t *xb,
                      size_t oy, size_t ox, const uint8_t **tp, size_t *all)
{
    size_t y0 = oy * s->stride_h, x0 = ox * s->stride_w;
    if (y0 >= s->pad_top && y0 - s->pad_top + (s->kh - 1) * s->dil_h < s->in_h &&
        x0 >= s->pad_left && x0 - s->pad_left + (s->kw - 1) * s->dil_w < s->in_w) {
        const uint8_t *base = xb + ((y0 - s->pad_top) * s->in_w + x0 - s->pad_left) * s->c;
        for (size_t t = 0; t < pl->n; t++)
            tp[t] = base + pl->off[t];
        *all = pl->n;
        return pl->n;
    }
    size_t px[256];
    size_t n = window(s, oy, ox, px, all);
    for (size_t t = 0; t < n; t++)
        tp[t] = xb + px[t] * s->c;
    return n;
}

/* Output columns [*lo, *hi) whose windows lie inside the image horizontally (empty: lo == hi). */
static void interior_cols(const oq_q8_pool_shape *s, size_t *lo, size_t *hi)
{
    size_t ext = (s->kw - 1) * s->dil_w, a = (s->pad_left + s->stride_w - 1) / s->stride_w, b = 0;
    if (s->in_w + s->pad_left > ext) /* ox * stride_w <= in_w + pad_left - 1 - ext */
        b = (s->in_w + s->pad_left - 1 - ext) / s->stride_w + 1;
    b = b < s->out_w ? b : s->out_w;
    *lo = a < b ? a : b, *hi = b;
}

void oq_q8_maxpool_with(const oq_q8_elt_ukernels *k, const oq_q8_pool_shape *s, const void *x,
                        void *y, oq_q8_dtype dt)
{
    const uint8_t *tp[256];
    size_t all, C = s->c, lo, hi;
    uint8_t *o = y;
    assert(s->kh * s->kw <= 256);
    taps_plan pl;
    plan_taps(s, &pl);
    interior_cols(s, &lo, &hi);
    for (size_t b = 0; b < s->batch; b++) {
        const uint8_t *xb = (const uint8_t *)x + b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++) {
            size_t y0 = oy * s->stride_h;
            bool row_in = y0 >= s->pad_top && y0 - s->pad_top + (s->kh - 1) * s->dil_h < s->in_h;
            for (size_t ox = 0; ox < s->out_w; ox++, o += C) {
                if (row_in && ox == lo && lo < hi) { /* the interior run: one call */
                    taps_of(s, &pl, xb, oy, ox, tp, &all);
                    k->maxpool(C, hi - lo, pl.n, tp, s->stride_w * C, o, dt);
                    o += (hi - lo - 1) * C, ox = hi - 1;
                    continue;
                }
                size_t n = taps_of(s, &pl, xb, oy, ox, tp, &all);
                if (n)
                    k->maxpool(C, 1, n, tp, 0, o, dt);
                else /* a window wholly in the padding: the reference's initial value */
                    for (size_t c = 0; c < C; c++)
                        o[c] = dt == OQ_Q8_S8 ? 0x80 : 0;
            }
        }
    }
}

void oq_q8_maxpool(const oq_q8_pool_shape *s, const void *x, void *y, oq_q8_dtype dt)
{
    oq_q8_maxpool_with(oq_q8_elt(), s, x, y, dt);
}

/* Averaging parameters for cnt taps of which n in the image (cnt > 0). */
static void avg_params(oq_q8_avg_params *p, size_t n, size_t cnt, float r, int32_t zx,
                       int32_t zy, oq_q8_dtype dt)
{
    p->dt = dt;
    p->bias = -(int32_t)n * zx;
    p->r = (double)r;
    p->cnt = (double)cnt;
    p->zy = zy;
    p->lo = dt == OQ_Q8_S8 ? -128 : 0;
    p->hi = dt == OQ_Q8_S8 ? 127 : 255;
}

void oq_q8_avgpool_with(const oq_q8_elt_ukernels *k, const oq_q8_pool_shape *s, const void *x,
                        float sx, int32_t zx, void *y, float sy, int32_t zy, oq_q8_dtype dt)
{
    const uint8_t *tp[256];
    size_t all, C = s->c;
    uint8_t *o = y;
    assert(s->kh * s->kw <= 256);
    taps_plan pl;
    plan_taps(s, &pl);
    float r = sx / sy;
    size_t lo, hi;
    interior_cols(s, &lo, &hi);
    for (size_t b = 0; b < s->batch; b++) {
        const uint8_t *xb = (const uint8_t *)x + b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++) {
            size_t y0 = oy * s->stride_h;
            bool row_in = y0 >= s->pad_top && y0 - s->pad_top + (s->kh - 1) * s->dil_h < s->in_h;
            for (size_t ox = 0; ox < s->out_w; ox++, o += C) {
                oq_q8_avg_params p;
                if (row_in && ox == lo && lo < hi) { /* the interior run: kh*kw taps each */
                    taps_of(s, &pl, xb, oy, ox, tp, &all);
                    avg_params(&p, pl.n, pl.n, r, zx, zy, dt);
                    k->avgpool(C, hi - lo, pl.n, tp, s->stride_w * C, o, &p);
                    o += (hi - lo - 1) * C, ox = hi - 1;
                    continue;
                }
                size_t n = taps_of(s, &pl, xb, oy, ox, tp, &all);
                size_t cnt = s->count_include_pad ? all : n;
                if (!cnt) {
                    for (size_t c = 0; c < C; c++)
                        oq_q8_st(o, c, zy, dt);
                    continue;
                }
                avg_params(&p, n, cnt, r, zx, zy, dt);
                k->avgpool(C, 1, n, tp, 0, o, &p);
            }
        }
    }
}

void oq_q8_avgpool(const oq_q8_pool_shape *s, const void *x, float sx, int32_t zx, void *y,
                   float sy, int32_t zy, oq_q8_dtype dt)
{
    oq_q8_avgpool_with(oq_q8_elt(), s, x, sx, zx, y, sy, zy, dt);
}

void oq_q8_global_avgpool_with(const oq_q8_elt_ukernels *k, size_t batch, size_t hw, size_t c,
                               const void *x, float sx, int32_t zx, void *y, float sy,
                               int32_t zy, oq_q8_dtype dt)
{
    /* int32 sums and exact double products need |sum - hw*zx| < 2^29 */
    if (hw == 0 || hw > ((size_t)1 << 29) / 256) {
        oq_q8_global_avgpool_ref(batch, hw, c, x, sx, zx, y, sy, zy, dt);
        return;
    }
    oq_q8_avg_params p;
    avg_params(&p, hw, hw, sx / sy, zx, zy, dt);
    for (size_t b = 0; b < batch; b++)
        k->gavgpool(hw, c, (const uint8_t *)x + b * hw * c, (uint8_t *)y + b * c, &p);
}

void oq_q8_global_avgpool(size_t batch, size_t hw, size_t c, const void *x, float sx, int32_t zx,
                          void *y, float sy, int32_t zy, oq_q8_dtype dt)
{
    oq_q8_global_avgpool_with(oq_q8_elt(), batch, hw, c, x, sx, zx, y, sy, zy, dt);
}
