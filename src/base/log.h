/* log.h: leveled, one-line-per-event logging to stderr or a file.
 *
 * Each .c that logs defines LOG_MODULE ("http", "db", ...) before including
 * this header. The macros test the level before evaluating their arguments.
 * Lines look like: 2026-11-23T13:40:01.123Z info http method=GET path=/x status=200
 * Never pass access tokens, passwords, keys or message bodies. Thread-safe. */
#ifndef RELAIS_BASE_LOG_H
#define RELAIS_BASE_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR, LOG_LEVEL_OFF };

extern enum log_level log_level_current;

/* Parses "debug", "info", "warn", "error" or "off"; returns 0 or ERR_INVALID. */
int log_level_parse(const char *name, enum log_level *out);
void log_set_level(enum log_level level);
/* Sends output to path (appending), or stderr when path is NULL or empty.
 * log_reopen() reopens the same path (for SIGHUP after rotation). */
int log_open(const char *path);
void log_reopen(void);
/* Buffered mode (the server, for its line per request): info and debug lines are kept in
 * memory and written together once LOG_FLUSH_MS passed since the last write, or when the
 * buffer fills; a warn or error line writes everything at once. The owner of the mode
 * calls log_flush() at least every LOG_FLUSH_MS so an idle process's lines are not held
 * back, and once more before exit. A crash loses at most the last LOG_FLUSH_MS of info
 * lines. Off by default: every line is written as it comes. */
enum { LOG_FLUSH_MS = 100 };
void log_set_buffered(bool on);
void log_flush(void);

void log_write(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifndef LOG_MODULE
#define LOG_MODULE "relais"
#endif

#define LOG_AT(level, ...)                                                 \
    do {                                                                   \
        if ((level) >= log_level_current)                                  \
            log_write((level), LOG_MODULE, __VA_ARGS__);                   \
    } while (0)
#define log_debug(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) LOG_AT(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
