/* The public API (onnxq.h) used as a client would use it, in C99: quantizes the bundled
 * Fashion CNN from files and from in-memory samples streamed through the sample callback, and
 * compiles it to C; the outputs must equal the onnxq command's byte for byte, also when two
 * sessions run at once on two threads. Bad input must give a status and a message naming the
 * file. usage: test_api ONNXQ_BINARY SOURCE_ROOT */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxq.h"

#define NSAMPLES 64

static int failures;
#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                              \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fprintf(stderr, "\n");                                                            \
            failures++;                                                                       \
        }                                                                                     \
    } while (0)

static char model[4096], calib_dir[4096], tmp[4096];
static float samples[NSAMPLES][784];

/* The whole file (malloc), its size in *n; NULL if unreadable. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* True if files a and b hold the same bytes. */
static int same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Sample k of examples/calib (sample_%03d.npy: float32 [1,1,28,28], .npy version 1). */
static int load_sample(int k, float *dst)
{
    char path[4200];
    size_t n;
    snprintf(path, sizeof path, "%s/sample_%03d.npy", calib_dir, k);
    unsigned char *b = slurp(path, &n);
    if (!b || n < 10 || b[6] != 1)
        return free(b), 0;
    size_t off = 10 + (size_t)(b[8] | b[9] << 8);
    int ok = n == off + 784 * sizeof(float);
    if (ok)
        memcpy(dst, b + off, 784 * sizeof(float));
    free(b);
    return ok;
}

/* Sample callback over the samples[] array (user: the count to give). */
static int give_sample(void *user, uint32_t index, onnxq_array *in, uint32_t nin)
{
    if (index >= *(const uint32_t *)user)
        return 0;
    if (nin != 1 || in[0].dtype != ONNXQ_DTYPE_FLOAT || in[0].rank != 4)
        return -1;
    in[0].data = samples[index];
    return 1;
}

/* A callback giving samples of the wrong shape. */
static int bad_sample(void *user, uint32_t index, onnxq_array *in, uint32_t nin)
{
    (void)user, (void)nin;
    in[0].rank = 2;
    in[0].dims[0] = 28, in[0].dims[1] = 28;
    in[0].data = samples[index % NSAMPLES];
    return 1;
}

static void quiet_log(void *user, onnxq_log_level level, const char *msg)
{
    (void)user, (void)level, (void)msg;
}

/* Options of every run here: --calib-limit NSAMPLES, files or the callback. */
static void options(onnxq_options *o, const char *const *calib, uint32_t *count)
{
    onnxq_options_init(o);
    o->calib_limit = NSAMPLES;
    o->log_fn = quiet_log;
    if (calib) {
        o->calib = calib;
        o->ncalib = 1;
    } else {
        o->sample_fn = give_sample;
        o->sample_user = count;
    }
}

typedef struct job {
    int from_files;
    char out[4200];
    onnxq_status st;
} job;

/* One session quantizing the model to job->out. */
static void *quantize_job(void *arg)
{
    job *j = arg;
    const char *calib[1] = {calib_dir};
    uint32_t count = NSAMPLES;
    onnxq_options o;
    options(&o, j->from_files ? calib : NULL, &count);
    onnxq_session *s = NULL;
    j->st = onnxq_session_new(&o, &s);
    if (j->st == ONNXQ_OK)
        j->st = onnxq_quantize(s, model, j->out, ONNXQ_FORMAT_QDQ);
    if (j->st != ONNXQ_OK)
        fprintf(stderr, "quantize: %s\n", s ? onnxq_session_error(s) : "no session");
    onnxq_session_free(s);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_api ONNXQ_BINARY SOURCE_ROOT\n");
        return 2;
    }
    const char *cli = argv[1];
    snprintf(model, sizeof model, "%s/examples/fashion_cnn.onnx", argv[2]);
    snprintf(calib_dir, sizeof calib_dir, "%s/examples/calib", argv[2]);
    snprintf(tmp, sizeof tmp, "/tmp/onnxq-api-XXXXXX");
    if (!mkdtemp(tmp))
        return perror("mkdtemp"), 1;
    for (int k = 0; k < NSAMPLES; k++)
        if (!load_sample(k, samples[k]))
            return fprintf(stderr, "cannot read calibration sample %d\n", k), 1;

    /* version */
    CHECK(strcmp(onnxq_version(), ONNXQ_VERSION_STRING) == 0, "version %s", onnxq_version());
    CHECK(onnxq_version_number() == ONNXQ_VERSION_NUMBER, "version number");
    CHECK(strcmp(onnxq_status_string(ONNXQ_ERR_DATA), "bad input data") == 0, "status text");

    /* the command's output */
    char cmd[65536], ref[4200], ref_c[4200];
    snprintf(ref, sizeof ref, "%s/cli.onnx", tmp);
    snprintf(ref_c, sizeof ref_c, "%s/cli_c", tmp);
    snprintf(cmd, sizeof cmd, "'%s' quantize '%s' --calib '%s' --calib-limit %d -o '%s' "
             ">/dev/null 2>&1 && '%s' compile '%s' --calib '%s' --calib-limit %d --emit-c '%s' "
             "--name net >/dev/null 2>&1", cli, model, calib_dir, NSAMPLES, ref, cli, model,
             calib_dir, NSAMPLES, ref_c);
    CHECK(system(cmd) == 0, "%s failed", cmd);

    /* from files and from memory, two sessions on two threads at once */
    job jobs[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].from_files = i == 0;
        snprintf(jobs[i].out, sizeof jobs[i].out, "%s/api_%s.onnx", tmp, i ? "mem" : "files");
        CHECK(pthread_create(&th[i], NULL, quantize_job, &jobs[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].st == ONNXQ_OK, "quantize (%s): status %d", i ? "memory" : "files",
              (int)jobs[i].st);
        CHECK(same_file(jobs[i].out, ref), "%s differs from the command's %s", jobs[i].out,
              ref);
    }
    /* again one at a time, from memory */
    quantize_job(&jobs[1]);
    CHECK(jobs[1].st == ONNXQ_OK && same_file(jobs[1].out, ref), "memory, alone: differs");

    /* compile from memory samples: the same C */
    {
        uint32_t count = NSAMPLES;
        onnxq_options o;
        options(&o, NULL, &count);
        o.name = "net";
        onnxq_session *s = NULL;
        onnxq_compile_info ci;
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/api_c", tmp);
        onnxq_status st = onnxq_session_new(&o, &s);
        if (st == ONNXQ_OK)
            st = onnxq_compile(s, model, dir, &ci);
        CHECK(st == ONNXQ_OK, "compile: %s", onnxq_session_error(s));
        CHECK(st != ONNXQ_OK || (ci.kernel_calls > 0 && ci.workspace_bytes > 0), "compile info");
        static const char *const files[] = {"net.c", "net.h", "net_weights.c", "net_main.c"};
        for (int i = 0; i < 4; i++) {
            char a[4300], b[4300];
            snprintf(a, sizeof a, "%s/%s", dir, files[i]);
            snprintf(b, sizeof b, "%s/%s", ref_c, files[i]);
            CHECK(same_file(a, b), "%s differs from the command's", files[i]);
        }
        onnxq_session_free(s);
    }

    /* the interpreter: in memory, from files, and with a symbolic batch of 3 */
    {
        onnxq_options o;
        options(&o, NULL, NULL);
        onnxq_session *s = NULL;
        onnxq_model *m = NULL;
        char dir[4200], npy[4300], sample0[4200];
        snprintf(dir, sizeof dir, "%s/run", tmp);
        snprintf(npy, sizeof npy, "%s/logits.npy", dir);
        snprintf(sample0, sizeof sample0, "%s/sample_000.npy", calib_dir);
        CHECK(onnxq_session_new(&o, &s) == ONNXQ_OK, "session");
        onnxq_status st = onnxq_model_load(s, model, &m);
        CHECK(st == ONNXQ_OK, "model_load: %s", onnxq_session_error(s));
        onnxq_array in, info, out;
        const char *name = st == ONNXQ_OK ? onnxq_model_input_info(m, 0, &info) : NULL;
        CHECK(name && onnxq_model_num_inputs(m) == 1 && onnxq_model_num_outputs(m) == 1 &&
                  info.rank == 4 && info.dims[0] == -1 && info.dims[3] == 28,
              "input info: %s rank %d", name ? name : "?", (int)info.rank);
        CHECK(!onnxq_model_input_info(m, 1, NULL), "input 1 of a one-input model");
        memset(&in, 0, sizeof in);
        in.dtype = ONNXQ_DTYPE_FLOAT;
        in.rank = 4;
        in.dims[0] = 1, in.dims[1] = 1, in.dims[2] = 28, in.dims[3] = 28;
        in.data = samples[0];
        float one[10] = {0};
        st = onnxq_model_run(m, &in, 1, &out, 1);
        CHECK(st == ONNXQ_OK && out.rank == 2 && out.dims[0] == 1 && out.dims[1] == 10,
              "run: %s", onnxq_session_error(s));
        if (st == ONNXQ_OK)
            memcpy(one, out.data, sizeof one);
        const char *files[1] = {sample0};
        st = onnxq_model_run_files(m, files, dir, 0);
        CHECK(st == ONNXQ_OK, "run_files: %s", onnxq_session_error(s));
        size_t n = 0;
        unsigned char *b = slurp(npy, &n);
        CHECK(b && n >= 40 && memcmp(b + n - sizeof one, one, sizeof one) == 0,
              "%s differs from the in-memory run", npy);
        free(b);
        in.dims[0] = 3;        /* the batch dim is symbolic: shapes are inferred again */
        st = onnxq_model_run(m, &in, 1, &out, 1);
        CHECK(st == ONNXQ_OK && out.dims[0] == 3 && out.dims[1] == 10, "batch 3: %s",
              onnxq_session_error(s));
        for (int c = 0; st == ONNXQ_OK && c < 10; c++) {
            float x = ((const float *)out.data)[c], y = one[c];
            CHECK(x - y < 1e-4f && y - x < 1e-4f, "batch 3 row 0 [%d]: %g vs %g", c, x, y);
        }
        in.dims[1] = 2;
        st = onnxq_model_run(m, &in, 1, &out, 1);
        CHECK(st == ONNXQ_ERR_DATA && strstr(onnxq_session_error(s), "input 'input'"),
              "wrong shape: status %d, '%s'", (int)st, onnxq_session_error(s));
        onnxq_model_free(m);
        onnxq_session_free(s);
    }

    /* bad input: a status and a message naming the file / the input */
    {
        onnxq_session *s = NULL;
        char missing[4200];
        snprintf(missing, sizeof missing, "%s/no_such_model.onnx", tmp);
        CHECK(onnxq_session_new(NULL, &s) == ONNXQ_OK, "session with default options");
        onnxq_status st = onnxq_quantize(s, missing, ref, ONNXQ_FORMAT_QDQ);
        CHECK(st == ONNXQ_ERR_IO, "missing model: status %d", (int)st);
        CHECK(strstr(onnxq_session_error(s), "no_such_model.onnx") != NULL,
              "message does not name the file: '%s'", onnxq_session_error(s));
        CHECK(onnxq_session_status(s) == st, "session status");
        /* no calibration data at all */
        st = onnxq_quantize(s, model, ref, ONNXQ_FORMAT_QDQ);
        CHECK(st == ONNXQ_ERR_USAGE, "no calibration data: status %d", (int)st);
        onnxq_session_free(s);

        onnxq_options o;
        options(&o, NULL, NULL);
        o.sample_fn = bad_sample;
        CHECK(onnxq_session_new(&o, &s) == ONNXQ_OK, "session");
        st = onnxq_quantize(s, model, ref, ONNXQ_FORMAT_QDQ);
        CHECK(st == ONNXQ_ERR_DATA, "wrong sample shape: status %d", (int)st);
        CHECK(strstr(onnxq_session_error(s), "fashion_cnn.onnx") &&
              strstr(onnxq_session_error(s), "[28,28]") && strstr(onnxq_session_error(s), "input"),
              "message does not name the file, the shape and the input: '%s'",
              onnxq_session_error(s));
        onnxq_session_free(s);

        o.struct_size = 4;
        s = NULL;
        CHECK(onnxq_session_new(&o, &s) == ONNXQ_ERR_USAGE && !s, "unknown struct_size");
    }
    CHECK(same_file(model, model), "same_file");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("api: all checks passed\n");
    return failures ? 1 : 0;
}
