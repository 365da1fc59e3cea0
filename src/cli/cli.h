/* cli.h: the `relais` subcommands other than `llm`: serve, init, user, token.
 * Each returns the process exit status. They work while a server is running
 * on the same data folder (SQLite WAL; the server notices admin changes). */
#ifndef RELAIS_CLI_CLI_H
#define RELAIS_CLI_CLI_H

#include "config/config.h"

#include <stdbool.h>

int cli_serve(int argc, char **argv);
int cli_init(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_apikey(int argc, char **argv); /* apikey.c: AI API keys */
int cli_media(int argc, char **argv);  /* media.c: list, quarantine, delete media */
int cli_report(int argc, char **argv); /* report.c: list the content reports */
int cli_llm_pull(int argc, char **argv); /* llm_pull.c: `relais llm pull` (argv[0] = "pull") */

/* Shared by the subcommands (common.c). */

/* Finds "--name VALUE" (or "--name=VALUE") in argv; NULL if absent. */
const char *cli_option(int argc, char **argv, const char *name);
/* True when "--name" appears. */
bool cli_flag(int argc, char **argv, const char *name);
/* The n-th argument that is neither an option nor an option's value. */
const char *cli_positional(int argc, char **argv, int n, const char *const *valued_options);
/* Loads the config named by --config (default data/relais.conf). Prints the
 * error and returns non-zero on failure. */
int cli_load_config(int argc, char **argv, struct config *cfg);
struct db;
/* Initialises libsodium and opens the configured database into *db (owned: db_close it; NULL
 * on failure). Prints the error and returns non-zero on failure. */
int cli_open_db(const struct config *cfg, struct db **db);
/* cli_load_config then cli_open_db: on success the caller owns *cfg (config_fini) and *db
 * (db_close); on failure it prints the error, leaves nothing to free and returns non-zero. */
int cli_open(int argc, char **argv, struct config *cfg, struct db **db);
/* A random password of the given length (alphanumeric), into out. */
void cli_random_password(char *out, size_t len);

#endif
