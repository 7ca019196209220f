/* tests/report/report_sample.c: writes the synthetic report (synth.h) with N layers as HTML,
 * JSON or text, for the headless-Chromium test and for looking at the pictures by hand:
 * `report_sample html|json|text N OUT` (OUT "-" = stdout). Exit 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s html|json|text NLAYERS OUT\n", argv[0]);
        return 2;
    }
    oq_report r;
    synth_report(&r, (uint32_t)strtoul(argv[2], NULL, 10), "examples/synthetic<&>.onnx");
    FILE *f = strcmp(argv[3], "-") ? fopen(argv[3], "w") : stdout;
    if (!f) {
        perror(argv[3]);
        return 1;
    }
    oq_diag d = {0};
    oq_status st = !strcmp(argv[1], "html")   ? oq_report_write_html(&r, f, &d)
                   : !strcmp(argv[1], "json") ? oq_report_write_json(&r, f, &d)
                                              : oq_report_write_text(&r, f, &d);
    if (f != stdout && fclose(f) != 0 && st == OQ_OK)
        st = OQ_ERR_IO;
    free(r.layers);
    if (st != OQ_OK) {
        fprintf(stderr, "report_sample: %s\n", d.msg[0] ? d.msg : oq_status_str(st));
        return 1;
    }
    return 0;
}
