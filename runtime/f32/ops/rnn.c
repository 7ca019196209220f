/* rnn.c: ONNX LSTM of floats (see ops.h), the default activations (Sigmoid for the gates, Tanh
 * for the cell and the output); gates in ONNX order i, o, f, c. Every dot product accumulates in
 * double in index order; the activations are the element-wise kernels' own formulas. */
#include "ops.h"

#include <math.h>
#include <string.h>

static float sigm(float v) { return 1.0f / (1.0f + expf(-v)); }

/* v clipped to [-clip, clip] when clip > 0. */
static float clipv(float v, float clip)
{
    return clip > 0 ? (v < -clip ? -clip : v > clip ? clip : v) : v;
}

size_t oq_f32_lstm_workspace_size(const oq_f32_lstm *p)
{
    /* gate pre-activations [batch, 4 * hidden], h and c [batch, hidden], in float */
    return (size_t)p->batch * (size_t)p->hidden * 6 * sizeof(float) + 16;
}

/* One direction d over the sequence (forward, or backward when rev). */
static void lstm_dir(const oq_f32_lstm *p, int d, int rev, const float *x, const float *w,
                     const float *r, const float *b, const float *h0, const float *c0,
                     const float *pp, float *y, float *yh, float *yc, float *ws)
{
    int64_t B = p->batch, H = p->hidden, I = p->input, nd = p->ndir;
    const float *W = w + d * 4 * H * I, *R = r + d * 4 * H * H;
    const float *Wb = b ? b + d * 8 * H : NULL, *Rb = b ? Wb + 4 * H : NULL;
    const float *P = pp ? pp + d * 3 * H : NULL;
    float *g = ws, *h = ws + B * 4 * H, *c = h + B * H;
    for (int64_t i = 0; i < B * H; i++) {
        h[i] = h0 ? h0[d * B * H + i] : 0.0f;
        c[i] = c0 ? c0[d * B * H + i] : 0.0f;
    }
    for (int64_t s = 0; s < p->seq; s++) {
        int64_t t = rev ? p->seq - 1 - s : s;
        const float *xt = x + t * B * I;
        for (int64_t n = 0; n < B; n++)
            for (int64_t j = 0; j < 4 * H; j++) {
                double acc = 0;
                for (int64_t k = 0; k < I; k++)
                    acc += (double)xt[n * I + k] * W[j * I + k];
                for (int64_t k = 0; k < H; k++)
                    acc += (double)h[n * H + k] * R[j * H + k];
                if (b)
                    acc += (double)Wb[j] + (double)Rb[j];
                g[n * 4 * H + j] = (float)acc;
            }
        for (int64_t n = 0; n < B; n++)
            for (int64_t k = 0; k < H; k++) {
                const float *gn = g + n * 4 * H;
                float cp = c[n * H + k];
                float iv = gn[k], ov = gn[H + k], fv = gn[2 * H + k], cv = gn[3 * H + k];
                if (P) {
                    iv += P[k] * cp;
                    fv += P[2 * H + k] * cp;
                }
                float it = sigm(clipv(iv, p->clip));
                float ft = p->input_forget ? 1.0f - it : sigm(clipv(fv, p->clip));
                float ct = tanhf(clipv(cv, p->clip));
                float cn = ft * cp + it * ct;
                if (P)
                    ov += P[H + k] * cn;
                float ot = sigm(clipv(ov, p->clip));
                c[n * H + k] = cn;
                h[n * H + k] = ot * tanhf(cn);
            }
        if (y)
            memcpy(y + (t * nd + d) * B * H, h, (size_t)(B * H) * sizeof *h);
    }
    if (yh)
        memcpy(yh + d * B * H, h, (size_t)(B * H) * sizeof *h);
    if (yc)
        memcpy(yc + d * B * H, c, (size_t)(B * H) * sizeof *c);
}

void oq_f32_lstm__scalar(const oq_f32_lstm *p, const float *x, const float *w, const float *r,
                         const float *b, const float *h0, const float *c0, const float *pp,
                         float *y, float *yh, float *yc, void *ws)
{
    float *f = (float *)(((uintptr_t)ws + 15) & ~(uintptr_t)15);
    for (int d = 0; d < p->ndir; d++)
        lstm_dir(p, d, p->ndir == 2 ? d : p->reverse, x, w, r, b, h0, c0, pp, y, yh, yc, f);
}
