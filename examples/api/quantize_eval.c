/* quantize_eval: the library (libonnxq, onnxq.h) from a program built with pkg-config:
 *   cc quantize_eval.c $(pkg-config --cflags --libs onnxq) -o quantize_eval
 * Quantizes a float model with calibration files (as `onnxq quantize MODEL --calib CALIB
 * --input-shape input=1,1,28,28 -o OUT` does) and prints the top-1 of the int8 model on a
 * labelled set (as `onnxq eval OUT --data IMAGES --labels LABELS` does).
 * usage: quantize_eval MODEL CALIB OUT.onnx IMAGES.npy LABELS.npy */
#include <stdio.h>

#include "onnxq.h"

/* warnings of the library, as the command prints them */
static void log_line(void *user, onnxq_log_level level, const char *msg)
{
    (void)user;
    fprintf(stderr, "%s: %s\n", level == ONNXQ_LOG_WARNING ? "warning" : "info", msg);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: quantize_eval MODEL CALIB OUT.onnx IMAGES.npy LABELS.npy\n");
        return 2;
    }
    const char *calib[] = {argv[2]};
    onnxq_input_shape shape = {"input", 4, {1, 1, 28, 28}};
    onnxq_options o;
    onnxq_options_init(&o);
    o.calib = calib;
    o.ncalib = 1;
    o.input_shapes = &shape;
    o.ninput_shapes = 1;
    o.log_fn = log_line;

    onnxq_session *s = NULL;
    onnxq_eval_result r = {0};
    int rc = 1;
    if (onnxq_session_new(&o, &s) != ONNXQ_OK)
        fprintf(stderr, "quantize_eval: %s\n", onnxq_session_error(s));
    else if (onnxq_quantize(s, argv[1], argv[3], ONNXQ_FORMAT_QDQ) != ONNXQ_OK ||
             onnxq_eval(s, argv[3], argv[4], argv[5], 0, 0, &r) != ONNXQ_OK)
        fprintf(stderr, "quantize_eval: %s\n", onnxq_session_error(s));
    else {
        printf("libonnxq %s: top-1: %llu/%llu\n", onnxq_version(),
               (unsigned long long)r.correct, (unsigned long long)r.total);
        rc = 0;
    }
    onnxq_session_free(s);
    return rc;
}
