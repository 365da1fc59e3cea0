/* log_test.c: the buffered log sink (src/base/log.c) under threads that log at
 * once while the file is reopened (SIGHUP's log_reopen): every line reaches the
 * file once, whole, and each thread's lines in the order it logged them, across
 * the many swaps of the 64 KiB buffer that the writes go out from. */
#define LOG_MODULE "logtest"
#include "harness.h"

#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    LT_THREADS = 4,  /* logging threads */
    LT_LINES = 5000, /* lines per thread (~450 KB in all: dozens of buffer swaps) */
};

static _Atomic bool lt_done; /* the loggers finished: the reopener stops */

static void *lt_logger(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < LT_LINES; i++)
        log_info("thread=%d line=%d pad=%s", t, i, "xxxxxxxxxxxxxxxxxxxxxxxx");
    return NULL;
}

static void *lt_reopener(void *arg)
{
    (void)arg;
    while (!lt_done) {
        log_reopen();
        usleep(2000);
    }
    return NULL;
}

TEST_CASE(base, log_threads_lines_whole_once_in_order)
{
    char path[64] = "/tmp/relais-logtest-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    enum log_level level = log_level_current;
    log_set_level(LOG_LEVEL_INFO);
    ASSERT_INT_EQ(log_open(path), 0);
    log_set_buffered(true);
    pthread_t th[LT_THREADS], re;
    lt_done = false;
    ASSERT_INT_EQ(pthread_create(&re, NULL, lt_reopener, NULL), 0);
    for (int t = 0; t < LT_THREADS; t++)
        ASSERT_INT_EQ(pthread_create(&th[t], NULL, lt_logger, (void *)(intptr_t)t), 0);
    for (int t = 0; t < LT_THREADS; t++)
        pthread_join(th[t], NULL);
    lt_done = true;
    pthread_join(re, NULL);
    log_set_buffered(false); /* writes what is left */
    log_open(NULL);          /* back to stderr: the file is closed */
    log_set_level(level);

    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    int next[LT_THREADS] = {0};
    int bad = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        const char *m = strstr(line, " info logtest thread=");
        size_t len = strlen(line);
        int t = -1, i = -1;
        static const char pad[] = " pad=xxxxxxxxxxxxxxxxxxxxxxxx\n";
        if (m && len >= sizeof pad - 1 && strcmp(line + len - (sizeof pad - 1), pad) == 0) {
            char *end;
            t = (int)strtol(m + strlen(" info logtest thread="), &end, 10);
            if (strncmp(end, " line=", 6) == 0)
                i = (int)strtol(end + 6, NULL, 10);
        }
        if (t < 0 || t >= LT_THREADS || i != next[t]) { /* torn, lost, repeated or reordered */
            if (bad++ < 3)
                fprintf(stderr, "log_test: unexpected line %s", line);
            continue;
        }
        next[t]++;
    }
    fclose(f);
    unlink(path);
    ASSERT_INT_EQ(bad, 0);
    for (int t = 0; t < LT_THREADS; t++)
        ASSERT_INT_EQ(next[t], LT_LINES);
}
