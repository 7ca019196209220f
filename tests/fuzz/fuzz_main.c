/* libFuzzer target: the .npy reader of the example program NAME_main that onnxq compile emits
 * (fz_main.c, emitted for the bundled Fashion CNN at build time and included here with its
 * main renamed). The bytes are read as an input file and as a labels file; an accepted input
 * also runs the model on its first and last samples, with a workspace of exactly the size the
 * model asks for (ASan sees any write past it). */
#include <stddef.h>
#include <stdint.h>

#define main fz_example_main
#include "fz_main.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    float *x = NULL;
    size_t samples = 0;
    if (!load_input(0, data, size, &x, &samples)) {
        static float y[FZ_OUTPUT0_SIZE];
        void *ws = malloc(WS_SIZE ? WS_SIZE : 1);
        if (!ws)
            abort();
        if (fz_run(x, y, ws, WS_SIZE) != FZ_OK ||
            fz_run(x + (samples - 1) * in_size[0], y, ws, WS_SIZE) != FZ_OK)
            abort();
        free(ws);
        free(x);
    }
    long long *lab = NULL;
    if (!load_labels(data, size, samples ? samples : 1, &lab))
        free(lab);
    return 0;
}
