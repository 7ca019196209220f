/* onnxq inspect: a model's inputs, outputs, op histogram, parameters, MACs and content hash;
 * --dump prints the IR text form (onnxq_inspect). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL, *v;
    bool dump = false;
    onnxq_input_shape shapes[16];
    uint32_t nshapes = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--dump") == 0)
            dump = true;
        else if ((r = cli_opt(argc, argv, &i, "--input-shape", &v))) {
            if (r < 0 || nshapes == 16 || !cli_parse_shape(v, &shapes[nshapes++]))
                return CLI_USAGE;
        } else if (argv[i][0] == '-')
            return cli_usage_error("inspect", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("inspect", "more than one model given");
    }
    if (!path)
        return cli_usage_error("inspect", "no model given");

    onnxq_options o;
    onnxq_options_init(&o);
    o.input_shapes = shapes, o.ninput_shapes = nshapes;
    o.log_fn = cli_log, o.output_fn = cli_output;
    onnxq_session *s = NULL;
    int rc = CLI_OK;
    if (onnxq_session_new(&o, &s) != ONNXQ_OK || onnxq_inspect(s, path, dump) != ONNXQ_OK)
        rc = cli_fail(s);
    onnxq_session_free(s);
    for (uint32_t i = 0; i < nshapes; i++)
        free((void *)shapes[i].name);
    return rc;
}
