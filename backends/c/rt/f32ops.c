/* f32ops.c: portable fp32 and data-movement kernels of the emitted C (see f32ops.h). The
 * formulas and loop orders mirror runtime/interp/ops_unary.c, ops_binary.c, ops_norm.c
 * (softmax), ops_pool.c, ops_reduce.c and ops_move.c (pad): change them together. */
#include "f32ops.h"

#include <math.h>
#include <string.h>

/* One element of the unary ops (the interpreter's apply_f / run_f). */
static float unary1(int op, float x, float alpha, float beta)
{
    switch (op) {
    case OQ_FK_RELU: return x > 0 ? x : 0.0f;
    case OQ_FK_LEAKYRELU: return x >= 0 ? x : alpha * x;
    case OQ_FK_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case OQ_FK_HARDSIGMOID: return fmaxf(0.0f, fminf(1.0f, alpha * x + beta));
    case OQ_FK_HARDSWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case OQ_FK_TANH: return tanhf(x);
    case OQ_FK_ABS: return fabsf(x);
    case OQ_FK_NEG: return -x;
    case OQ_FK_EXP: return expf(x);
    case OQ_FK_SQRT: return sqrtf(x);
    case OQ_FK_RECIPROCAL: return 1.0f / x;
    case OQ_FK_ERF: return erff(x);
    default: return x;
    }
}

/* y[i] = op(x[i]). */
void oq_fk_unary(int op, size_t n, const float *x, float *y, float alpha, float beta)
{
    for (size_t i = 0; i < n; i++)
        y[i] = unary1(op, x[i], alpha, beta);
}

/* y[i] = clamp(x[i]) with the interpreter's comparison order. */
void oq_fk_clip(size_t n, const float *x, float *y, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i] < lo ? lo : x[i];
        y[i] = v > hi ? hi : v;
    }
}

/* Broadcast binary op, walking y in C order (odometer over the outer dims). */
void oq_fk_binary(int op, int rank, const int64_t *dim, const float *a, const int64_t *ast,
                  const float *b, const int64_t *bst, float *y)
{
    int64_t idx[OQ_FK_MAX_RANK] = {0}, ao = 0, bo = 0, total = 1;
    int r = rank;
    for (int k = 0; k < r - 1; k++)
        total *= dim[k];
    int64_t n = dim[r - 1], as = ast[r - 1], bs = bst[r - 1];
    for (int64_t row = 0; row < total; row++, y += n) {
        const float *pa = a + ao, *pb = b + bo;
        switch (op) {
        case OQ_FK_ADD:
            for (int64_t i = 0; i < n; i++)
                y[i] = pa[i * as] + pb[i * bs];
            break;
        case OQ_FK_SUB:
            for (int64_t i = 0; i < n; i++)
                y[i] = pa[i * as] - pb[i * bs];
            break;
        case OQ_FK_MUL:
            for (int64_t i = 0; i < n; i++)
                y[i] = pa[i * as] * pb[i * bs];
            break;
        default:
            for (int64_t i = 0; i < n; i++)
                y[i] = pa[i * as] / pb[i * bs];
            break;
        }
        for (int k = r - 2; k >= 0; k--) {
            idx[k]++;
            ao += ast[k];
            bo += bst[k];
            if (idx[k] < dim[k])
                break;
            ao -= ast[k] * dim[k];
            bo -= bst[k] * dim[k];
            idx[k] = 0;
        }
    }
}

/* Strided copy (see f32ops.h); the innermost dim is one memcpy when both sides are dense. */
void oq_fk_copy(int rank, const int64_t *dim, const void *src, const int64_t *sstr, void *dst,
                const int64_t *dstr, size_t es)
{
    const unsigned char *s = src;
    unsigned char *d = dst;
    if (rank == 0) {
        memcpy(d, s, es);
        return;
    }
    int64_t idx[OQ_FK_MAX_RANK] = {0}, so = 0, dof = 0, total = 1;
    for (int k = 0; k < rank - 1; k++)
        total *= dim[k];
    int64_t n = dim[rank - 1], ss = sstr[rank - 1], ds = dstr[rank - 1];
    for (int64_t row = 0; row < total; row++) {
        if (ss == 1 && ds == 1)
            memcpy(d + dof * (int64_t)es, s + so * (int64_t)es, (size_t)n * es);
        else if (es == 1)
            for (int64_t i = 0; i < n; i++)
                d[dof + i * ds] = s[so + i * ss];
        else
            for (int64_t i = 0; i < n; i++)
                memcpy(d + (dof + i * ds) * (int64_t)es, s + (so + i * ss) * (int64_t)es, es);
        for (int k = rank - 2; k >= 0; k--) {
            idx[k]++;
            so += sstr[k];
            dof += dstr[k];
            if (idx[k] < dim[k])
                break;
            so -= sstr[k] * dim[k];
            dof -= dstr[k] * dim[k];
            idx[k] = 0;
        }
    }
}

/* Pad/crop element by element (the interpreter's oq_exec_pad). */
void oq_fk_pad(int mode, int rank, const int64_t *in, const int64_t *out, const int64_t *pbegin,
               const void *x, void *y, size_t es, const void *cval)
{
    int64_t ist[OQ_FK_MAX_RANK], idx[OQ_FK_MAX_RANK] = {0}, n = 1, acc = 1;
    for (int k = rank - 1; k >= 0; k--) {
        ist[k] = acc;
        acc *= in[k];
        n *= out[k];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        int inside = 1;
        for (int k = 0; k < rank && inside; k++) {
            int64_t dim = in[k], j = idx[k] - pbegin[k];
            if (j < 0 || j >= dim) {
                if (mode == OQ_FK_PAD_CONSTANT) {
                    inside = 0;
                } else if (mode == OQ_FK_PAD_EDGE) {
                    j = j < 0 ? 0 : dim - 1;
                } else if (dim == 1) {
                    j = 0;
                } else {
                    int64_t per = 2 * (dim - 1);
                    j %= per;
                    if (j < 0)
                        j += per;
                    if (j >= dim)
                        j = per - j;
                }
            }
            off += j * ist[k];
        }
        memcpy((unsigned char *)y + i * (int64_t)es,
               inside ? (const unsigned char *)x + off * (int64_t)es : (const unsigned char *)cval,
               es);
        for (int k = rank - 1; k >= 0; k--) {
            if (++idx[k] < out[k])
                break;
            idx[k] = 0;
        }
    }
}

/* Softmax / LogSoftmax in double (the interpreter's oq_exec_softmax). */
void oq_fk_softmax(int logsm, int64_t outer, int64_t n, int64_t inner, const float *x, float *y)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t base = o * n * inner + j;
            double mx = -INFINITY, sum = 0;
            for (int64_t i = 0; i < n; i++) {
                double v = x[base + i * inner];
                mx = v > mx ? v : mx;
            }
            for (int64_t i = 0; i < n; i++)
                sum += exp((double)x[base + i * inner] - mx);
            double ls = log(sum);
            for (int64_t i = 0; i < n; i++) {
                double v = (double)x[base + i * inner] - mx;
                y[base + i * inner] = (float)(logsm ? v - ls : exp(v) / sum);
            }
        }
}

/* First tap >= 0 with start + kk*dl >= lo and the end bound with start + kk*dl < hi. */
static void taps(int64_t start, int64_t k, int64_t dl, int64_t lo, int64_t hi, int64_t *k0,
                 int64_t *k1)
{
    int64_t a = 0;
    if (start < lo)
        a = (lo - start + dl - 1) / dl;
    int64_t b = k;
    if (start + (k - 1) * dl >= hi)
        b = hi - start > 0 ? (hi - start + dl - 1) / dl : 0;
    *k0 = a;
    *k1 = b > a ? b : a;
}

/* MaxPool over NC planes (windows clipped to the input). */
void oq_fk_maxpool(const oq_fk_pool *p, const float *x, float *y)
{
    int64_t plane_in = p->in[0] * p->in[1] * p->in[2];
    for (int64_t c = 0; c < p->nc; c++) {
        const float *xc = x + c * plane_in;
        for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
            int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0;
            taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);
            for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
                int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1;
                taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);
                for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                    int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2;
                    taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);
                    float best = -INFINITY;
                    for (int64_t k0 = a0; k0 < b0; k0++)
                        for (int64_t k1 = a1; k1 < b1; k1++) {
                            const float *row = xc + ((s0 + k0 * p->dl[0]) * p->in[1] + s1 +
                                                     k1 * p->dl[1]) * p->in[2] + s2;
                            for (int64_t k2 = a2; k2 < b2; k2++) {
                                float v = row[k2 * p->dl[2]];
                                best = v > best ? v : best;
                            }
                        }
                    *y++ = best;
                }
            }
        }
    }
}

/* AveragePool; sums in double, divisor per count_include_pad. */
void oq_fk_avgpool(const oq_fk_pool *p, const float *x, float *y)
{
    int64_t plane_in = p->in[0] * p->in[1] * p->in[2];
    for (int64_t c = 0; c < p->nc; c++) {
        const float *xc = x + c * plane_in;
        for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
            int64_t s0 = o0 * p->s[0] - p->pb[0], a0, b0, c0, e0;
            taps(s0, p->k[0], p->dl[0], 0, p->in[0], &a0, &b0);
            taps(s0, p->k[0], p->dl[0], -p->pb[0], p->in[0] + p->pe[0], &c0, &e0);
            for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
                int64_t s1 = o1 * p->s[1] - p->pb[1], a1, b1, c1, e1;
                taps(s1, p->k[1], p->dl[1], 0, p->in[1], &a1, &b1);
                taps(s1, p->k[1], p->dl[1], -p->pb[1], p->in[1] + p->pe[1], &c1, &e1);
                for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
                    int64_t s2 = o2 * p->s[2] - p->pb[2], a2, b2, c2, e2;
                    taps(s2, p->k[2], p->dl[2], 0, p->in[2], &a2, &b2);
                    taps(s2, p->k[2], p->dl[2], -p->pb[2], p->in[2] + p->pe[2], &c2, &e2);
                    double sum = 0;
                    for (int64_t k0 = a0; k0 < b0; k0++)
                        for (int64_t k1 = a1; k1 < b1; k1++)
                            for (int64_t k2 = a2; k2 < b2; k2++)
                                sum += xc[((s0 + k0 * p->dl[0]) * p->in[1] + s1 +
                                           k1 * p->dl[1]) * p->in[2] + s2 + k2 * p->dl[2]];
                    int64_t cnt = p->include_pad ? (e0 - c0) * (e1 - c1) * (e2 - c2)
                                                 : (b0 - a0) * (b1 - a1) * (b2 - a2);
                    *y++ = (float)(cnt ? sum / (double)cnt : 0.0);
                }
            }
        }
    }
}

/* Global average / max pooling per plane, accumulated in double. */
void oq_fk_global_pool(int max, int64_t nc, int64_t sp, const float *x, float *y)
{
    for (int64_t c = 0; c < nc; c++) {
        const float *p = x + c * sp;
        double acc = max ? -INFINITY : 0.0;
        for (int64_t i = 0; i < sp; i++)
            acc = max ? (p[i] > acc ? p[i] : acc) : acc + p[i];
        y[c] = (float)(max ? acc : (sp ? acc / (double)sp : 0.0));
    }
}

/* Reductions in input order into nout double accumulators (the interpreter's loop). */
void oq_fk_reduce(int op, int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                  int64_t cnt, const float *x, float *y, double *acc)
{
    int64_t idx[OQ_FK_MAX_RANK] = {0}, o = 0, n = 1;
    for (int k = 0; k < rank; k++)
        n *= dim[k];
    for (int64_t j = 0; j < nout; j++)
        acc[j] = op == OQ_FK_RMAX ? -INFINITY : 0.0;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (op == OQ_FK_RMAX)
            acc[o] = (v > acc[o] || isnan(v)) ? v : acc[o];
        else
            acc[o] += v;
        for (int k = rank - 1; k >= 0; k--) {
            idx[k]++;
            o += ost[k];
            if (idx[k] < dim[k])
                break;
            o -= ost[k] * dim[k];
            idx[k] = 0;
        }
    }
    for (int64_t j = 0; j < nout; j++)
        y[j] = (float)(op == OQ_FK_RMEAN && cnt ? acc[j] / (double)cnt : acc[j]);
}
