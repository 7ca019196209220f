/* Files in and out of a run. Every file the tool writes goes through oq_write_file_atomic: the
 * contents go to a new temporary file in the target's folder (random name, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, so a planted file or symlink of any name is never opened), are
 * flushed and fsync'ed, and the temporary file is renamed over the target only when complete;
 * on failure it is removed and the target is untouched. A target that is one of the run's
 * inputs (same device and inode as a file read through the run's oq_diag, or as a path the
 * caller names) is refused before anything is created, whatever the spelling: symlink, hard
 * link, relative path. An output folder (oq_outdir: onnxq compile) is filled in a sibling and
 * moved in only when complete. It lives in ir/, the base library that every folder links. */
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

/* USAGE error when path is, or links to, an input (d->inputs, protect[]) or is a directory. */
static oq_status check_target(const char *path, const char *const *protect, size_t nprotect,
                              oq_diag *d)
{
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
    return OQ_OK;
}

oq_status oq_write_file_atomic(const char *path, const char *const *protect, size_t nprotect,
                               oq_file_writer fn, void *ctx, oq_diag *d)
{
    if (!path || !path[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no output path given");
    if (d && d->inputs && d->inputs->lost)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM,
                         "%s: not written: an input could not be recorded (out of memory)", path);
    oq_status cst = check_target(path, protect, nprotect, d);
    if (cst != OQ_OK)
        return cst;

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

/* ------------------------------------------------------------------ output folders */

/* "a/b" joined into a new string; NULL on NOMEM. */
static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* rel is relative and has no empty, "." or ".." part. */
static bool rel_ok(const char *rel)
{
    if (!rel[0] || rel[0] == '/')
        return false;
    for (const char *p = rel; *p;) {
        size_t l = strcspn(p, "/");
        if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += l;
        if (*p == '/')
            p++;
        if (!*p && p[-1] == '/')
            return false;
    }
    return true;
}

/* mkdir -p of the folders of rel under base (base exists). */
static bool mkdirs_under(const char *base, const char *rel)
{
    char *p = join(base, rel);
    if (!p)
        return false;
    bool ok = true;
    for (char *s = p + strlen(base) + 1; ok && (s = strchr(s, '/')); s++) {
        *s = '\0';
        ok = mkdir(p, 0777) == 0 || errno == EEXIST;
        *s = '/';
    }
    free(p);
    return ok;
}

/* Removes the now empty folders of rel under base, deepest first (best effort). */
static void rmdirs_under(const char *base, const char *rel)
{
    char *p = join(base, rel);
    if (!p)
        return;
    char *stop = p + strlen(base);
    for (char *s = strrchr(p, '/'); s && s > stop; s = strrchr(p, '/')) {
        *s = '\0';
        if (rmdir(p) != 0)
            break;
    }
    free(p);
}

oq_status oq_outdir_begin(oq_outdir *o, const char *dir, oq_diag *d)
{
    memset(o, 0, sizeof *o);
    if (!dir || !dir[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no output folder given");
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "%s: not a directory", dir);
    char *real = realpath(dir, NULL);          /* an existing folder: stage beside its real path */
    if (!real) {
        /* a new folder: its parents are made now (mkdir -p), the folder itself at commit */
        char *p = strdup(dir);
        if (!p)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                oq_status e = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create: %s", p,
                                        strerror(errno));
                free(p);
                return e;
            }
            *s = '/';
        }
        real = p;
    }
    size_t l = strlen(real);
    while (l > 1 && real[l - 1] == '/')
        real[--l] = '\0';
    o->dir = real;
    o->stage = malloc(l + 32);
    if (!o->stage) {
        oq_outdir_abort(o);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    for (int tries = 0; tries < 64; tries++) {
        snprintf(o->stage, l + 32, "%s.%016llx.tmp", real, (unsigned long long)random_bits());
        if (mkdir(o->stage, 0777) == 0)
            return OQ_OK;
        if (errno != EEXIST)
            break;
    }
    oq_status e = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create a folder beside it: %s",
                            dir, strerror(errno));
    free(o->stage);
    o->stage = NULL;
    oq_outdir_abort(o);
    return e;
}

oq_status oq_outdir_write(oq_outdir *o, const char *rel, oq_file_writer fn, void *ctx, oq_diag *d)
{
    if (!rel_ok(rel))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INTERNAL, "bad output name '%s'", rel);
    if (o->n == o->cap) {
        uint32_t nc = o->cap ? o->cap * 2 : 32;
        char **p = realloc(o->rel, nc * sizeof *p);
        if (!p)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        o->rel = p;
        o->cap = nc;
    }
    char *copy = strdup(rel), *path = join(o->stage, rel);
    if (!copy || !path) {
        free(copy);
        free(path);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    oq_status st = OQ_OK;
    if (!mkdirs_under(o->stage, rel))
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create its folder: %s", path,
                       strerror(errno));
    if (st == OQ_OK)
        st = oq_write_file_atomic(path, NULL, 0, fn, ctx, d);
    free(path);
    size_t sl = strlen(o->stage);
    if (st != OQ_OK && d && strncmp(d->msg, o->stage, sl) == 0) {   /* name the target */
        char msg[sizeof d->msg];
        snprintf(msg, sizeof msg, "%s%s (the folder is unchanged)", o->dir, d->msg + sl);
        memcpy(d->msg, msg, sizeof msg);
    }
    if (st != OQ_OK) {
        free(copy);
        return st;
    }
    o->rel[o->n++] = copy;
    return OQ_OK;
}

/* Writes the manifest: one relative path a line. */
static bool put_manifest(void *ctx, FILE *f, oq_diag *d)
{
    const oq_outdir *o = ctx;
    (void)d;
    fputs("# files written by onnxq into this folder; the next compile into it replaces them\n", f);
    for (uint32_t i = 0; i < o->n; i++)
        fprintf(f, "%s\n", o->rel[i]);
    return true;
}

/* A name a previous commit may have written and this one may remove: .c, .h, Makefile,
 * meson.build. */
static bool stale_name(const char *rel)
{
    const char *b = strrchr(rel, '/');
    b = b ? b + 1 : rel;
    size_t l = strlen(b);
    return (l > 2 && b[l - 2] == '.' && (b[l - 1] == 'c' || b[l - 1] == 'h')) ||
           strcmp(b, "Makefile") == 0 || strcmp(b, "meson.build") == 0;
}

/* Removes what dir/OQ_OUTDIR_MANIFEST lists and o did not write (regular files with a
 * stale_name that are no input of d; best effort). */
static void remove_stale(const oq_outdir *o, oq_diag *d)
{
    char *mpath = join(o->dir, OQ_OUTDIR_MANIFEST);
    int fd = mpath ? open(mpath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
    free(mpath);
    struct stat st;
    FILE *f = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !rel_ok(line) || !stale_name(line))
            continue;
        bool mine = false;
        for (uint32_t i = 0; i < o->n && !mine; i++)
            mine = strcmp(o->rel[i], line) == 0;
        char *p = mine ? NULL : join(o->dir, line);
        if (p && lstat(p, &st) == 0 && S_ISREG(st.st_mode) && !input_named(&st, NULL, 0, d) &&
            unlink(p) == 0)
            rmdirs_under(o->dir, line);
        free(p);
    }
    fclose(f);
}

oq_status oq_outdir_commit(oq_outdir *o, oq_diag *d)
{
    oq_status st = oq_outdir_write(o, OQ_OUTDIR_MANIFEST, put_manifest, o, d);
    if (st != OQ_OK)
        return st;
    if (rename(o->stage, o->dir) == 0) {       /* dir was missing or empty */
        free(o->stage);
        o->stage = NULL;
        sync_dir(o->dir);
        return OQ_OK;
    }
    for (uint32_t i = 0; i < o->n; i++) {      /* nothing moves unless every target may go */
        char *p = join(o->dir, o->rel[i]);
        if (!p)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        struct stat ps;
        for (char *s = p + strlen(o->dir) + 1; st == OQ_OK && (s = strchr(s, '/')); s++) {
            *s = '\0';                         /* each folder on the way: missing or a folder */
            if (lstat(p, &ps) == 0 && !S_ISDIR(ps.st_mode))
                st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "%s: not a directory", p);
            *s = '/';
        }
        if (st == OQ_OK)
            st = check_target(p, NULL, 0, d);
        free(p);
        if (st != OQ_OK)
            return st;
    }
    remove_stale(o, d);
    for (uint32_t i = 0; i < o->n; i++) {      /* in the order written: the manifest last */
        char *from = join(o->stage, o->rel[i]), *to = join(o->dir, o->rel[i]);
        if (!from || !to)
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        else if (!mkdirs_under(o->dir, o->rel[i]) || rename(from, to) != 0)
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot move in: %s (the folder now "
                           "mixes two compiles; their files refuse to build together)", to,
                           strerror(errno));
        free(from);
        free(to);
        if (st != OQ_OK)
            return st;
        rmdirs_under(o->stage, o->rel[i]);
    }
    char *m = join(o->dir, OQ_OUTDIR_MANIFEST);
    if (m)
        sync_dir(m);                           /* fsync of dir itself */
    free(m);
    rmdir(o->stage);
    free(o->stage);
    o->stage = NULL;
    return OQ_OK;
}

void oq_outdir_abort(oq_outdir *o)
{
    for (uint32_t i = 0; o->stage && i < o->n; i++) {
        char *p = join(o->stage, o->rel[i]);
        if (p && unlink(p) == 0)
            rmdirs_under(o->stage, o->rel[i]);
        free(p);
    }
    if (o->stage)
        rmdir(o->stage);
    for (uint32_t i = 0; i < o->n; i++)
        free(o->rel[i]);
    free(o->rel);
    free(o->stage);
    free(o->dir);
    memset(o, 0, sizeof *o);
}
