/* onnxq run: bind input tensors (.npy or TensorProto .pb) to a model's inputs by name, run the
 * reference interpreter (onnxq_model_run_files), and write or summarize the outputs. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_IO 64

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *outdir = NULL, *format = "npy", *v;
    const char *in_spec[MAX_IO];
    int nin = 0;
    onnxq_input_shape shapes[16];
    uint32_t nshapes = 0;
    bool custom = false;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--custom-op-lib", &v))) {
            char msg[1024];
            if (r < 0)
                return CLI_USAGE;
            if (onnxq_load_custom_op_library(v, msg, sizeof msg) != ONNXQ_OK)
                return cli_usage_error("run", "%s", msg);
            custom = true;
        } else if ((r = cli_opt(argc, argv, &i, "--input", &v))) {
            if (r < 0)
                return CLI_USAGE;
            if (nin == MAX_IO)
                return cli_usage_error("run", "more than %d inputs", MAX_IO);
            in_spec[nin++] = v;
        } else if ((r = cli_opt(argc, argv, &i, "--output", &v))) {
            if (r < 0)
                return CLI_USAGE;
            outdir = v;
        } else if ((r = cli_opt(argc, argv, &i, "--format", &v))) {
            if (r < 0)
                return CLI_USAGE;
            if (strcmp(v, "npy") != 0 && strcmp(v, "pb") != 0)
                return cli_usage_error("run", "--format must be npy or pb, not '%s'", v);
            format = v;
        } else if ((r = cli_opt(argc, argv, &i, "--input-shape", &v))) {
            if (r < 0 || nshapes == 16 || !cli_parse_shape(v, &shapes[nshapes++]))
                return CLI_USAGE;
        } else if (argv[i][0] == '-')
            return cli_usage_error("run", "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("run", "more than one model given");
    }
    if (!path)
        return cli_usage_error("run", "no model given");

    int rc = CLI_ERR;
    onnxq_options o;
    onnxq_options_init(&o);
    o.input_shapes = shapes, o.ninput_shapes = nshapes;
    o.custom_ops = custom;
    o.log_fn = cli_log, o.output_fn = cli_output;
    onnxq_session *s = NULL;
    onnxq_model *m = NULL;
    const char **files = NULL;
    if (onnxq_session_new(&o, &s) != ONNXQ_OK || onnxq_model_load(s, path, &m) != ONNXQ_OK)
        goto fail;
    uint32_t ninput = onnxq_model_num_inputs(m);
    files = calloc(ninput + 1, sizeof *files);
    if (!files) {
        fprintf(stderr, "onnxq: out of memory\n");
        goto done;
    }
    /* bind each --input to a graph input by name */
    for (int k = 0; k < nin; k++) {
        const char *spec = in_spec[k], *eq = strchr(spec, '=');
        uint32_t idx = UINT32_MAX;
        if (eq) {
            for (uint32_t i = 0; i < ninput; i++) {
                const char *name = onnxq_model_input_info(m, i, NULL);
                if (strlen(name) == (size_t)(eq - spec) && strncmp(name, spec, eq - spec) == 0)
                    idx = i;
            }
            if (idx == UINT32_MAX) {
                fprintf(stderr, "onnxq run: %s: model has no input named '%.*s'\n", path,
                        (int)(eq - spec), spec);
                goto fail_usage;
            }
        } else if (ninput == 1) {
            idx = 0;
        } else {
            fprintf(stderr, "onnxq run: the model has %u inputs; use --input NAME=FILE\n",
                    ninput);
            goto fail_usage;
        }
        files[idx] = eq ? eq + 1 : spec;
    }
    for (uint32_t i = 0; i < ninput; i++)
        if (!files[i]) {
            const char *name = onnxq_model_input_info(m, i, NULL);
            fprintf(stderr, "onnxq run: no tensor given for input '%s' (--input %s=FILE)\n",
                    name, name);
            goto fail_usage;
        }
    if (onnxq_model_run_files(m, files, outdir, strcmp(format, "pb") == 0) != ONNXQ_OK)
        goto fail;
    rc = CLI_OK;
    goto done;
fail_usage:
    rc = CLI_USAGE;
    goto done;
fail:
    rc = cli_fail(s);
done:
    free((void *)files);
    onnxq_model_free(m);
    onnxq_session_free(s);
    for (uint32_t i = 0; i < nshapes; i++)
        free((void *)shapes[i].name);
    return rc;
}
