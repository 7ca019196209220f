/* Saving and loading calibration state (--save-calib / --load-calib), so trying observer kinds
 * does not re-run the model. Binary, little-endian host layout:
 *   "OQCALIB1", u32 nstate, u32 nsamples, then per state: u32 name length, name bytes,
 *   u64 nobs, f32 min, f32 max, f32 hmin, f32 hmax, u32 bins, f64 hist[bins],
 *   u64 avg nobs, f32 avg min, f32 avg max.
 * States are keyed by value name; load requires every observed value of the graph to be in the
 * file (same passes, same model) and fails naming the first one missing. Saving goes through
 * oq_write_file_atomic (ir/file.c): never half a file, never over an input of the run. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_int.h"

#define MAGIC "OQCALIB1"

static bool wr(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n; }
static bool rd(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }

typedef struct save_job {      /* what put_state writes */
    const oq_calib *c;
    const oq_graph *g;
} save_job;

/* oq_file_writer: the whole calibration state. */
static bool put_state(void *ctx, FILE *f, oq_diag *d)
{
    (void)d;
    const oq_calib *c = ((const save_job *)ctx)->c;
    const oq_graph *g = ((const save_job *)ctx)->g;
    bool ok = wr(f, MAGIC, 8) && wr(f, &c->nstate, 4) && wr(f, &c->nsamples, 4);
    for (uint32_t v = 0; ok && v < c->nvalue; v++) {
        if (c->slot[v] == OQ_NONE)
            continue;
        const oq_observer *h = &c->hist[c->slot[v]], *a = &c->avg[c->slot[v]];
        const char *name = g->values[v].name;
        uint32_t len = (uint32_t)strlen(name);
        ok = wr(f, &len, 4) && wr(f, name, len) && wr(f, &h->nobs, 8) && wr(f, h->min, 4) &&
             wr(f, h->max, 4) && wr(f, &h->hmin, 4) && wr(f, &h->hmax, 4) && wr(f, &h->bins, 4) &&
             wr(f, h->hist, h->bins * sizeof *h->hist) && wr(f, &a->nobs, 8) &&
             wr(f, a->min, 4) && wr(f, a->max, 4);
    }
    return ok;
}

oq_status oq_calib_save(const oq_calib *c, const oq_graph *g, const char *path, oq_diag *d)
{
    save_job job = {c, g};
    return oq_write_file_atomic(path, NULL, 0, put_state, &job, d);
}

/* A loaded observer state is usable: an observed range is finite with min <= max (nothing
 * observed leaves +inf/-inf), histogram counts are finite and not negative. */
static bool state_sane(uint64_t nobs, float mn, float mx, float hmin, float hmax,
                       const double *hist, uint32_t bins, uint64_t anobs, float amn, float amx)
{
    if (nobs && !(isfinite(mn) && isfinite(mx) && mn <= mx && isfinite(hmin) &&
                  isfinite(hmax) && hmin <= hmax))
        return false;
    if (anobs && !(isfinite(amn) && isfinite(amx) && amn <= amx))
        return false;
    for (uint32_t i = 0; i < bins; i++)
        if (!(hist[i] >= 0) || !isfinite(hist[i]))
            return false;
    return true;
}

oq_status oq_calib_load(oq_calib *c, const oq_graph *g, const char *path, oq_diag *d)
{
    FILE *f = oq_file_open_read(path, d);
    if (!f)
        return d->status ? d->status : OQ_ERR_IO;
    oq_status st = OQ_OK;
    char magic[8];
    uint32_t n, ns;
    bool *seen = calloc(c->nvalue + 1, sizeof *seen);
    char *name = NULL;
    if (!seen) {
        fclose(f);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    if (!rd(f, magic, 8) || memcmp(magic, MAGIC, 8) || !rd(f, &n, 4) || !rd(f, &ns, 4)) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: not an onnxq calibration file", path);
        goto out;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t len, bins;
        if (!rd(f, &len, 4) || len > 65536 || !(name = malloc(len + 1)) || !rd(f, name, len))
            goto trunc;
        name[len] = 0;
        uint32_t v = ir_find_value(g, name);
        oq_observer scratch;
        memset(&scratch, 0, sizeof scratch);
        bool use = v != OQ_NONE && v < c->nvalue && c->slot[v] != OQ_NONE;
        oq_observer *h = use ? &c->hist[c->slot[v]] : &scratch;
        oq_observer *a = use ? &c->avg[c->slot[v]] : &scratch;
        float mn, mx, hmin, hmax, amn, amx;
        uint64_t nobs, anobs;
        if (!rd(f, &nobs, 8) || !rd(f, &mn, 4) || !rd(f, &mx, 4) || !rd(f, &hmin, 4) ||
            !rd(f, &hmax, 4) || !rd(f, &bins, 4) || bins != OQ_HIST_BINS)
            goto trunc;
        if (use) {
            if (!rd(f, h->hist, bins * sizeof *h->hist))
                goto trunc;
        } else if (fseek(f, (long)(bins * sizeof(double)), SEEK_CUR) != 0) {
            goto trunc;
        }
        if (!rd(f, &anobs, 8) || !rd(f, &amn, 4) || !rd(f, &amx, 4))
            goto trunc;
        if (use && !state_sane(nobs, mn, mx, hmin, hmax, h->hist, bins, anobs, amn, amx)) {
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA,
                           "%s: value '%s': corrupt calibration state (min above max, a "
                           "non-finite range or a negative histogram count)", path, name);
            goto out;
        }
        if (use) {
            h->nobs = nobs;
            h->min[0] = mn;
            h->max[0] = mx;
            h->hmin = hmin;
            h->hmax = hmax;
            a->nobs = anobs;
            a->min[0] = amn;
            a->max[0] = amx;
            seen[v] = true;
        }
        free(name);
        name = NULL;
    }
    for (uint32_t v = 0; v < c->nvalue; v++)
        if (c->slot[v] != OQ_NONE && !seen[v]) {
            st = oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                           "%s: no calibration state for value '%s' (saved from another model "
                           "or other passes?)", path, g->values[v].name);
            goto out;
        }
    c->nsamples = ns;
    goto out;
trunc:
    st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: truncated or corrupt calibration file",
                   path);
out:
    free(name);
    free(seen);
    fclose(f);
    return st;
}
