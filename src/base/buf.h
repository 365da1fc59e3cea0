/* buf.h: owned, growable, always NUL-terminated byte buffers with a ceiling.
 *
 * A buffer is created with a maximum size; an append that would pass it fails
 * with ERR_TOO_LARGE and leaves the buffer as it was, so input-driven growth is
 * always bounded. The struct is caller-allocated: buf_init / buf_fini. */
#ifndef RELAIS_BASE_BUF_H
#define RELAIS_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;     /* owned; NUL-terminated at data[len] once anything was added */
    size_t len;     /* bytes used, not counting the NUL */
    size_t cap;     /* bytes allocated */
    size_t max_len; /* ceiling on len */
};

void buf_init(struct buf *b, size_t max_len);
void buf_fini(struct buf *b);
/* Empties the buffer, keeping its allocation. */
void buf_reset(struct buf *b);
/* Makes room for extra more bytes in one allocation (a caller that knows about how
 * much it will append saves the doubling from 64 bytes). ERR_TOO_LARGE past max_len. */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the contents to the caller (free()) and resets the buffer. Never NULL. */
char *buf_steal(struct buf *b);
/* Returns the contents as a C string (borrowed; "" for an empty buffer). */
const char *buf_cstr(const struct buf *b);

#endif
