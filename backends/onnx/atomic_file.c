/* Atomic file output: mkstemp next to the target, write, fflush + fsync, rename. The target is
 * never half-written and never one of the protected inputs. */
#include "atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Same file (st_dev + st_ino); false if either does not exist. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

oq_status oq_write_file_atomic(const char *path, const char *const *protect, size_t nprotect,
                               oq_file_writer fn, void *ctx, oq_diag *d)
{
    if (!path || !path[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no output path given");
    for (size_t i = 0; i < nprotect; i++)
        if (same_file(path, protect[i]))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                             "%s: refusing to overwrite the input model; choose another output "
                             "path", path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "%s: is a directory", path);

    oq_status status = OQ_OK;
    FILE *f = NULL;
    size_t plen = strlen(path) + 16;
    char *tmp = malloc(plen);
    if (!tmp)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen, "%s.tmpXXXXXX", path);   /* same directory, so rename is atomic */
    int fd = mkstemp(tmp);
    if (fd < 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot create a temporary file: %s",
                           path, strerror(errno));
        free(tmp);
        return status;
    }
    mode_t um = umask(0);          /* mkstemp makes 0600; give the usual 0666 & ~umask */
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: chmod: %s", tmp, strerror(errno));
        goto fail;
    }
    f = fdopen(fd, "wb");
    if (!f) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    errno = 0;
    if (!fn(ctx, f, d) || ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int e = errno ? errno : EIO;
        status = d && d->status ? d->status
                                : oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: write failed: %s",
                                            path, strerror(e));
        if (status == OQ_OK)
            status = OQ_ERR_IO;
        goto fail;
    }
    int rc = fclose(f);
    f = NULL;
    if (rc != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: close failed: %s", path,
                           strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        status = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: rename failed: %s", path,
                           strerror(errno));
        goto fail;
    }
    free(tmp);
    return OQ_OK;
fail:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return status == OQ_OK ? OQ_ERR_IO : status;
}
