/* fuzz_test.c: replays the request-path fuzz corpus (tests/fuzz/corpus/request) through
 * tests/fuzz/request_fuzz.c without libFuzzer, so every past finding is rechecked by
 * tests/run (and under ASan in the sanitizer pass). */
#include "harness.h"

#define REQUEST_FUZZ_NO_MAIN
#include "fuzz/request_fuzz.c"

TEST_CASE(http, request_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/request"),
                                      request_fuzz_one) >= 10);
}
