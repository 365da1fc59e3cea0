/* cli.c: `relais llm SUBCOMMAND ...`: a table of subcommands and the dispatcher. Each
 * subcommand lives in its own file (cli_<name>.c) and is declared in cli.h. */
#include "llm/cli.h"

#include <stdio.h>
#include <string.h>

struct llm_cli_cmd {
    const char *name;                   /* argv[1] */
    int (*fn)(int argc, char **argv);   /* gets argv starting at the subcommand name */
    const char *usage;                  /* one line: arguments and what it does */
};

static const struct llm_cli_cmd cmds[] = {
    {"info", llm_cli_info, "FILE.gguf              print metadata, tensors and totals"},
    {"quantize", llm_cli_quantize, "IN.gguf OUT.gguf TYPE  requantize (Q8_0 Q4_0 Q4_K Q5_K Q6_K "
                                   "Q4_K_M Q5_K_M F16 BF16 ...)"},
    {"run", llm_cli_run, "FILE.gguf -p TEXT [-n N] [--temp T] [--seed S] [-t T]  continue a prompt"},
    {"chat", llm_cli_chat, "FILE.gguf [-s SYSTEM] [--temp T] [-t T]  interactive chat"},
    {"bench", llm_cli_bench, "FILE.gguf [-p 512] [-n 64] [-t T] [-r R]  prompt/decode tokens/s"},
};

static void usage(void)
{
    fprintf(stderr, "usage: relais llm SUBCOMMAND ...\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(stderr, "  relais llm %-8s %s\n", cmds[i].name, cmds[i].usage);
}

int llm_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "relais llm: unknown subcommand '%s'\n", argv[1]);
    usage();
    return 2;
}
