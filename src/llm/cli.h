/* cli.h: `relais llm ...` subcommands (info, run, chat, bench, quantize). */
#ifndef RELAIS_LLM_CLI_H
#define RELAIS_LLM_CLI_H

/* argv[0] is "llm". Returns the process exit status. */
int llm_cli_main(int argc, char **argv);

#endif
