/* Range -> (scale, zero_point), following torch.ao.quantization 1.13
 * (utils.calculate_qmin_qmax and UniformQuantizationObserverBase._calculate_qparams) in float32,
 * so the results match PyTorch's to the bit. Zero points round half to even (torch.round). */
#include <math.h>
#include <float.h>
#include <stdlib.h>

#include "observer.h"

void oq_qrange(const oq_qscheme *q, int32_t *qmin, int32_t *qmax)
{
    int32_t lo, hi;
    if (q->narrow) {                 /* custom quant_min/max = -127/127 (or 0/254 for u8) */
        lo = q->dtype == OQ_DT_INT8 ? -127 : 0;
        hi = q->dtype == OQ_DT_INT8 ? 127 : 254;
        if (q->reduce_range) {       /* python floor division: -127 // 2 == -64 */
            lo = (int32_t)floor(lo / 2.0);
            hi = (int32_t)floor(hi / 2.0);
        }
    } else if (q->dtype == OQ_DT_INT8) {
        lo = q->reduce_range ? -64 : -128;
        hi = q->reduce_range ? 63 : 127;
    } else {
        lo = 0;
        hi = q->reduce_range ? 127 : 255;
    }
    *qmin = lo;
    *qmax = hi;
}

void oq_calc_qparams(const oq_qscheme *q, const float *lo, const float *hi, uint32_t n,
                     float *scale, int32_t *zp)
{
    int32_t qmin, qmax;
    oq_qrange(q, &qmin, &qmax);
    const float eps = FLT_EPSILON;   /* torch.finfo(torch.float32).eps */
    for (uint32_t c = 0; c < n; c++) {
        if (isinf(lo[c]) && lo[c] > 0 && isinf(hi[c]) && hi[c] < 0) {
            scale[c] = 1.0f;         /* never observed: PyTorch's default */
            zp[c] = 0;
            continue;
        }
        float min_neg = lo[c] < 0.0f ? lo[c] : 0.0f;
        float max_pos = hi[c] > 0.0f ? hi[c] : 0.0f;
        if (q->symmetric) {
            float m = -min_neg > max_pos ? -min_neg : max_pos;
            float s = m / (float)((double)(qmax - qmin) / 2.0);
            scale[c] = s > eps ? s : eps;
            if (q->dtype == OQ_DT_UINT8)
                zp[c] = q->narrow ? (int32_t)floor((qmin + qmax) / 2.0) : (qmax + qmin + 1) / 2;
            else
                zp[c] = 0;
        } else {
            float s = (max_pos - min_neg) / (float)(qmax - qmin);
            s = s > eps ? s : eps;
            scale[c] = s;
            float r = nearbyintf(min_neg / s);   /* default rounding mode: half to even */
            double z = (double)qmin - (double)r;
            zp[c] = (int32_t)(z < qmin ? qmin : z > qmax ? qmax : z);
        }
    }
}

oq_status oq_observer_qparams(const oq_observer *o, const oq_qscheme *q, float *scale,
                              int32_t *zp, oq_diag *d)
{
    float *lo = malloc(2 * (size_t)o->nch * sizeof *lo);
    if (!lo)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory for qparams");
    float *hi = lo + o->nch;
    o->vt->finalize(o, lo, hi);
    oq_calc_qparams(q, lo, hi, o->nch, scale, zp);
    free(lo);
    return OQ_OK;
}
