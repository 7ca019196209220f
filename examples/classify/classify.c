/* classify: top-1 of the Fashion-MNIST CNN compiled to C by onnxq (the `net` library that
 * onnxq_add_model or the Meson snippet builds) on a labelled set of .npy files.
 * usage: classify IMAGES.npy LABELS.npy
 *   IMAGES: float32 [N,1,28,28], normalized as examples/README.md says (test100_input.npy)
 *   LABELS: int64 or int32 [N] (test100_labels.npy)
 * Prints "top-1: CORRECT/N (PERCENT%)". Exit status 0, or 1 on bad input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* A .npy file (format version 1 or 2, little-endian, C order) read whole. */
typedef struct npy {
    char descr[8];   /* '<f4', '<i8', '<i4' */
    long dims[8];
    int rank;
    long count;      /* elements */
    void *data;
} npy;

/* Reads path into *a; 0 or -1 with a message on stderr. */
static int npy_read(const char *path, npy *a)
{
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    unsigned char pre[12];
    size_t hlen = 0;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        goto bad;
    if (pre[6] == 1)
        hlen = pre[8] | (size_t)pre[9] << 8;
    else if (fread(pre + 10, 1, 2, f) == 2) {
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    char *h = calloc(1, hlen + 1);
    if (!h || fread(h, 1, hlen, f) != hlen) {
        free(h);
        goto bad;
    }
    const char *d = strstr(h, "'descr': '"), *s = strstr(h, "'shape': (");
    if (!d || !s || strstr(h, "'fortran_order': True")) {
        free(h);
        goto bad;
    }
    sscanf(d + 10, "%7[^']", a->descr);
    a->count = 1;
    for (s += 10; *s && *s != ')' && a->rank < 8;) {
        char *e;
        long v = strtol(s, &e, 10);
        if (e == s)
            break;
        a->dims[a->rank++] = v;
        a->count *= v;
        s = e;
        while (*s == ',' || *s == ' ')
            s++;
    }
    free(h);
    size_t esz = a->descr[2] - '0';
    if (a->descr[0] == '>' || (esz != 4 && esz != 8) || a->rank == 0)
        goto bad;
    a->data = malloc((size_t)a->count * esz);
    if (!a->data || fread(a->data, esz, (size_t)a->count, f) != (size_t)a->count)
        goto bad;
    fclose(f);
    return 0;
bad:
    fprintf(stderr, "%s: not a little-endian .npy of float32, int32 or int64\n", path);
    free(a->data);
    fclose(f);
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: classify IMAGES.npy LABELS.npy\n");
        return 2;
    }
    npy x, y;
    if (npy_read(argv[1], &x) || npy_read(argv[2], &y))
        return 1;
    long n = x.dims[0];
    if (strcmp(x.descr, "<f4") != 0 || x.count != n * NET_INPUT0_SIZE || y.rank != 1 ||
        y.dims[0] != n || (strcmp(y.descr, "<i8") != 0 && strcmp(y.descr, "<i4") != 0)) {
        fprintf(stderr, "classify: want float32 [N,1,28,28] images and int [N] labels\n");
        return 1;
    }
    /* the workspace: caller-owned, 16-byte aligned, net_workspace_size() bytes */
    size_t ws_size = net_workspace_size();
    void *ws = malloc(ws_size + 16);
    void *aligned = (void *)(((uintptr_t)ws + 15) & ~(uintptr_t)15);
    if (!ws) {
        fprintf(stderr, "classify: out of memory\n");
        return 1;
    }
    float logits[NET_OUTPUT0_SIZE];
    long correct = 0;
    for (long i = 0; i < n; i++) {
        int rc = net_run((const float *)x.data + i * NET_INPUT0_SIZE, logits, aligned, ws_size);
        if (rc != NET_OK) {
            fprintf(stderr, "classify: net_run returned %d on image %ld\n", rc, i);
            return 1;
        }
        int best = 0;
        for (int c = 1; c < NET_OUTPUT0_SIZE; c++)
            if (logits[c] > logits[best])
                best = c;
        long label = y.descr[2] == '8' ? (long)((const int64_t *)y.data)[i]
                                       : (long)((const int32_t *)y.data)[i];
        correct += best == label;
    }
    printf("top-1: %ld/%ld (%.2f%%)\n", correct, n, n ? 100.0 * correct / n : 0.0);
    free(ws);
    free(x.data);
    free(y.data);
    return 0;
}
