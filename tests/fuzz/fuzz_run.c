/* libFuzzer target: the checked entry points of the emitted code (fz_run and fz_run_q of the
 * bundled Fashion CNN, emitted at build time). The first three bytes pick the workspace size
 * (enough, or short by up to 256 bytes), its misalignment and which pointers are NULL; the
 * rest are the input's bytes (any float bits: NaN, infinities, subnormals). Each call must
 * return the code fz.h documents, leave the output untouched when it refuses, give finite
 * outputs when it runs, and stay inside the workspace (allocated at exactly the size passed,
 * so ASan sees any write past it). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float x[FZ_INPUT0_SIZE], y[FZ_OUTPUT0_SIZE];
    static uint8_t xq[FZ_INPUT0_SIZE], yq[FZ_OUTPUT0_SIZE];
    if (size < 3)
        return 0;
    unsigned flags = data[0], shrink = data[1], mis = data[2] % 16;
    data += 3, size -= 3;
    size_t need = fz_workspace_size();
    size_t ws_size = flags & 1 ? need - (need < shrink + 1u ? need : shrink + 1u) : need + shrink;
    size_t align = flags & 2 ? mis : 0;
    unsigned char *buf = malloc(align + ws_size ? align + ws_size : 1);
    if (!buf)
        abort();
    void *ws = flags & 16 ? NULL : buf + align;   /* malloc's 16-byte alignment plus align */
    memset(x, 0, sizeof x);
    memcpy(x, data, size < sizeof x ? size : sizeof x);
    memset(xq, 0, sizeof xq);
    memcpy(xq, data, size < sizeof xq ? size : sizeof xq);
    int want = !ws || align ? FZ_ERR_ARGUMENT
               : ws_size < need ? FZ_ERR_WORKSPACE
               : flags & 12 ? FZ_ERR_ARGUMENT : FZ_OK;
    int rc;
#if FZ_HAS_RUN_Q
    if (flags & 32) {
        memset(yq, 0xa5, sizeof yq);
        rc = fz_run_q(flags & 4 ? NULL : xq, flags & 8 ? NULL : yq, ws, ws_size);
        for (size_t i = 0; rc && i < sizeof yq; i++)
            if (yq[i] != 0xa5)
                abort();
    } else
#endif
    {
        memset(y, 0xa5, sizeof y);
        unsigned char y0[sizeof y];
        memcpy(y0, y, sizeof y);
        rc = fz_run(flags & 4 ? NULL : x, flags & 8 ? NULL : y, ws, ws_size);
        if (rc && memcmp(y0, y, sizeof y) != 0)
            abort();
        for (size_t i = 0; !rc && i < FZ_OUTPUT0_SIZE; i++)
            if (!isfinite(y[i]))
                abort();
    }
    if (rc != want)
        abort();
    free(buf);
    (void)yq;
    return 0;
}
