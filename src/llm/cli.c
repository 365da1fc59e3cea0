/* cli.c: `relais llm` entry point; the engine's subcommands land here. */
#include "llm/cli.h"

#include <stdio.h>

int llm_cli_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "relais llm: the inference engine is not built yet\n");
    return 2;
}
