/* bench_eltwise: single-thread throughput of the element-wise int8 kernels (qu8-eltwise/) at
 * ResNet-18 / MobileNetV2 sizes: for the scalar reference (*_ref) and every usable kernel table,
 * microseconds per call and GB/s of bytes read + written, next to memcpy of the same bytes (the
 * memory-speed yardstick, same run). Usage: bench_eltwise [min_seconds_per_case]. Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/q8/q8.h"
#include "runtime/q8/qu8-eltwise/qu8-eltwise.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double min_time = 0.2;

/* One benchmarked call: k NULL = the scalar reference. */
typedef struct bctx {
    const oq_q8_elt_ukernels *k;
    int op;
    uint8_t *a, *b, *y;
    float *f;
    oq_q8_pool_shape ps;
    uint8_t table[256];
} bctx;

enum { OP_ADD, OP_ADD_BCAST, OP_MUL, OP_RESCALE, OP_MAXPOOL, OP_AVGPOOL, OP_GAVG, OP_QUANT,
       OP_DEQUANT, OP_LUT, OP_CHW, OP_HWC, OP_RESIZE, OP_RESIZE1, OP_COPY, NOPS };
static const char *const op_name[NOPS] = {
    "add 56x56x64", "add scalar-b 56x56x64", "mul 56x56x64", "rescale 56x56x64",
    "maxpool 3x3s2 112x112x64", "avgpool 3x3s1 28x28x128", "global avg 7x7x1280",
    "quantize 3x224x224", "dequantize 3x224x224", "lut 56x56x64", "nchw->nhwc u8 3x224x224",
    "nhwc->nchw u8 56x56x64", "resize x2 28x28x64", "resize x2 112x112x1", "memcpy 56x56x64"};

#define N_ACT (56 * 56 * 64)
#define N_IMG (3 * 224 * 224)

/* Bytes read + written by one call of op. */
static double op_bytes(int op)
{
    switch (op) {
    case OP_ADD: case OP_MUL: return 3.0 * N_ACT;
    case OP_ADD_BCAST: case OP_RESCALE: case OP_LUT: case OP_HWC: case OP_COPY: return 2.0 * N_ACT;
    case OP_MAXPOOL: return 112.0 * 112 * 64 + 56.0 * 56 * 64;
    case OP_AVGPOOL: return 2.0 * 28 * 28 * 128;
    case OP_GAVG: return 49.0 * 1280 + 1280;
    case OP_QUANT: case OP_DEQUANT: return 5.0 * N_IMG;
    case OP_CHW: return 2.0 * N_IMG;
    case OP_RESIZE: return 5.0 * 28 * 28 * 64;
    case OP_RESIZE1: return 5.0 * 112 * 112;
    }
    return 0;
}

static void run(bctx *c)
{
    oq_q8_binary p;
    switch (c->op) {
    case OP_ADD: case OP_ADD_BCAST:
        oq_q8_add_init(&p, OQ_Q8_U8, 0.031f, 121, 0.027f, 133, 0.045f, 127);
        if (c->k)
            oq_q8_add_with(c->k, N_ACT, c->a, 1, c->b, c->op == OP_ADD, c->y, &p);
        else
            oq_q8_add_ref(N_ACT, c->a, 1, c->b, c->op == OP_ADD, c->y, &p);
        break;
    case OP_MUL:
        oq_q8_mul_init(&p, OQ_Q8_U8, 0.031f, 121, 0.027f, 133, 0.045f, 127);
        if (c->k)
            oq_q8_mul_with(c->k, N_ACT, c->a, 1, c->b, 1, c->y, &p);
        else
            oq_q8_mul_ref(N_ACT, c->a, 1, c->b, 1, c->y, &p);
        break;
    case OP_RESCALE:
        if (c->k)
            oq_q8_rescale_with(c->k, N_ACT, c->a, 0.031f, 121, c->y, 0.045f, 127, OQ_Q8_U8);
        else
            oq_q8_rescale_ref(N_ACT, c->a, 0.031f, 121, c->y, 0.045f, 127, OQ_Q8_U8);
        break;
    case OP_MAXPOOL:
        if (c->k)
            oq_q8_maxpool_with(c->k, &c->ps, c->a, c->y, OQ_Q8_U8);
        else
            oq_q8_maxpool_ref(&c->ps, c->a, c->y, OQ_Q8_U8);
        break;
    case OP_AVGPOOL:
        if (c->k)
            oq_q8_avgpool_with(c->k, &c->ps, c->a, 0.03f, 120, c->y, 0.02f, 128, OQ_Q8_U8);
        else
            oq_q8_avgpool_ref(&c->ps, c->a, 0.03f, 120, c->y, 0.02f, 128, OQ_Q8_U8);
        break;
    case OP_GAVG:
        if (c->k)
            oq_q8_global_avgpool_with(c->k, 1, 49, 1280, c->a, 0.03f, 120, c->y, 0.02f, 128,
                                      OQ_Q8_U8);
        else
            oq_q8_global_avgpool_ref(1, 49, 1280, c->a, 0.03f, 120, c->y, 0.02f, 128, OQ_Q8_U8);
        break;
    case OP_QUANT:
        if (c->k)
            c->k->quantize(N_IMG, c->f, 0.0187f, 114, OQ_Q8_U8, c->y);
        else
            oq_q8_quantize_ref(N_IMG, c->f, 0.0187f, 114, OQ_Q8_U8, c->y);
        break;
    case OP_DEQUANT:
        if (c->k)
            c->k->dequantize(N_IMG, c->a, OQ_Q8_U8, 0.0187f, 114, c->f);
        else
            oq_q8_dequantize_ref(N_IMG, c->a, OQ_Q8_U8, 0.0187f, 114, c->f);
        break;
    case OP_LUT:
        if (c->k)
            c->k->lut(N_ACT, c->a, c->table, c->y);
        else
            oq_q8_lut_apply_ref(N_ACT, c->a, c->table, c->y);
        break;
    case OP_CHW:
        if (c->k)
            oq_q8_nchw_to_nhwc_with(c->k, 1, 3, 224 * 224, 1, c->a, c->y);
        else
            oq_q8_nchw_to_nhwc_ref(1, 3, 224 * 224, 1, c->a, c->y);
        break;
    case OP_HWC:
        if (c->k)
            oq_q8_nhwc_to_nchw_with(c->k, 1, 64, 56 * 56, 1, c->a, c->y);
        else
            oq_q8_nhwc_to_nchw_ref(1, 64, 56 * 56, 1, c->a, c->y);
        break;
    case OP_RESIZE: case OP_RESIZE1: { /* not table-dispatched: the reference vs the one path */
        size_t n = c->op == OP_RESIZE ? 28 : 112, ch = c->op == OP_RESIZE ? 64 : 1;
        if (c->k)
            oq_q8_resize_nearest(1, n, n, ch, 2 * n, 2 * n, 2.0f, 2.0f, 1, 2, c->a, c->y);
        else
            oq_q8_resize_nearest_ref(1, n, n, ch, 2 * n, 2 * n, 2.0f, 2.0f, 1, 2, c->a, c->y);
        break;
    }
    case OP_COPY:
        memcpy(c->y, c->a, N_ACT);
        break;
    }
}

/* Best seconds per call over runs totalling >= min_time. */
static double time_best(bctx *c)
{
    run(c);
    double best = 1e30, total = 0;
    int reps = 0;
    while (total < min_time || reps < 5) {
        double t0 = now();
        run(c);
        double dt = now() - t0;
        total += dt, reps++;
        best = dt < best ? dt : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        min_time = atof(argv[1]);
    bctx c;
    memset(&c, 0, sizeof c);
    size_t big = 112 * 112 * 64 * 4;
    c.a = malloc(big), c.b = malloc(big), c.y = malloc(big), c.f = malloc(N_IMG * 4);
    if (!c.a || !c.b || !c.y || !c.f)
        return 1;
    for (size_t i = 0; i < big; i++)
        c.a[i] = (uint8_t)(i * 7919 >> 3), c.b[i] = (uint8_t)(i * 104729 >> 5);
    for (size_t i = 0; i < N_IMG; i++)
        c.f[i] = (float)((int)(i * 2654435761u % 4001) - 2000) * 1e-3f;
    for (int i = 0; i < 256; i++)
        c.table[i] = (uint8_t)(255 - i);
    size_t nv;
    const oq_q8_elt_ukernels *const *v = oq_q8_elt_variants(&nv);
    printf("%-26s %22s", "kernel (us per call, GB/s)", "reference");
    for (size_t i = 0; i < nv; i++)
        if (oq_q8_isa_usable(v[i]->isa))
            printf(" %22s", v[i]->name);
    printf("\n");
    for (int op = 0; op < NOPS; op++) {
        c.op = op;
        memset(&c.ps, 0, sizeof c.ps);
        if (op == OP_MAXPOOL) {
            oq_q8_pool_shape s = {1, 112, 112, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
            c.ps = s;
        } else if (op == OP_AVGPOOL) {
            oq_q8_pool_shape s = {1, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
            c.ps = s;
        }
        oq_q8_pool_init(&c.ps);
        printf("%-26s", op_name[op]);
        for (int j = -1; j < (int)nv; j++) {
            if (j >= 0 && !oq_q8_isa_usable(v[j]->isa))
                continue;
            if (op == OP_COPY && j >= 0) {
                printf(" %22s", "");
                continue;
            }
            c.k = j < 0 ? NULL : v[j];
            double t = time_best(&c);
            printf("    %8.1f us %6.2f GB/s", t * 1e6, op_bytes(op) / t * 1e-9);
        }
        printf("\n");
        fflush(stdout);
    }
    free(c.a), free(c.b), free(c.y), free(c.f);
    return 0;
}
