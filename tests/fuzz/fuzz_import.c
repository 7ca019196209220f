/* libFuzzer target: ONNX bytes -> importer (unpack, adapters, SSA/cycle checks) -> shape
 * inference, twice (strict and with unknown ops kept). Any crash, leak, hang or UB is a bug,
 * and so is a strict import that succeeds with a graph the IR verifier rejects; a clean error
 * status is the expected outcome for garbage. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "frontend/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A real folder for external data in the lenient run (files the fuzzer can name: model.onnx,
 * test_data_set_0/input_0.pb); the strict run refuses external data (no folder). */
#define FUZZ_BASE_DIR "/usr/share/libonnx-testdata/data/node/test_abs"

/* Imports data once with the given leniency and drops the graph. */
static void run(const uint8_t *data, size_t size, bool lenient)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    oq_import_opts o = {.allow_unknown_ops = lenient};
    if (oq_import_onnx_mem(data, size, lenient ? FUZZ_BASE_DIR : NULL, &o, &g, &d) != OQ_OK)
        return;
    oq_diag v = {0};
    if (!lenient && ir_verify(g, &v) != OQ_OK) {
        fprintf(stderr, "imported graph fails the verifier: %s\n", v.msg);
        abort();
    }
    oq_graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, false);
    run(data, size, true);
    return 0;
}
