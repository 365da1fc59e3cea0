/* user.c: `relais user add|passwd|deactivate|list|admin` — account
 * administration from the command line, safe while the server runs.
 *
 *   relais user add NAME [--admin] [--password P] [--config FILE]
 *   relais user passwd NAME [--password P]
 *   relais user deactivate NAME
 *   relais user admin NAME on|off
 *   relais user list
 */
#include "cli/cli.h"

#include "base/err.h"
#include "base/mem.h"
#include "client/account.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

static const char *const valued[] = {"--config", "--password", NULL};

/* "@name:server" or a bare localpart → full user ID (owned). */
static char *full_id(const struct config *cfg, const char *name)
{
    if (name[0] == '@')
        return xstrdup(name);
    size_t len = strlen(name) + strlen(cfg->server_name) + 3;
    char *id = xmalloc(len);
    snprintf(id, len, "@%s:%s", name, cfg->server_name);
    return id;
}

static void print_user(const struct db_user *u, void *ctx)
{
    (void)ctx;
    printf("%-40s %s%s\n", u->user_id, u->is_admin ? "admin " : "",
           u->deactivated ? "deactivated" : "");
}

static int usage(void)
{
    fprintf(stderr, "usage: relais user add NAME [--admin] [--password P]\n"
                    "       relais user passwd NAME [--password P]\n"
                    "       relais user deactivate NAME\n"
                    "       relais user admin NAME on|off\n"
                    "       relais user list\n"
                    "       (all take --config FILE, default data/relais.conf)\n");
    return 2;
}

int cli_user(int argc, char **argv)
{
    const char *action = cli_positional(argc, argv, 0, valued);
    const char *name = cli_positional(argc, argv, 1, valued);
    if (!action || (strcmp(action, "list") != 0 && !name))
        return usage();
    struct config cfg;
    struct db *db;
    if (cli_open(argc, argv, &cfg, &db))
        return 1;
    client_account_configure(&cfg);
    char generated[21];
    const char *password = cli_option(argc, argv, "--password");
    if (!password) {
        crypto_random_token(generated, sizeof generated);
        password = generated;
    }
    int rc = 0;
    char *user_id = name ? full_id(&cfg, name) : NULL;
    if (strcmp(action, "list") == 0) {
        rc = db_user_list(db, print_user, NULL);
    } else if (strcmp(action, "add") == 0) {
        const char *colon = strchr(name, ':');
        char *local = name[0] == '@' ? xstrndup(name + 1, colon ? (size_t)(colon - name - 1)
                                                                : strlen(name + 1))
                                     : xstrdup(name);
        char *created = NULL;
        rc = client_account_create(db, &cfg, local, password, cli_flag(argc, argv, "--admin"),
                                   &created);
        if (rc == ERR_INVALID)
            fprintf(stderr, "relais: '%s' is not a valid user name (a-z 0-9 . _ = - / +)\n", local);
        else if (rc == ERR_EXISTS)
            fprintf(stderr, "relais: %s exists already\n", user_id);
        else if (!rc)
            printf("created %s%s\npassword: %s\n", created,
                   cli_flag(argc, argv, "--admin") ? " (admin)" : "", password);
        free(created);
        free(local);
    } else if (strcmp(action, "passwd") == 0) {
        char hash[CRYPTO_PASSWORD_HASH_BYTES];
        rc = crypto_password_hash(password, hash) ? ERR_INTERNAL : 0;
        if (!rc)
            rc = db_user_set_password(db, user_id, hash);
        if (!rc)
            printf("password of %s changed\npassword: %s\n", user_id, password);
    } else if (strcmp(action, "deactivate") == 0) {
        rc = db_user_deactivate(db, user_id);
        if (!rc) {
            db_admin_change_note(db, "user deactivated");
            printf("%s deactivated\n", user_id);
        }
    } else if (strcmp(action, "admin") == 0) {
        const char *onoff = cli_positional(argc, argv, 2, valued);
        if (!onoff || (strcmp(onoff, "on") != 0 && strcmp(onoff, "off") != 0)) {
            free(user_id);
            db_close(db);
            config_fini(&cfg);
            return usage();
        }
        rc = db_user_set_admin(db, user_id, strcmp(onoff, "on") == 0);
        if (!rc) {
            db_admin_change_note(db, "admin flag changed");
            printf("%s admin %s\n", user_id, onoff);
        }
    } else {
        free(user_id);
        db_close(db);
        config_fini(&cfg);
        return usage();
    }
    if (rc == ERR_NOT_FOUND)
        fprintf(stderr, "relais: no such user %s\n", user_id);
    else if (rc && rc != ERR_INVALID && rc != ERR_EXISTS)
        fprintf(stderr, "relais: failed: %s\n", err_str(rc));
    free(user_id);
    db_close(db);
    config_fini(&cfg);
    return rc ? 1 : 0;
}
