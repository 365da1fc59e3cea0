/* main.c: the relais command line. Thin: picks the subcommand and hands over. */
#include "cli/cli.h"
#include "llm/cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: relais COMMAND [ARGS]\n"
            "  init [--data DIR] [--server-name N] [--port P]   create a data folder\n"
            "  serve [--config FILE] [--print-config]            run the server\n"
            "  user add|passwd|deactivate|admin|list ...         manage accounts\n"
            "  token create|list ...                             registration tokens\n"
            "  apikey create|list|revoke --name N                AI API keys (/v1)\n"
            "  media list|quarantine|unquarantine|delete [MXC]   the content repository\n"
            "  report list [--limit N]                           content reports by users\n"
            "  llm info|run|chat|bench|quantize ...              the inference engine\n"
            "  llm pull URL|owner/repo/file.gguf [--sha256 H]    download a model for /v1\n"
            "  version                                           print the version\n"
            "Commands that read the config default to data/relais.conf (--config FILE).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(sub_argc, sub_argv);
    if (strcmp(cmd, "init") == 0)
        return cli_init(sub_argc, sub_argv);
    if (strcmp(cmd, "user") == 0)
        return cli_user(sub_argc, sub_argv);
    if (strcmp(cmd, "token") == 0)
        return cli_token(sub_argc, sub_argv);
    if (strcmp(cmd, "apikey") == 0)
        return cli_apikey(sub_argc, sub_argv);
    if (strcmp(cmd, "media") == 0)
        return cli_media(sub_argc, sub_argv);
    if (strcmp(cmd, "report") == 0)
        return cli_report(sub_argc, sub_argv);
    if (strcmp(cmd, "llm") == 0 && argc > 2 && strcmp(argv[2], "pull") == 0)
        return cli_llm_pull(argc - 2, argv + 2); /* libcurl: lives outside src/llm */
    if (strcmp(cmd, "llm") == 0)
        return llm_cli_main(sub_argc, sub_argv);
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
