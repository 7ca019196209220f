/* A growable text buffer for the C emitter. */
#ifndef OQ_CBUF_H
#define OQ_CBUF_H
#include <stdbool.h>
#include <stddef.h>

typedef struct oq_cbuf {
    char *p;                   /* NUL-terminated text (malloc) */
    size_t len, cap;
    bool oom;                  /* an append failed; the text is incomplete */
} oq_cbuf;

void cbuf_printf(oq_cbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cbuf_put(oq_cbuf *b, const char *s, size_t n);
/* Appends a float as an exact C99 hex literal with an f suffix ("0x1.8p-3f", "-0x0p+0f"). */
void cbuf_hexf(oq_cbuf *b, float v);
void cbuf_free(oq_cbuf *b);
#endif
