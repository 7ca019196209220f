/* fp32 Conv over NC<spatial> images, 1D/2D/3D (lower ranks are 3D with leading size-1 dims).
 * Per image and group: Y_g[Mg x OHW] = W_g[Mg x Cg*kvol] * col[Cg*kvol x OHW] through the blocked
 * GEMM with the weights prepacked as A; col is never materialized: each KC x NC block is gathered
 * straight into packed B panels (im2col-pack, from zero-padded planes for 1D/2D). 1x1/stride-1/
 * no-pad convs read x as B directly. Small output maps (<= 256 positions, >= 64 channels) run
 * transposed, Y_g^T = col^T * W_g^T, so the channels fill the wide panels. Depthwise-style convs
 * (C/group == 1, 1D/2D) use a direct kernel vectorized over output width. */
#include "f32_internal.h"

#include <assert.h>
#include <math.h>
#include <string.h>

typedef oq_f32_geo geo;

/* See f32_internal.h. */
void oq_f32_geo_of(const oq_f32_conv_params *p, oq_f32_geo *g)
{
    int ns = p->nspatial;
    assert(ns >= 1 && ns <= 3);
    for (int d = 0; d < 3; d++) {
        int s = d - (3 - ns);
        g->in[d] = s < 0 ? 1 : (size_t)p->in[s];
        g->k[d] = s < 0 ? 1 : (size_t)p->k[s];
        g->out[d] = s < 0 ? 1 : (size_t)p->out[s];
        g->s[d] = s < 0 ? 1 : (size_t)p->stride[s];
        g->d[d] = s < 0 ? 1 : (size_t)p->dil[s];
        g->pb[d] = s < 0 ? 0 : (size_t)p->pad_begin[s];
    }
    g->inv = g->in[0] * g->in[1] * g->in[2];
    g->kv = g->k[0] * g->k[1] * g->k[2];
    g->outv = g->out[0] * g->out[1] * g->out[2];
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static void padded_dims(const oq_f32_conv_params *p, const geo *g, size_t *hp, size_t *wp);

/* Defaults: 2D, 1 group, unit strides and dilations, no pads, no clamp, AUTO isa. */
void oq_f32_conv_params_init(oq_f32_conv_params *p)
{
    memset(p, 0, sizeof *p);
    p->nspatial = 2;
    p->N = p->C = p->M = p->group = 1;
    for (int d = 0; d < 3; d++) {
        p->in[d] = p->k[d] = p->out[d] = 1;
        p->stride[d] = p->dil[d] = 1;
    }
    p->clamp_min = -INFINITY;
    p->clamp_max = INFINITY;
    p->isa = OQ_F32_AUTO;
}

/* True if the direct depthwise kernel handles p (one input channel per group, 1D/2D). */
static bool use_dw(const oq_f32_conv_params *p)
{
    return p->C / p->group == 1 && p->nspatial <= 2;
}

/* True if every spatial dim is 1x1, stride 1, no pad: x is the B matrix as is. */
static bool is_pointwise(const oq_f32_conv_params *p)
{
    for (int d = 0; d < p->nspatial; d++)
        if (p->k[d] != 1 || p->stride[d] != 1 || p->pad_begin[d] != 0 || p->pad_end[d] != 0)
            return false;
    return true;
}

/* True if the GEMM runs transposed: Y_g^T[OHW x Mg] = col^T * W_g^T, for small output maps
 * (7x7, 14x14) where OHW would fill few NR-wide panels; the channels then fill them instead. */
static bool use_tr(const oq_f32_conv_params *p, const geo *g)
{
    return g->outv <= 256 && p->M / p->group >= 64;
}

/* Bytes of packed weights: depthwise = header + raw weights; else one packed A (or packed B for
 * the transposed form) per group. */
size_t oq_f32_conv_pack_size(const oq_f32_conv_params *p)
{
    geo g;
    oq_f32_geo_of(p, &g);
    size_t Mg = (size_t)(p->M / p->group), K = (size_t)(p->C / p->group) * g.kv;
    if (use_dw(p))
        return OQ_F32_HDR + (size_t)p->M * g.kv * sizeof(float);
    if (use_tr(p, &g))
        return (size_t)p->group * oq_f32_pack_b_size(p->isa, K, Mg);
    return (size_t)p->group * oq_f32_pack_a_size(p->isa, Mg, K);
}

/* Packs w [M, C/group, k...]. */
void oq_f32_conv_pack(const oq_f32_conv_params *p, const float *w, void *packed)
{
    geo g;
    oq_f32_geo_of(p, &g);
    size_t Mg = (size_t)(p->M / p->group), K = (size_t)(p->C / p->group) * g.kv;
    if (use_dw(p)) {
        memset(packed, 0, OQ_F32_HDR);
        memcpy((char *)packed + OQ_F32_HDR, w, (size_t)p->M * g.kv * sizeof(float));
        return;
    }
    bool tr = use_tr(p, &g);
    size_t sz = tr ? oq_f32_pack_b_size(p->isa, K, Mg) : oq_f32_pack_a_size(p->isa, Mg, K);
    for (int64_t gi = 0; gi < p->group; gi++) {
        const float *wg = w + (size_t)gi * Mg * K;
        void *dst = (char *)packed + (size_t)gi * sz;
        if (tr)
            oq_f32_pack_b(p->isa, true, K, Mg, wg, K, dst);
        else
            oq_f32_pack_a(p->isa, false, Mg, K, wg, K, dst);
    }
}

/* Depthwise plane geometry: rows read, phase-plane row length. */
static void dw_dims(const geo *g, size_t *rows, size_t *wq)
{
    *rows = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
    *wq = g->out[2] + (g->k[2] - 1) * g->d[2] / g->s[2] + 16;
}

/* Scratch: tap offsets + phase planes (depthwise) or the GEMM's blocks. */
size_t oq_f32_conv_workspace_size(const oq_f32_conv_params *p)
{
    geo g;
    oq_f32_geo_of(p, &g);
    if (use_dw(p)) {
        size_t rows, wq;
        dw_dims(&g, &rows, &wq);
        return g.kv * sizeof(size_t) + g.s[2] * rows * wq * sizeof(float) + 128;
    }
    size_t Mg = (size_t)(p->M / p->group), Cg = (size_t)(p->C / p->group), K = Cg * g.kv;
    size_t hp = 0, wp = 0, extra = 0;
    if (p->nspatial <= 2)       /* zero-padded input planes of one group */
        padded_dims(p, &g, &hp, &wp);
    extra = Cg * hp * wp * sizeof(float) + 64;
    if (use_tr(p, &g))          /* + Y_g^T buffer + offset table + the GEMM's blocks */
        return extra + g.outv * Mg * sizeof(float) + 64 + g.outv * sizeof(int32_t) + 64 +
               oq_f32_gemm_workspace_size(g.outv, Mg, K);
    return extra + oq_f32_gemm_workspace_size(Mg, g.outv, K);
}

typedef struct im2col_ctx {
    const oq_f32_kernels *ks;  /* for put */
    const geo *g;
    const float *x;            /* first input channel of the group */
    const float *xp;           /* the group's zero-padded planes (1D/2D), hp x wp each */
    size_t hp, wp;
    const int32_t *off;        /* transposed form: offset of output j in a plane, or NULL */
} im2col_ctx;

/* First ow in [0, OW] whose input column ow*s + off is >= lim (off may be negative). */
static size_t first_ow_at(ptrdiff_t lim, ptrdiff_t off, size_t s, size_t OW)
{
    ptrdiff_t need = lim - off;  /* ow*s >= need */
    if (need <= 0)
        return 0;
    size_t ow = ((size_t)need + s - 1) / s;
    return ow < OW ? ow : OW;
}

/* B packer: rows k = (c, kd, kh, kw), columns j = (od, oh, ow) of the virtual im2col matrix.
 * Each output row's run splits analytically into left zeros, an in-bounds (strided) copy and
 * right zeros, written with the ISA's put. */
static void im2col_pack(const void *vctx, size_t k0, size_t kc, size_t j0, size_t nc, unsigned nr,
                        float *dst)
{
    const im2col_ctx *cx = vctx;
    const geo *g = cx->g;
    oq_f32_put_fn put = cx->ks->put;
    size_t OW = g->out[2], OH = g->out[1], sw = g->s[2];
    size_t ps = kc * nr, pad = (nc + nr - 1) / nr * nr - nc;
    for (size_t kk = 0; kk < kc; kk++) {
        size_t k = k0 + kk, ch = k / g->kv, r = k % g->kv;
        size_t kd = r / (g->k[1] * g->k[2]), kh = (r / g->k[2]) % g->k[1], kw = r % g->k[2];
        const float *xc = cx->x + ch * g->inv;
        ptrdiff_t doff = (ptrdiff_t)(kd * g->d[0]) - (ptrdiff_t)g->pb[0];
        ptrdiff_t hoff = (ptrdiff_t)(kh * g->d[1]) - (ptrdiff_t)g->pb[1];
        ptrdiff_t woff = (ptrdiff_t)(kw * g->d[2]) - (ptrdiff_t)g->pb[2];
        size_t vlo = first_ow_at(0, woff, sw, OW);                  /* valid ow: [vlo, vhi) */
        size_t vhi = first_ow_at((ptrdiff_t)g->in[2], woff, sw, OW);
        float *dk = dst + kk * nr;
        size_t ow = j0 % OW, t = j0 / OW, oh = t % OH, od = t / OH;
        for (size_t jj = 0; jj < nc;) {
            size_t end = ow + (nc - jj < OW - ow ? nc - jj : OW - ow);   /* run [ow, end) */
            ptrdiff_t id = (ptrdiff_t)(od * g->s[0]) + doff;
            ptrdiff_t ih = (ptrdiff_t)(oh * g->s[1]) + hoff;
            if (id < 0 || id >= (ptrdiff_t)g->in[0] || ih < 0 || ih >= (ptrdiff_t)g->in[1]) {
                put(dk, ps, nr, jj, NULL, end - ow, 0);
            } else {
                const float *xrow = xc + ((size_t)id * g->in[1] + (size_t)ih) * g->in[2];
                size_t lo = vlo < ow ? ow : vlo > end ? end : vlo;
                size_t hi = vhi < lo ? lo : vhi > end ? end : vhi;
                if (lo > ow)
                    put(dk, ps, nr, jj, NULL, lo - ow, 0);
                if (hi > lo)
                    put(dk, ps, nr, jj + (lo - ow), xrow + (ptrdiff_t)(lo * sw) + woff, hi - lo,
                        sw);
                if (end > hi)
                    put(dk, ps, nr, jj + (hi - ow), NULL, end - hi, 0);
            }
            jj += end - ow;
            ow = end;
            if (ow == OW) {
                ow = 0;
                if (++oh == OH) {
                    oh = 0;
                    od++;
                }
            }
        }
        if (pad)
            put(dk, ps, nr, nc, NULL, pad, 0);
    }
}

/* B packer for 1D/2D convs from zero-padded planes: output (oh, ow) of tap (c, kh, kw) reads
 * xp[c][oh*sh + kh*dh][ow*sw + kw*dw], always in bounds, so a K row is one strided 2D copy. */
static void im2col_pack_padded(const void *vctx, size_t k0, size_t kc, size_t j0, size_t nc,
                               unsigned nr, float *dst)
{
    const im2col_ctx *cx = vctx;
    const geo *g = cx->g;
    size_t OW = g->out[2], sw = g->s[2], rs = g->s[1] * cx->wp;
    size_t ps = kc * nr, pad = (nc + nr - 1) / nr * nr - nc;
    size_t oh0 = j0 / OW, ow0 = j0 % OW;
    /* Narrow panels (the transposed form packs A with nr = MR): gather through the offset
     * table; else gather the K row contiguously first (a "panel" of stride == width is plain
     * row-major), then cut it into panels once. */
    float row[1024];
    bool via_row = nr < 16 && nc <= 1024;
    for (size_t kk = 0; kk < kc; kk++) {
        size_t k = k0 + kk, ch = k / g->kv, r = k % g->kv;
        size_t kh = r / g->k[2], kw = r % g->k[2];
        const float *base = cx->xp + ch * cx->hp * cx->wp + kh * g->d[1] * cx->wp + kw * g->d[2];
        if (cx->off && nr < 16) {
            cx->ks->gatherp(dst + kk * nr, ps, nr, base, cx->off + j0, nc);
            continue;
        }
        float *dk = via_row ? row : dst + kk * nr;
        size_t dps = via_row ? 32 : ps, dnr = via_row ? 32 : nr;
        size_t col = 0, n = nc, oh = oh0;
        if (ow0) {
            size_t len = OW - ow0 < n ? OW - ow0 : n;
            cx->ks->put(dk, dps, dnr, 0, base + oh * rs + ow0 * sw, len, sw);
            col += len, n -= len, oh++;
        }
        size_t full = n / OW;
        if (full) {
            cx->ks->put2d(dk, dps, dnr, col, base + oh * rs, full, OW, rs, sw);
            col += full * OW, n -= full * OW, oh += full;
        }
        if (n)
            cx->ks->put(dk, dps, dnr, col, base + oh * rs, n, sw);
        if (via_row)
            cx->ks->put(dst + kk * nr, ps, nr, 0, row, nc, 1);
        if (pad)
            cx->ks->put(dst + kk * nr, ps, nr, nc, NULL, pad, 0);
    }
}

/* Padded plane size of a 1D/2D conv (0 if no padding: x is used as is). */
static void padded_dims(const oq_f32_conv_params *p, const geo *g, size_t *hp, size_t *wp)
{
    bool any = false;
    for (int d = 0; d < p->nspatial; d++)
        any = any || p->pad_begin[d] != 0 || p->pad_end[d] != 0;
    size_t pe1 = p->nspatial == 2 ? (size_t)p->pad_end[0] : 0;
    size_t pe2 = (size_t)p->pad_end[p->nspatial - 1];
    *hp = any ? g->in[1] + g->pb[1] + pe1 : 0;
    *wp = any ? g->in[2] + g->pb[2] + pe2 : 0;
}

/* Copies the group's Cg input planes into zero-padded hp x wp planes at xp. */
static void pad_planes(const geo *g, size_t Cg, const float *x, float *xp, size_t hp, size_t wp)
{
    size_t H = g->in[1], W = g->in[2], pt = g->pb[1], pl = g->pb[2];
    for (size_t c = 0; c < Cg; c++, x += H * W)
        for (size_t r = 0; r < hp; r++) {
            float *row = xp + (c * hp + r) * wp;
            if (r < pt || r - pt >= H) {
                memset(row, 0, wp * sizeof(float));
                continue;
            }
            memset(row, 0, pl * sizeof(float));
            memcpy(row + pl, x + (r - pt) * W, W * sizeof(float));
            memset(row + pl + W, 0, (wp - pl - W) * sizeof(float));
        }
}

/* Builds the stride-phase planes of input plane xc (H x W) with the conv's zero padding. */
static void dw_planes(const oq_f32_kernels *ks, const geo *g, const float *xc, float *planes,
                      size_t rows, size_t wq)
{
    size_t sw = g->s[2], H = g->in[1], W = g->in[2], pt = g->pb[1], pl = g->pb[2];
    if (sw == 2 && W / 2 + pl / 2 + 1 <= wq) {
        /* input col j -> padded col j + pl -> phase (j+pl)%2, plane col (j+pl)/2 */
        size_t ne = (W + 1) / 2, no = W / 2;
        size_t qe = pl % 2, ce = pl / 2, qo = (pl + 1) % 2, co = (pl + 1) / 2;
        for (size_t r = 0; r < rows; r++) {
            float *re = planes + qe * rows * wq + r * wq, *ro = planes + qo * rows * wq + r * wq;
            if (r < pt || r - pt >= H) {
                memset(re, 0, wq * sizeof(float));
                memset(ro, 0, wq * sizeof(float));
                continue;
            }
            memset(re, 0, ce * sizeof(float));
            memset(ro, 0, co * sizeof(float));
            ks->deint2(xc + (r - pt) * W, re + ce, ne, ro + co, no);
            memset(re + ce + ne, 0, (wq - ce - ne) * sizeof(float));
            memset(ro + co + no, 0, (wq - co - no) * sizeof(float));
        }
        return;
    }
    for (size_t q = 0; q < sw; q++) {
        /* plane column c holds padded column c*sw + q = input column c*sw + q - pl */
        size_t c0 = pl > q ? (pl - q + sw - 1) / sw : 0;           /* first c with col >= 0 */
        size_t c1 = W + pl > q ? (W + pl - q + sw - 1) / sw : 0;   /* first c with col >= W */
        c0 = min_sz(c0, wq), c1 = min_sz(c1 < c0 ? c0 : c1, wq);
        float *pq = planes + q * rows * wq;
        for (size_t r = 0; r < rows; r++) {
            float *row = pq + r * wq;
            if (r < pt || r - pt >= H) {
                memset(row, 0, wq * sizeof(float));
                continue;
            }
            const float *xr = xc + (r - pt) * W + (c0 * sw + q - pl);
            memset(row, 0, c0 * sizeof(float));
            if (sw == 1)
                memcpy(row + c0, xr, (c1 - c0) * sizeof(float));
            else
                for (size_t c = c0; c < c1; c++, xr += sw)
                    row[c] = *xr;
            memset(row + c1, 0, (wq - c1) * sizeof(float));
        }
    }
}

/* Depthwise-style conv (C/group == 1): planes per input channel, then one kernel call per
 * output channel of that group. */
static void conv_dw(const oq_f32_conv_params *p, const geo *g, const float *x, const float *w,
                    const float *bias, float *y, void *ws)
{
    const oq_f32_kernels *ks = oq_f32_kernels_get(p->isa);
    size_t rows, wq;
    dw_dims(g, &rows, &wq);
    size_t *toff = (size_t *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    float *planes = (float *)(((uintptr_t)(toff + g->kv) + 63) & ~(uintptr_t)63);
    size_t sw = g->s[2], pstride = rows * wq;
    for (size_t kh = 0; kh < g->k[1]; kh++)
        for (size_t kw = 0; kw < g->k[2]; kw++) {
            size_t off = kw * g->d[2];
            toff[kh * g->k[2] + kw] = (off % sw) * pstride + kh * g->d[1] * wq + off / sw;
        }
    size_t C = (size_t)p->C, M = (size_t)p->M, Mg = M / (size_t)p->group;
    bool clamp = p->clamp_min > -INFINITY || p->clamp_max < INFINITY;
    oq_f32_dw_args a = {planes, toff, g->kv, g->s[1] * wq, g->out[1], g->out[2], NULL, 0.0f,
                        p->clamp_min, p->clamp_max, clamp, NULL};
    for (size_t n = 0; n < (size_t)p->N; n++)
        for (size_t c = 0; c < C; c++) {
            dw_planes(ks, g, x + (n * C + c) * g->inv, planes, rows, wq);
            for (size_t m = c * Mg; m < (c + 1) * Mg; m++) {
                a.w = w + m * g->kv;
                a.bias = bias ? bias[m] : 0.0f;
                a.y = y + (n * M + m) * g->outv;
                ks->dw(&a);
            }
        }
}

/* y = clamp(conv(x, w) + bias); see f32.h. */
void oq_f32_conv(const oq_f32_conv_params *p, const float *x, const void *packed_w,
                 const float *bias, float *y, void *ws)
{
    geo g;
    oq_f32_geo_of(p, &g);
    if (use_dw(p)) {
        conv_dw(p, &g, x, (const float *)((const char *)packed_w + OQ_F32_HDR), bias, y, ws);
        return;
    }
    size_t C = (size_t)p->C, M = (size_t)p->M, G = (size_t)p->group;
    size_t Cg = C / G, Mg = M / G, K = Cg * g.kv;
    const oq_f32_pack_hdr *h = packed_w;
    size_t sz = OQ_F32_HDR + (Mg + h->r - 1) / h->r * h->r * K * sizeof(float);
    bool pw = is_pointwise(p), tr = use_tr(p, &g), flat = p->nspatial <= 2;
    size_t hp = 0, wp = 0;
    if (flat)
        padded_dims(p, &g, &hp, &wp);
    float *xp = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);    /* padded planes */
    float *yt = (float *)(((uintptr_t)(xp + Cg * hp * wp) + 63) & ~(uintptr_t)63); /* Y_g^T */
    int32_t *off = (int32_t *)(((uintptr_t)(yt + g.outv * Mg) + 63) & ~(uintptr_t)63);
    void *gws = tr ? (void *)(((uintptr_t)(off + g.outv) + 63) & ~(uintptr_t)63) : (void *)yt;
    size_t pwp = hp ? wp : g.in[2];     /* row length of the planes the packer reads */
    if (tr && flat)
        for (size_t o = 0; o < g.outv; o++)
            off[o] = (int32_t)((o / g.out[2]) * g.s[1] * pwp + (o % g.out[2]) * g.s[2]);
    oq_f32_pack_fn packer = flat ? im2col_pack_padded : im2col_pack;
    for (size_t n = 0; n < (size_t)p->N; n++)
        for (size_t gi = 0; gi < G; gi++) {
            const float *xg = x + (n * C + gi * Cg) * g.inv;
            float *yg = y + (n * M + gi * Mg) * g.outv;
            oq_f32_operand wop = {NULL, 0, false, (const char *)packed_w + gi * sz};
            oq_f32_operand xraw = {xg, g.inv, false, NULL};
            im2col_ctx ctx = {oq_f32_kernels_get(p->isa), &g, xg, xg, g.in[1], g.in[2],
                              tr && flat ? off : NULL};
            if (flat && hp && !pw) {
                pad_planes(&g, Cg, xg, xp, hp, wp);
                ctx.xp = xp, ctx.hp = hp, ctx.wp = wp;
            }
            oq_f32_src wsrc = {&wop, NULL, NULL};
            oq_f32_epilogue ep = oq_f32_epilogue_default();
            ep.clamp_min = p->clamp_min;
            ep.clamp_max = p->clamp_max;
            if (!tr) {
                oq_f32_src xsrc = {&xraw, pw ? NULL : packer, &ctx};
                ep.bias_m = bias ? bias + gi * Mg : NULL;
                oq_f32_gemm_core(p->isa, Mg, g.outv, K, &wsrc, &xsrc, &ep, yg, g.outv, gws);
                continue;
            }
            /* transposed: A = col^T packed by im2col, B = W_g^T prepacked, C = Y_g^T */
            oq_f32_operand xt = {xg, g.inv, true, NULL};     /* pointwise: col^T = x^T */
            oq_f32_src xsrc = {pw ? &xt : &xraw, pw ? NULL : packer, &ctx};
            ep.bias_n = bias ? bias + gi * Mg : NULL;
            oq_f32_gemm_core(p->isa, g.outv, Mg, K, &xsrc, &wsrc, &ep, yt, Mg, gws);
            for (size_t m0 = 0; m0 < Mg; m0 += 16) {     /* 16-channel strips: 16 output */
                size_t m1 = m0 + 16 < Mg ? m0 + 16 : Mg;  /* rows stay in L1 */
                for (size_t o = 0; o < g.outv; o++)
                    for (size_t m = m0; m < m1; m++)
                        yg[m * g.outv + o] = yt[o * Mg + m];
            }
        }
}
