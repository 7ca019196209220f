/* fp32 ConvTranspose, 1D/2D/3D, groups, dilations, pads (output_padding lives in out[]):
 * per image and group col[Mg*kvol x IHW] = W_g^T[Mg*kvol x Cg] * X_g[Cg x IHW] through the
 * blocked GEMM (weights prepacked transposed), then col2im scatter-adds col into y, which starts
 * as the bias; the clamp runs last. */
#include "f32_internal.h"

#include <math.h>
#include <string.h>

typedef oq_f32_geo tgeo;

/* Bytes of packed weights: one packed A (Mg*kvol x Cg) per group. */
size_t oq_f32_conv_transpose_pack_size(const oq_f32_conv_params *p)
{
    tgeo g;
    oq_f32_geo_of(p, &g);
    size_t Cg = (size_t)(p->C / p->group), Mg = (size_t)(p->M / p->group);
    return (size_t)p->group * oq_f32_pack_a_size(p->isa, Mg * g.kv, Cg);
}

/* Packs w [C, M/group, k...] as W_g^T per group. */
void oq_f32_conv_transpose_pack(const oq_f32_conv_params *p, const float *w, void *packed)
{
    tgeo g;
    oq_f32_geo_of(p, &g);
    size_t Cg = (size_t)(p->C / p->group), Mg = (size_t)(p->M / p->group), R = Mg * g.kv;
    size_t sz = oq_f32_pack_a_size(p->isa, R, Cg);
    for (size_t gi = 0; gi < (size_t)p->group; gi++)
        oq_f32_pack_a(p->isa, true, R, Cg, w + gi * Cg * R, R, (char *)packed + gi * sz);
}

/* Scratch: the col matrix plus the GEMM's blocks. */
size_t oq_f32_conv_transpose_workspace_size(const oq_f32_conv_params *p)
{
    tgeo g;
    oq_f32_geo_of(p, &g);
    size_t Cg = (size_t)(p->C / p->group), Mg = (size_t)(p->M / p->group), R = Mg * g.kv;
    return R * g.inv * sizeof(float) + 64 + oq_f32_gemm_workspace_size(R, g.inv, Cg);
}

/* Adds col (rows (m, kd, kh, kw), columns input positions) into y channels [0, Mg). */
static void col2im(const tgeo *g, size_t Mg, const float *col, float *y)
{
    for (size_t m = 0; m < Mg; m++)
        for (size_t kd = 0; kd < g->k[0]; kd++)
            for (size_t kh = 0; kh < g->k[1]; kh++)
                for (size_t kw = 0; kw < g->k[2]; kw++) {
                    size_t kidx = (kd * g->k[1] + kh) * g->k[2] + kw;
                    const float *row = col + (m * g->kv + kidx) * g->inv;
                    float *ym = y + m * g->outv;
                    for (size_t id = 0; id < g->in[0]; id++) {
                        ptrdiff_t od = (ptrdiff_t)(id * g->s[0] + kd * g->d[0]) -
                                       (ptrdiff_t)g->pb[0];
                        if (od < 0 || od >= (ptrdiff_t)g->out[0])
                            continue;
                        for (size_t ih = 0; ih < g->in[1]; ih++) {
                            ptrdiff_t oh = (ptrdiff_t)(ih * g->s[1] + kh * g->d[1]) -
                                           (ptrdiff_t)g->pb[1];
                            if (oh < 0 || oh >= (ptrdiff_t)g->out[1])
                                continue;
                            const float *r = row + (id * g->in[1] + ih) * g->in[2];
                            float *yr = ym + ((size_t)od * g->out[1] + (size_t)oh) * g->out[2];
                            for (size_t iw = 0; iw < g->in[2]; iw++) {
                                ptrdiff_t ow = (ptrdiff_t)(iw * g->s[2] + kw * g->d[2]) -
                                               (ptrdiff_t)g->pb[2];
                                if (ow >= 0 && ow < (ptrdiff_t)g->out[2])
                                    yr[ow] += r[iw];
                            }
                        }
                    }
                }
}

/* y = clamp(conv_transpose(x, w) + bias); see f32.h. */
void oq_f32_conv_transpose(const oq_f32_conv_params *p, const float *x, const void *packed_w,
                           const float *bias, float *y, void *ws)
{
    tgeo g;
    oq_f32_geo_of(p, &g);
    size_t C = (size_t)p->C, M = (size_t)p->M, G = (size_t)p->group;
    size_t Cg = C / G, Mg = M / G, R = Mg * g.kv;
    const oq_f32_pack_hdr *h = packed_w;
    size_t sz = OQ_F32_HDR + (R + h->r - 1) / h->r * h->r * Cg * sizeof(float);
    float *col = (float *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
    void *gws = col + R * g.inv;
    bool clamp = p->clamp_min > -INFINITY || p->clamp_max < INFINITY;
    oq_f32_epilogue ep = oq_f32_epilogue_default();
    for (size_t n = 0; n < (size_t)p->N; n++) {
        float *yn = y + n * M * g.outv;
        for (size_t m = 0; m < M; m++) {
            float b = bias ? bias[m] : 0.0f;
            for (size_t i = 0; i < g.outv; i++)
                yn[m * g.outv + i] = b;
        }
        for (size_t gi = 0; gi < G; gi++) {
            oq_f32_operand a = {NULL, 0, false, (const char *)packed_w + gi * sz};
            oq_f32_operand b = {x + (n * C + gi * Cg) * g.inv, g.inv, false, NULL};
            oq_f32_src as = {&a, NULL, NULL}, bs = {&b, NULL, NULL};
            oq_f32_gemm_core(p->isa, R, g.inv, Cg, &as, &bs, &ep, col, g.inv, gws);
            col2im(&g, Mg, col, yn + gi * Mg * g.outv);
        }
        if (clamp)
            for (size_t i = 0; i < M * g.outv; i++)
                yn[i] = yn[i] < p->clamp_min ? p->clamp_min
                        : yn[i] > p->clamp_max ? p->clamp_max : yn[i];
    }
}
