/* run.c: the unit-test runner.
 *
 * Every test listed in tests/unit/list.h runs in a forked child with a time
 * limit, so a crash, a sanitizer abort or a hang fails only that test. One line
 * per test ("ok   base/buf_bounded" or "FAIL base/buf_bounded  file:line: ..."),
 * then the closing line "N passed, M failed[, K skipped]". Arguments are name
 * prefixes: `tests/run llm/` runs the llm tests only. Exit status 1 if any failed. */
#include "harness.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST(mod, name) void test_##mod##__##name(void);
#include "unit/list.h"
#undef TEST

struct test_entry {
    const char *name; /* "module/name" */
    void (*fn)(void);
};

static const struct test_entry all_tests[] = {
#define TEST(mod, name) {#mod "/" #name, test_##mod##__##name},
#include "unit/list.h"
#undef TEST
};

enum { EXIT_SKIP = 77, TEST_TIMEOUT_S = 300 };

static int report_fd = -1; /* the child's pipe to the parent */

static void report(const char *fmt, va_list ap)
{
    char msg[1024];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    if (report_fd >= 0 && write(report_fd, msg, len) < 0)
        return;
}

static void report_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(fmt, ap);
    va_end(ap);
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    report_fmt("%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    report(fmt, ap);
    va_end(ap);
    _exit(1);
}

void harness_skip(const char *reason)
{
    report_fmt("%s", reason);
    _exit(EXIT_SKIP);
}

const char *harness_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", RELAIS_SOURCE_DIR, rel);
    return path;
}

const char *harness_model_path(const char *rel)
{
    static char p[2048]; /* harness_path adds the source directory in its 4096 bytes */
    snprintf(p, sizeof p, "../shared/models/%s", rel);
    return harness_path(p);
}

void harness_require_models(void)
{
    if (access(harness_model_path("SOURCES.md"), R_OK) != 0)
        harness_skip("shared/models not available");
}

json_t *harness_model_json(const char *rel)
{
    json_error_t e;
    json_t *root = json_load_file(harness_model_path(rel), JSON_ALLOW_NUL, &e);
    if (!root) {
        char why[512];
        snprintf(why, sizeof why, "shared/models/%s not readable", rel);
        harness_skip(why);
    }
    return root;
}

uint32_t harness_rng_u32(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t)(*state >> 16);
}

float harness_rng_f(uint64_t *state)
{
    return (float)(harness_rng_u32(state) % 20001) / 10000.0f - 1.0f;
}

char *harness_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        harness_fail(__FILE__, __LINE__, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
        harness_fail(__FILE__, __LINE__, "cannot read %s", path);
    fclose(f);
    p[n] = '\0';
    *len = (size_t)n;
    return p;
}

int harness_replay_corpus(const char *dir, int (*fn)(const uint8_t *data, size_t size))
{
    DIR *d = opendir(dir);
    if (!d)
        harness_fail(__FILE__, __LINE__, "cannot open %s", dir);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            harness_fail(__FILE__, __LINE__, "cannot read %s", path);
        size_t size = (size_t)st.st_size;
        uint8_t *data = malloc(size ? size : 1);
        if (!data || fread(data, 1, size, f) != size)
            harness_fail(__FILE__, __LINE__, "cannot read %s", path);
        fclose(f);
        fn(data, size);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

static bool matches(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strncmp(name, argv[i], strlen(argv[i])) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof all_tests / sizeof all_tests[0]; i++) {
        const struct test_entry *t = &all_tests[i];
        if (!matches(t->name, argc, argv))
            continue;
        int fds[2];
        if (pipe(fds) != 0) {
            perror("pipe");
            return 2;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            report_fd = fds[1];
            alarm(TEST_TIMEOUT_S);
            t->fn();
            _exit(0);
        }
        close(fds[1]);
        char msg[1024];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof msg - 1 && (n = read(fds[0], msg + len, sizeof msg - 1 - len)) != 0) {
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            len += (size_t)n;
        }
        msg[len] = '\0';
        close(fds[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("ok   %s\n", t->name);
            passed++;
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
            printf("skip %s  %s\n", t->name, msg);
            skipped++;
        } else if (WIFSIGNALED(status)) {
            printf("FAIL %s  killed by signal %d%s%s\n", t->name, WTERMSIG(status),
                   WTERMSIG(status) == SIGALRM ? " (timeout) " : " ", msg);
            failed++;
        } else {
            printf("FAIL %s  %s\n", t->name, msg);
            failed++;
        }
    }
    if (skipped)
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
