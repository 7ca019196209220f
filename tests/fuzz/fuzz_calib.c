/* libFuzzer target: the calibration-state reader (--load-calib, passes/calib_io.c) on the bundled
 * Fashion CNN after its float passes. The input is the file's bytes (an in-memory file); loading
 * must end in OK or an error, never a crash, a read past the input or undefined behaviour; a
 * state it accepts must give qparams without a crash. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "passes/passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static oq_graph *graph;        /* imported once, read-only afterwards */
static oq_options opt;

static void setup(void)
{
    oq_diag d = {0};
    oq_import_opts io = {0};
    oq_input_shape sh = {.name = "input", .shape = {.rank = 4, .dim = {1, 1, 28, 28}}};
    io.shapes = &sh;
    io.nshapes = 1;
    if (oq_import_onnx(OQ_SRC_ROOT "/examples/fashion_cnn.onnx", &io, &graph, &d) != OQ_OK ||
        oq_run_passes(graph, &opt, &d) != OQ_OK) {
        fprintf(stderr, "fuzz_calib: setup failed: %s\n", d.msg);
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!graph)
        setup();
    int fd = memfd_create("calib", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    oq_diag d = {0};
    oq_calib *c = NULL;
    if (oq_calib_new(graph, &opt, &c, &d) == OQ_OK) {
        if (oq_calib_load(c, graph, path, &d) == OQ_OK) {
            bool full = true;  /* every observer on the first observed value, cheap ones on all */
            for (uint32_t v = 0; v < graph->nvalue; v++)
                for (int k = 0; k < OQ_OBS_COUNT; k++) {
                    float lo, hi;
                    if (!full && (k == OQ_OBS_MSE || k == OQ_OBS_ENTROPY))
                        continue;
                    if (oq_calib_range(c, v, (oq_obs_kind)k, 99.99f, &lo, &hi) &&
                        k == OQ_OBS_COUNT - 1)
                        full = false;
                }
        }
        oq_calib_free(c);
    }
    close(fd);
    return 0;
}
