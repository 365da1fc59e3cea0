/* init.c: `relais init` creates a data folder: a commented config file with
 * every option, a fresh ed25519 signing key (mode 0600), the database, an
 * admin account with a generated password and a registration token.
 *
 *   relais init [--data DIR] [--server-name NAME] [--port N] [--bind ADDR]
 *               [--public-baseurl URL] [--registration disabled|token|open]
 *               [--set section.name=value ...] [--no-admin]
 */
#include "cli/cli.h"

#include "base/err.h"
#include "base/mem.h"
#include "client/account.h"
#include "crypto/keyring.h"
#include "crypto/random.h"
#include "db/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(len);
    snprintf(p, len, "%s/%s", dir, name);
    return p;
}

/* Opens path for writing with mode 0600, refusing to overwrite. */
static FILE *create_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f)
        close(fd);
    return f;
}

/* Applies --set section.name=value options. */
static int apply_sets(int argc, char **argv, struct config *cfg)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--set") != 0)
            continue;
        const char *arg = argv[++i];
        const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
        if (!dot || !eq || eq < dot) {
            fprintf(stderr, "relais: --set wants section.name=value, got %s\n", arg);
            return 1;
        }
        char *section = xstrndup(arg, (size_t)(dot - arg));
        char *name = xstrndup(dot + 1, (size_t)(eq - dot - 1));
        char err[256];
        int rc = config_set(cfg, section, name, eq + 1, err, sizeof err);
        free(section);
        free(name);
        if (rc) {
            fprintf(stderr, "relais: %s\n", err);
            return 1;
        }
    }
    return 0;
}

static int set_from_option(int argc, char **argv, struct config *cfg, const char *option,
                           const char *section, const char *name)
{
    const char *v = cli_option(argc, argv, option);
    char err[256];
    if (v && config_set(cfg, section, name, v, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        return 1;
    }
    return 0;
}

/* Creates the admin account and a registration token; writes credentials.txt. */
static int create_first_accounts(const char *dir, const struct config *cfg, const char *db_path)
{
    struct db *db;
    char err[512];
    if (db_open(db_path, &db, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        return 1;
    }
    client_account_configure(cfg);
    char password[21], token[25];
    cli_random_password(password, sizeof password);
    crypto_random_token(token, sizeof token);
    char *user_id = NULL;
    int rc = client_account_create(db, cfg, "admin", password, true, &user_id);
    if (!rc)
        rc = db_regtoken_create(db, token, -1, 0);
    db_close(db);
    if (rc) {
        fprintf(stderr, "relais: cannot create the admin account: %s\n", err_str(rc));
        free(user_id);
        return 1;
    }
    char *cred_path = join(dir, "credentials.txt");
    FILE *f = create_private(cred_path);
    if (f) {
        fprintf(f,
                "# Written once by `relais init`. Change the password after the first login.\n"
                "homeserver: %s\nadmin user: %s\nadmin password: %s\nregistration token: %s\n",
                cfg->public_baseurl, user_id, password, token);
        fclose(f);
    }
    free(cred_path);
    free(user_id);
    return 0;
}

int cli_init(int argc, char **argv)
{
    const char *dir = cli_option(argc, argv, "--data");
    if (!dir)
        dir = "data";
    char *conf_path = join(dir, "relais.conf");
    char *key_path = join(dir, "signing.key");
    char *db_path = join(dir, "relais.db");
    int status = 1;
    struct config cfg;
    config_init_defaults(&cfg);
    if (access(conf_path, F_OK) == 0) {
        fprintf(stderr, "relais: %s exists already; nothing to do\n", conf_path);
        status = 0;
        goto out;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "relais: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    if (set_from_option(argc, argv, &cfg, "--server-name", "server", "server_name") ||
        set_from_option(argc, argv, &cfg, "--port", "http", "port") ||
        set_from_option(argc, argv, &cfg, "--bind", "http", "bind_address") ||
        set_from_option(argc, argv, &cfg, "--registration", "registration", "mode") ||
        apply_sets(argc, argv, &cfg))
        goto out;
    const char *base = cli_option(argc, argv, "--public-baseurl");
    char url[512];
    if (!base) {
        snprintf(url, sizeof url, "http://%s:%lld",
                 strcmp(cfg.server_name, "localhost") == 0 ? "localhost" : cfg.bind_address,
                 (long long)cfg.port);
        base = url;
    }
    free(cfg.public_baseurl);
    cfg.public_baseurl = xstrdup(base);
    if (crypto_init() || crypto_keyring_generate(key_path)) {
        fprintf(stderr, "relais: cannot create the signing key %s\n", key_path);
        goto out;
    }
    FILE *f = create_private(conf_path);
    if (!f) {
        fprintf(stderr, "relais: cannot write %s: %s\n", conf_path, strerror(errno));
        goto out;
    }
    config_write(&cfg, f, true);
    fclose(f);
    if (!cli_flag(argc, argv, "--no-admin") && create_first_accounts(dir, &cfg, db_path))
        goto out;
    printf("relais: initialised %s (config %s, signing key %s)\n", dir, conf_path, key_path);
    status = 0;
out:
    config_fini(&cfg);
    free(conf_path);
    free(key_path);
    free(db_path);
    return status;
}
