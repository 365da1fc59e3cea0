/* cli.h: `relais llm ...` subcommands (info, run, chat, bench, quantize).
 *
 * llm_cli_main dispatches on argv[1] through the table in cli.c; each subcommand is a
 * function in its own file (cli_info.c, cli_quantize.c, ...) with the signature below:
 * argv[0] is the subcommand's name, the result is the process exit status (0 ok, 1
 * failure, 2 usage). Output goes to stdout, errors to stderr. */
#ifndef RELAIS_LLM_CLI_H
#define RELAIS_LLM_CLI_H

/* argv[0] is "llm". Returns the process exit status. */
int llm_cli_main(int argc, char **argv);

/* relais llm info FILE.gguf (cli_info.c) */
int llm_cli_info(int argc, char **argv);

/* relais llm quantize IN.gguf OUT.gguf TYPE (cli_quantize.c) */
int llm_cli_quantize(int argc, char **argv);

/* relais llm run FILE -p TEXT [...] (cli_run.c), chat FILE (cli_chat.c), bench FILE (cli_bench.c) */
int llm_cli_run(int argc, char **argv);
int llm_cli_chat(int argc, char **argv);
int llm_cli_bench(int argc, char **argv);

#endif
