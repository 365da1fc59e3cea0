/* llm_pull.c: `relais llm pull URL|owner/repo/file.gguf [--sha256 HEX] [--dir DIR]` — downloads
 * a model into the AI API's models folder ([llm] models_dir of the config, or --dir). The
 * download itself (libcurl) is ai_pull in src/ai/pull.c; src/llm stays free of libcurl, so
 * main.c sends `llm pull` here before the llm subcommand table. */
#include "cli/cli.h"

#include "ai/ai.h"
#include "base/err.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const valued[] = {"--config", "--sha256", "--dir", NULL};

int cli_llm_pull(int argc, char **argv)
{
    const char *spec = cli_positional(argc, argv, 0, valued);
    if (!spec) {
        fprintf(stderr, "usage: relais llm pull URL|owner/repo/file.gguf [--sha256 HEX] "
                        "[--dir DIR] [--config FILE]\n");
        return 2;
    }
    const char *sha = cli_option(argc, argv, "--sha256");
    const char *dir_opt = cli_option(argc, argv, "--dir");
    char *dir = NULL;
    if (dir_opt) {
        dir = xstrdup(dir_opt);
    } else {
        struct config cfg;
        if (cli_load_config(argc, argv, &cfg))
            return 1;
        const char *md = cfg.llm_models_dir[0] ? cfg.llm_models_dir : "models";
        size_t len = strlen(cfg.data_dir) + strlen(md) + 2;
        dir = xmalloc(len);
        if (md[0] == '/')
            snprintf(dir, len, "%s", md);
        else
            snprintf(dir, len, "%s/%s", cfg.data_dir, md);
        config_fini(&cfg);
    }
    char err[512] = "";
    char *path = NULL;
    int rc = ai_pull(spec, dir, sha, isatty(2) != 0, &path, err, sizeof err);
    if (rc) {
        fprintf(stderr, "relais llm pull: %s\n", err);
    } else {
        printf("%s\n", path);
        fprintf(stderr, "saved; restart the server to serve it\n");
    }
    free(path);
    free(dir);
    return rc ? 1 : 0;
}
