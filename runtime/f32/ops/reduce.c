/* reduce.c: ReduceSum, ReduceMean and ReduceMax of floats (see ops.h), accumulated in double
 * in input order. */
#include "ops.h"

#include <math.h>

enum { RSUM, RMEAN, RMAX };

static void reduce(int op, int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                   int64_t cnt, const float *x, float *y, double *acc)
{
    int64_t idx[OQ_F32_MAX_RANK] = {0}, o = 0, n = 1;
    for (int k = 0; k < rank; k++)
        n *= dim[k];
    for (int64_t j = 0; j < nout; j++)
        acc[j] = op == RMAX ? -INFINITY : 0.0;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (op == RMAX)
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
        y[j] = (float)(op == RMEAN && cnt ? acc[j] / (double)cnt : acc[j]);
}

void oq_f32_reducesum__scalar(int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                              int64_t cnt, const float *x, float *y, double *acc)
{
    reduce(RSUM, rank, dim, ost, nout, cnt, x, y, acc);
}

void oq_f32_reducemean__scalar(int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                               int64_t cnt, const float *x, float *y, double *acc)
{
    reduce(RMEAN, rank, dim, ost, nout, cnt, x, y, acc);
}

void oq_f32_reducemax__scalar(int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                              int64_t cnt, const float *x, float *y, double *acc)
{
    reduce(RMAX, rank, dim, ost, nout, cnt, x, y, acc);
}
