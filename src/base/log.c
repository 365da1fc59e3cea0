/* log.c: the log sink. One mutex serialises lines so they never interleave. In buffered
 * mode (log.h) lines gather in log_pending and go out in one write: a write() and fflush
 * per request line cost the server about 5 us of CPU per request (a third of a whoami).
 * The write happens outside log_lock: the full buffer is swapped with an empty one and
 * written under log_out_lock, so the HTTP polling threads go on appending their access
 * lines meanwhile (with the write under log_lock, at log level info, each polling thread
 * waited on the lock ~150 times a second, up to 10 ms, holding up all its connections). */
#include "base/log.h"

#include "base/clock.h"

#include "base/err.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum log_level log_level_current = LOG_LEVEL_INFO;

/* Lock order: log_lock, then log_out_lock. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t log_out_lock = PTHREAD_MUTEX_INITIALIZER; /* held while writing */
static FILE *log_file;      /* NULL means stderr (log_out_lock) */
static char log_path[1024]; /* empty means stderr (log_out_lock) */

enum { LOG_BUFFER_BYTES = 64 * 1024 };
static char log_buffers[2][LOG_BUFFER_BYTES];  /* log_pending and log_spare */
static char *log_pending = log_buffers[0];     /* buffered lines not yet written (log_lock) */
static char *log_spare = log_buffers[1];       /* the other buffer, written from (log_out_lock) */
static size_t log_pending_len;                 /* bytes used in log_pending (log_lock) */
static bool log_buffered;            /* log_set_buffered */
static int64_t log_flushed_ns;       /* monotonic time of the last write */

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int log_level_parse(const char *name, enum log_level *out)
{
    for (int i = 0; i <= LOG_LEVEL_OFF; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

void log_set_level(enum log_level level)
{
    log_level_current = level;
}

/* Writes the buffered lines. Called with log_lock held, which it releases once the lines
 * are taken (others append to the emptied buffer while they are written); the writes keep
 * their order because log_out_lock is taken before log_lock is let go. */
static void flush_unlock(void)
{
    pthread_mutex_lock(&log_out_lock);
    char *lines = log_pending;
    size_t len = log_pending_len;
    log_pending = log_spare;
    log_spare = lines;
    log_pending_len = 0;
    log_flushed_ns = clock_mono_ns();
    pthread_mutex_unlock(&log_lock);
    if (len) {
        FILE *out = log_file ? log_file : stderr;
        fwrite(lines, 1, len, out);
        fflush(out);
    }
    pthread_mutex_unlock(&log_out_lock);
}

void log_set_buffered(bool on)
{
    pthread_mutex_lock(&log_lock);
    log_buffered = on;
    flush_unlock();
}

void log_flush(void)
{
    pthread_mutex_lock(&log_lock);
    flush_unlock();
}

int log_open(const char *path)
{
    int rc = 0;
    pthread_mutex_lock(&log_lock);
    flush_unlock();
    pthread_mutex_lock(&log_out_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    log_path[0] = '\0';
    if (path && path[0]) {
        size_t len = strlen(path);
        if (len >= sizeof log_path) {
            rc = ERR_TOO_LARGE;
        } else {
            memcpy(log_path, path, len + 1);
            log_file = fopen(path, "a");
            if (!log_file)
                rc = ERR_IO;
        }
    }
    pthread_mutex_unlock(&log_out_lock);
    return rc;
}

void log_reopen(void)
{
    pthread_mutex_lock(&log_lock);
    flush_unlock(); /* what was logged before the signal goes to the old file */
    pthread_mutex_lock(&log_out_lock);
    if (log_path[0]) {
        FILE *f = fopen(log_path, "a");
        if (f) {
            if (log_file)
                fclose(log_file);
            log_file = f;
        }
    }
    pthread_mutex_unlock(&log_out_lock);
}

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ %s %s ", ts.tv_nsec / 1000000L,
                  level_names[level], module);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    pthread_mutex_lock(&log_lock);
    while (log_pending_len + len > LOG_BUFFER_BYTES) { /* others may refill it meanwhile */
        flush_unlock();
        pthread_mutex_lock(&log_lock);
    }
    memcpy(log_pending + log_pending_len, line, len);
    log_pending_len += len;
    if (!log_buffered || level >= LOG_LEVEL_WARN ||
        clock_mono_ns() - log_flushed_ns >= (int64_t)LOG_FLUSH_MS * 1000000)
        flush_unlock();
    else
        pthread_mutex_unlock(&log_lock);
}
