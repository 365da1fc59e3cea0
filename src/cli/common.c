/* common.c: argument helpers and config loading for the admin subcommands. */
#include "cli/cli.h"

#include "crypto/random.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

const char *cli_option(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], name, n) != 0)
            continue;
        if (argv[i][n] == '=')
            return argv[i] + n + 1;
        if (argv[i][n] == '\0' && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

bool cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

static bool takes_value(const char *arg, const char *const *valued)
{
    for (size_t i = 0; valued && valued[i]; i++)
        if (strcmp(arg, valued[i]) == 0)
            return true;
    return false;
}

const char *cli_positional(int argc, char **argv, int n, const char *const *valued_options)
{
    int seen = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            if (!strchr(argv[i], '=') && takes_value(argv[i], valued_options))
                i++;
            continue;
        }
        if (seen++ == n)
            return argv[i];
    }
    return NULL;
}

int cli_open_db(const struct config *cfg, struct db **db)
{
    char err[512] = "";
    *db = NULL;
    if (crypto_init() || db_open(cfg->database_path, db, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        return 1;
    }
    return 0;
}

int cli_open(int argc, char **argv, struct config *cfg, struct db **db)
{
    *db = NULL;
    if (cli_load_config(argc, argv, cfg))
        return 1;
    if (cli_open_db(cfg, db)) {
        config_fini(cfg);
        return 1;
    }
    return 0;
}

int cli_load_config(int argc, char **argv, struct config *cfg)
{
    const char *path = cli_option(argc, argv, "--config");
    if (!path)
        path = "data/relais.conf";
    config_init_defaults(cfg);
    char err[512];
    if (config_load(cfg, path, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        if (!cli_option(argc, argv, "--config"))
            fprintf(stderr, "relais: create one with `relais init` (or pass --config FILE)\n");
        config_fini(cfg);
        return 1;
    }
    return 0;
}

void cli_random_password(char *out, size_t len)
{
    crypto_random_token(out, len);
}
