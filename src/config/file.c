/* file.c: reading the INI config file with libinih and resolving paths. */
#include "config/config.h"

#include "base/err.h"
#include "base/mem.h"

#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct load_ctx {
    struct config *cfg; /* being filled */
    char *err;          /* caller's message buffer */
    size_t err_len;
    int rc;             /* first error */
};

static int on_option(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *ctx = user;
    if (ctx->rc)
        return 0;
    ctx->rc = config_set(ctx->cfg, section, name, value, ctx->err, ctx->err_len);
    return ctx->rc == 0;
}

/* Makes *path absolute against dir when it is relative and non-empty. */
static void resolve(char **path, const char *dir)
{
    if (!*path || !(*path)[0] || (*path)[0] == '/')
        return;
    size_t len = strlen(dir) + 1 + strlen(*path) + 1;
    char *abs = xmalloc(len);
    snprintf(abs, len, "%s/%s", dir, *path);
    free(*path);
    *path = abs;
}

int config_load(struct config *cfg, const char *path, char *err, size_t err_len)
{
    struct load_ctx ctx = {cfg, err, err_len, 0};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "cannot open config %s", path);
        return ERR_IO;
    }
    int line = ini_parse_file(f, on_option, &ctx);
    fclose(f);
    if (ctx.rc) {
        size_t n = strlen(err);
        snprintf(err + n, err_len - n, " (%s line %d)", path, line);
        return ctx.rc;
    }
    if (line != 0) {
        snprintf(err, err_len, "%s line %d: not `key = value` or `[section]`", path, line);
        return ERR_INVALID;
    }
    char dir[PATH_MAX];
    if (!realpath(path, dir)) {
        snprintf(err, err_len, "cannot resolve %s", path);
        return ERR_IO;
    }
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    if (!cfg->data_dir[0]) {
        free(cfg->data_dir);
        cfg->data_dir = xstrdup(dir);
    }
    resolve(&cfg->data_dir, dir);
    resolve(&cfg->signing_key_path, cfg->data_dir);
    resolve(&cfg->database_path, cfg->data_dir);
    resolve(&cfg->log_file, cfg->data_dir);
    return 0;
}
