/* main.c: the relais command line. Thin: picks the subcommand and hands over. */
#include "llm/cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: relais COMMAND [ARGS]\n"
            "  llm info|run|chat|bench|quantize ...   the inference engine\n"
            "  version                                print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "llm") == 0)
        return llm_cli_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("relais %s\n", RELAIS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "relais: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
