/* bench_model: single-thread fp32 latency of a whole ONNX model through the interpreter
 * (import, interp_new, then timed runs on a fixed random input), with a per-op-type breakdown
 * taken from the node hook: each node's fastest time over the runs (a contention-robust estimate
 * on a shared machine; their sum is printed too). Used to compare with ONNX Runtime
 * (bench/ort/ort_latency.js) on ResNet-18 / MobileNetV2. Not run by the tests.
 * Usage: bench_model MODEL.onnx [runs] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontend/frontend.h"
#include "runtime/interp/interp.h"

/* CPU time of this thread: the machine may be shared, and time-slicing with other processes
 * must not count (wall time is noisy there); single-threaded code, so this is its latency. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct prof {
    double last;
    double *node_t;            /* per node seconds in this run */
} prof;

static bool hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    (void)g, (void)outs;
    prof *p = ctx;
    double t = now();
    p->node_t[node] = t - p->last;
    p->last = t;
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_model MODEL.onnx [runs]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 30;
    oq_diag d = {0};
    oq_graph *g = NULL;
    oq_import_opts io = {0};
    if (oq_import_onnx(argv[1], &io, &g, &d) != OQ_OK || ir_require_static(g, &d) != OQ_OK) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    oq_interp *it = NULL;
    if (oq_interp_new(g, &it, &d) != OQ_OK) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    oq_rt_tensor *in = calloc(g->ninput, sizeof *in), *out = calloc(g->noutput, sizeof *out);
    srand(1);
    for (uint32_t i = 0; i < g->ninput; i++) {
        const oq_value *v = &g->values[g->inputs[i]];
        size_t n = 1;
        for (int k = 0; k < v->shape.rank; k++)
            n *= (size_t)v->shape.dim[k];
        float *x = malloc(n * sizeof(float));
        for (size_t k = 0; k < n; k++)
            x[k] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
        in[i] = (oq_rt_tensor){v->dtype, v->shape, x};
    }
    prof p = {0, calloc(g->nnode, sizeof(double))};
    double *best_t = calloc(g->nnode, sizeof(double)), best = 1e30;
    double *all = calloc((size_t)runs, sizeof(double));
    for (int r = -2; r < runs; r++) {
        double t0 = now();
        p.last = t0;
        if (oq_interp_run(it, in, out, hook, &p, &d) != OQ_OK) {
            fprintf(stderr, "%s\n", d.msg);
            return 1;
        }
        double dt = now() - t0;
        if (r < 0)
            continue;
        all[r] = dt;
        best = dt < best ? dt : best;
        for (uint32_t n = 0; n < g->nnode; n++)
            if (r == 0 || p.node_t[n] < best_t[n])
                best_t[n] = p.node_t[n];
    }
    for (int i = 0; i < runs; i++)    /* insertion sort for the median */
        for (int j = i; j > 0 && all[j] < all[j - 1]; j--) {
            double t = all[j];
            all[j] = all[j - 1], all[j - 1] = t;
        }
    printf("%s: min %.3f ms, median %.3f ms over %d runs (1 thread, thread CPU time)\n", argv[1],
           best * 1e3, all[runs / 2] * 1e3, runs);
    double sum = 0;
    for (uint32_t n = 0; n < g->nnode; n++)
        sum += best_t[n];
    printf("sum of per-node minima: %.3f ms\n", sum * 1e3);
    /* per op type, per-node minima */
    const char *types[64];
    double tt[64];
    int cnt[64], nt = 0;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const char *ty = g->nodes[n].op_type;
        int k = 0;
        while (k < nt && strcmp(types[k], ty) != 0)
            k++;
        if (k == nt && nt < 64) {
            types[nt] = ty, tt[nt] = 0, cnt[nt] = 0;
            nt++;
        }
        if (k < 64)
            tt[k] += best_t[n], cnt[k]++;
    }
    for (int k = 0; k < nt; k++)
        printf("  %-24s %4d nodes %8.3f ms\n", types[k], cnt[k], tt[k] * 1e3);
    if (getenv("BENCH_NODES"))
        for (uint32_t n = 0; n < g->nnode; n++)
            printf("  node %-40s %-12s %8.3f ms\n", g->nodes[n].name, g->nodes[n].op_type,
                   best_t[n] * 1e3);
    oq_interp_free(it);
    oq_graph_free(g);
    return 0;
}
