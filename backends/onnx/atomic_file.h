/* Atomic file output for the backends: contents go to a temporary file in the target's
 * directory, which is renamed over the target only when everything was written and synced;
 * on any failure the temporary file is removed and the target is untouched. */
#ifndef OQ_ATOMIC_FILE_H
#define OQ_ATOMIC_FILE_H
#include <stdio.h>

#include "../../ir/ir.h"

/* Writes the whole contents to f; false on failure (after setting d, or leaving it to the
 * caller's generic I/O error when d is untouched). */
typedef bool (*oq_file_writer)(void *ctx, FILE *f, oq_diag *d);

/* Writes path atomically with fn. Refuses (ERR_USAGE) when path is one of protect[] (same
 * st_dev and st_ino, so links and other spellings count; NULL entries are skipped) or a
 * directory. ERR_IO names path and errno. The file mode is 0666 & ~umask. */
oq_status oq_write_file_atomic(const char *path, const char *const *protect, size_t nprotect,
                               oq_file_writer fn, void *ctx, oq_diag *d) OQ_NODISCARD;
#endif
