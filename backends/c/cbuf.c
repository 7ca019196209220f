/* Text buffer and atomic file writes for the C emitter (see cbuf.h). */
#include "cbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(oq_cbuf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + extra + 1)
        nc *= 2;
    char *p = realloc(b->p, nc);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = nc;
    return true;
}

void cbuf_put(oq_cbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cbuf_printf(oq_cbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n)) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cbuf_hexf(oq_cbuf *b, float v)
{
    if (isinf(v))
        cbuf_printf(b, v > 0 ? "(1.0f / 0.0f)" : "(-1.0f / 0.0f)");
    else if (isnan(v))
        cbuf_printf(b, "(0.0f / 0.0f)");
    else
        cbuf_printf(b, "%af", (double)v);
}

void cbuf_free(oq_cbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
