/* Files in and out of a run. Every file the tool writes goes through oq_write_file_atomic: the
 * contents go to a new temporary file in the target's folder (random name, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so a planted file or symlink of any name is never opened), are
 * flushed and fsync'ed, and the temporary file is renamed over the target only when complete;
 * on failure it is removed and the target is untouched. A target that is one of the run's
 * inputs (same device and inode as a file read through the run's oq_diag, or as a path the
 * caller names) is refused before anything is created, whatever the spelling: symlink, hard
 * link, relative path. It lives in ir/, the base library that every folder links. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ir.h"

void oq_file_set_free(oq_file_set *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        free(s->id[i].path);
    free(s->id);
    memset(s, 0, sizeof *s);
}

/* Adds (dev, ino, path) to s unless already there; false on NOMEM. */
static bool set_add(oq_file_set *s, const struct stat *st, const char *path)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->id[i].dev == (uint64_t)st->st_dev && s->id[i].ino == (uint64_t)st->st_ino)
            return true;
    if (s->n == s->cap) {
        uint32_t nc = s->cap ? s->cap * 2 : 16;
        oq_file_id *p = realloc(s->id, nc * sizeof *p);
        if (!p)
            return false;
        s->id = p;
        s->cap = nc;
    }
    char *copy = strdup(path ? path : "");
    if (!copy)
        return false;
    s->id[s->n++] = (oq_file_id){(uint64_t)st->st_dev, (uint64_t)st->st_ino, copy};
    return true;
}

oq_status oq_file_note_input(oq_diag *d, int fd, const char *path)
{
    struct stat st;
    if (!d || !d->inputs || fstat(fd, &st) != 0)
        return OQ_OK;
    if (!set_add(d->inputs, &st, path)) {
        d->inputs->lost = true;
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    }
    return OQ_OK;
}

FILE *oq_file_open_read(const char *path, oq_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: not a regular file", path);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (oq_file_note_input(d, fd, path) != OQ_OK) {
        fclose(f);
        return NULL;
    }
    return f;
}

/* The input that st is (an entry of d->inputs or of protect[]), NULL when none. */
static const char *input_named(const struct stat *st, const char *const *protect,
                               size_t nprotect, const oq_diag *d)
{
    for (size_t i = 0; i < nprotect; i++) {
        struct stat ps;
        if (protect[i] && stat(protect[i], &ps) == 0 && ps.st_dev == st->st_dev &&
            ps.st_ino == st->st_ino)
            return protect[i];
    }
    const oq_file_set *s = d ? d->inputs : NULL;
    for (uint32_t i = 0; s && i < s->n; i++)
        if (s->id[i].dev == (uint64_t)st->st_dev && s->id[i].ino == (uint64_t)st->st_ino)
            return s->id[i].path;
    return NULL;
}

/* 64 random bits for a temporary name (getrandom; the clock and a counter if it fails: the
 * name only has to be new, O_EXCL makes it safe). */
static uint64_t random_bits(void)
{
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec << 20 ^
        (uint64_t)getpid() << 40 ^ ++counter;
    return r;
}

/* Creates a new file "<path>.<16 hex>.tmp" (mode 0666 & ~umask); its name goes to *tmp. */
static int create_temp(const char *path, char **tmp, oq_diag *d)
{
    size_t n = strlen(path) + 32;
    *tmp = malloc(n);
    if (!*tmp) {
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
        return -1;
    }
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 64; tries++) {
        snprintf(*tmp, n, "%s.%016llx.tmp", path, (unsigned long long)random_bits());
        fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create a temporary file: %s", path,
                  strerror(errno));
        free(*tmp);
        *tmp = NULL;
    }
    return fd;
}

/* fsync of the folder holding path, so the rename survives a crash (best effort). */
static void sync_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

oq_status oq_write_file_atomic(const char *path, const char *const *protect, size_t nprotect,
                               oq_file_writer fn, void *ctx, oq_diag *d)
{
    if (!path || !path[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no output path given");
    if (d && d->inputs && d->inputs->lost)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM,
                         "%s: not written: an input could not be recorded (out of memory)", path);
    struct stat st;
    const char *in = NULL;
    if (lstat(path, &st) == 0)                  /* the name itself (a link to an input) */
        in = input_named(&st, protect, nprotect, d);
    if (!in && stat(path, &st) == 0) {          /* what it leads to */
        in = input_named(&st, protect, nprotect, d);
        if (!in && S_ISDIR(st.st_mode))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "%s: is a directory", path);
    }
    if (in && strcmp(in, path) == 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "%s: refusing to overwrite the input; choose another output path", path);
    if (in)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                         "%s: refusing to overwrite the input %s (the same file); choose another "
                         "output path", path, in);

    char *tmp;
    int fd = create_temp(path, &tmp, d);
    if (fd < 0)
        return d && d->status ? d->status : OQ_ERR_IO;
    oq_status status = OQ_OK;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s", tmp, strerror(errno));
        close(fd);
        goto fail;
    }
    errno = 0;
    if (!fn(ctx, f, d) || ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int e = errno ? errno : EIO;
        status = d && d->status ? d->status
                                : oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: write failed: %s",
                                            path, strerror(e));
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: close failed: %s", path,
                           strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: rename failed: %s", path,
                           strerror(errno));
        goto fail;
    }
    sync_dir(path);
    free(tmp);
    return OQ_OK;
fail:
    unlink(tmp);
    free(tmp);
    return status == OQ_OK ? OQ_ERR_IO : status;
}
