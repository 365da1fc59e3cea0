/* cli_gen_test.c: `relais llm run`, `bench` and `chat` as a user runs them: greedy `run` prints
 * llama.cpp's continuation (reference.json, stories260K prompt 0), `bench` prints its table,
 * `chat` answers a line read from stdin, and bad arguments give the usage status 2. */
#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

#include "llm/cli.h"

/* Runs fn with stdin from in_text (or /dev/null), stdout captured into a malloc'd string,
 * stderr discarded. Returns the exit status. */
static int run_captured(int (*fn)(int, char **), int argc, char **argv, const char *in_text,
                        char **out)
{
    char out_path[] = "/tmp/relais-cli-gen-XXXXXX";
    char in_path[] = "/tmp/relais-cli-in-XXXXXX";
    int ofd = mkstemp(out_path);
    int ifd = mkstemp(in_path);
    ASSERT_TRUE(ofd >= 0 && ifd >= 0);
    if (in_text)
        ASSERT_TRUE(write(ifd, in_text, strlen(in_text)) == (ssize_t)strlen(in_text));
    lseek(ifd, 0, SEEK_SET);
    fflush(stdout);
    fflush(stderr);
    int saved_in = dup(0), saved_out = dup(1), saved_err = dup(2);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(ifd, 0);
    dup2(ofd, 1);
    dup2(devnull, 2);
    clearerr(stdin);
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_in, 0);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    clearerr(stdin);
    close(saved_in);
    close(saved_out);
    close(saved_err);
    close(devnull);
    off_t len = lseek(ofd, 0, SEEK_END);
    *out = calloc(1, (size_t)len + 1);
    ASSERT_TRUE(pread(ofd, *out, (size_t)len, 0) == len);
    close(ofd);
    close(ifd);
    unlink(out_path);
    unlink(in_path);
    return rc;
}

static char *stories_path(void)
{
    static char p[4096];
    snprintf(p, sizeof p, "%s", harness_path("../shared/models/stories260K/stories260K.gguf"));
    if (access(p, R_OK) != 0)
        harness_skip("shared/models not available");
    return p;
}

TEST_CASE(llm, cli_run_greedy_prints_llama_cpp_text)
{
    char *argv[] = {"run", stories_path(), "-p",
                    "Once upon a time, there was a little girl named Lily. She loved to play",
                    "-n", "32", "--temp", "0", "-t", "2", NULL};
    char *out = NULL;
    ASSERT_INT_EQ(run_captured(llm_cli_run, 10, argv, NULL, &out), 0);
    /* reference.json: stories260K prompt 0, greedy text */
    ASSERT_STR_EQ(out, " outside in the park. One day, she saw a big, red ball. She wanted to "
                       "play with it,\n");
    free(out);
}

TEST_CASE(llm, cli_run_seeded_sampling_repeats)
{
    char *argv[] = {"run", stories_path(), "-p", "The little dog", "-n", "24", "--temp", "0.9",
                    "--seed", "7", NULL};
    char *a = NULL, *b = NULL;
    ASSERT_INT_EQ(run_captured(llm_cli_run, 10, argv, NULL, &a), 0);
    ASSERT_INT_EQ(run_captured(llm_cli_run, 10, argv, NULL, &b), 0);
    ASSERT_STR_EQ(a, b);
    ASSERT_TRUE(strlen(a) > 10);
    free(a);
    free(b);
}

TEST_CASE(llm, cli_bench_prints_table)
{
    char *argv[] = {"bench", stories_path(), "-p", "16", "-n", "8", "-r", "1", NULL};
    char *out = NULL;
    ASSERT_INT_EQ(run_captured(llm_cli_bench, 8, argv, NULL, &out), 0);
    ASSERT_TRUE(strstr(out, "| stories260K.gguf |") != NULL);
    ASSERT_TRUE(strstr(out, "| pp16 |") != NULL);
    ASSERT_TRUE(strstr(out, "| tg8 |") != NULL);
    free(out);
}

TEST_CASE(llm, cli_chat_answers_stdin)
{
    char *argv[] = {"chat", stories_path(), "-n", "8", "--temp", "0", "-c", "256", NULL};
    char *out = NULL;
    ASSERT_INT_EQ(run_captured(llm_cli_chat, 8, argv, "Hello\nAgain\n", &out), 0);
    /* three prompts: two answered turns and the one that reads end of input */
    int prompts = 0;
    for (const char *p = out; (p = strstr(p, "> ")) != NULL; p += 2)
        prompts++;
    ASSERT_INT_EQ(prompts, 3);
    free(out);
}

TEST_CASE(llm, cli_gen_usage_errors)
{
    char *out = NULL;
    char *no_prompt[] = {"run", stories_path(), NULL};
    ASSERT_INT_EQ(run_captured(llm_cli_run, 2, no_prompt, NULL, &out), 2);
    free(out);
    char *bad_temp[] = {"run", stories_path(), "-p", "x", "--temp", "hot", NULL};
    ASSERT_INT_EQ(run_captured(llm_cli_run, 6, bad_temp, NULL, &out), 2);
    free(out);
    char *unknown[] = {"bench", stories_path(), "--frobnicate", "1", NULL};
    ASSERT_INT_EQ(run_captured(llm_cli_bench, 4, unknown, NULL, &out), 2);
    free(out);
    char *missing[] = {"run", "/nonexistent/model.gguf", "-p", "x", NULL};
    ASSERT_INT_EQ(run_captured(llm_cli_run, 4, missing, NULL, &out), 1);
    free(out);
}
