/* harness.h: what a unit test file includes.
 *
 * A test is written as
 *     TEST_CASE(json, canonical_sorts_keys) { ASSERT_STR_EQ(out, "{\"a\":1}"); }
 * and registered by one line TEST(json, canonical_sorts_keys) in its folder's
 * tests/unit/<folder>/list.h. tests/run.c forks each test, so a failed assertion
 * (which exits the child) or a crash fails that test alone. */
#ifndef RELAIS_TESTS_HARNESS_H
#define RELAIS_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_CASE(mod, name)                                                   \
    void test_##mod##__##name(void);                                           \
    void test_##mod##__##name(void)

/* Reports a failure (file:line and message) to the runner and ends the test. */
_Noreturn void harness_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the test as skipped with a reason (a missing optional resource). */
_Noreturn void harness_skip(const char *reason);

/* Path of a file relative to the source tree's parent (so "shared/models/x"
 * or "main/tests/data/y" style paths work); returns a static buffer. */
const char *harness_path(const char *relative_to_source_root);

/* Hands every regular file (up to 1 MiB) of a fuzz corpus directory to a harness's
 * one-input function, each in a buffer of its exact size (so ASan sees over-reads);
 * returns how many. Fails the test when the directory cannot be read. */
int harness_replay_corpus(const char *dir, int (*fn)(const uint8_t *data, size_t size));

/* The path of a file under the shared model directory (../shared/models beside the
 * repository); returns a static buffer, like harness_path. */
const char *harness_model_path(const char *relative_to_models);
/* Skips the test when the shared model files are not there (a checkout without them). */
void harness_require_models(void);
/* A JSON file under the shared model directory (reference.json: llama.cpp's outputs), parsed
 * (owned: json_decref it); skips the test when it cannot be read. */
struct json_t *harness_model_json(const char *relative_to_models);

/* Reads a whole file into a malloc'd buffer (free() it) with a NUL after its *len bytes.
 * Fails the test when the file cannot be read. */
char *harness_read_file(const char *path, size_t *len);

/* Deterministic test data: one xorshift64 step of *state (seed it non-zero); returns bits
 * 16..47 of the new state. Each file keeps its own state, so its sequence is fixed. */
uint32_t harness_rng_u32(uint64_t *state);
/* harness_rng_u32 mapped onto [-1, 1] in steps of 1e-4. */
float harness_rng_f(uint64_t *state);

#define ASSERT_TRUE(e)                                                         \
    do {                                                                       \
        if (!(e))                                                              \
            harness_fail(__FILE__, __LINE__, "%s", #e);                        \
    } while (0)

#define ASSERT_INT_EQ(a, b)                                                    \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            harness_fail(__FILE__, __LINE__, "%s == %s (got %lld, want %lld)", \
                         #a, #b, a_, b_);                                      \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            harness_fail(__FILE__, __LINE__, "%s == %s (got \"%s\", want \"%s\")", \
                         #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
    } while (0)

#define ASSERT_NEAR(a, b, tol)                                                 \
    do {                                                                       \
        double a_ = (double)(a), b_ = (double)(b);                             \
        if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                           \
            harness_fail(__FILE__, __LINE__, "%s ~ %s (got %g, want %g, tol %g)", \
                         #a, #b, a_, b_, (double)(tol));                       \
    } while (0)

#endif
