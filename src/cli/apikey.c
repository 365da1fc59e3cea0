/* apikey.c: `relais apikey create|list|revoke` — keys for the AI API (/v1).
 *
 *   relais apikey create --name N [--config FILE]   prints the new key once
 *   relais apikey list
 *   relais apikey revoke --name N
 * Keys are "sk-relais-" + 40 random characters; only their sha256 is stored. */
#include "cli/cli.h"

#include "base/err.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const valued[] = {"--config", "--name", NULL};

static int usage(void)
{
    fprintf(stderr, "usage: relais apikey create --name NAME   (prints the key once)\n"
                    "       relais apikey list\n"
                    "       relais apikey revoke --name NAME\n");
    return 2;
}

int cli_apikey(int argc, char **argv)
{
    const char *action = cli_positional(argc, argv, 0, valued);
    const char *name = cli_option(argc, argv, "--name");
    if (!action)
        return usage();
    bool create = strcmp(action, "create") == 0, revoke = strcmp(action, "revoke") == 0;
    if (!create && !revoke && strcmp(action, "list") != 0)
        return usage();
    if ((create || revoke) && (!name || !name[0]))
        return usage();
    struct config cfg;
    struct db *db;
    if (cli_open(argc, argv, &cfg, &db))
        return 1;
    int rc;
    if (create) {
        char key[51];
        memcpy(key, "sk-relais-", 10);
        crypto_random_token(key + 10, sizeof key - 10);
        unsigned char hash[CRYPTO_SHA256_BYTES];
        crypto_sha256(key, strlen(key), hash);
        rc = db_apikey_create(db, hash, name);
        if (rc == ERR_EXISTS)
            fprintf(stderr, "relais: an API key named '%s' exists already\n", name);
        else if (!rc)
            printf("%s\n", key);
    } else if (revoke) {
        rc = db_apikey_revoke(db, name);
        if (rc == ERR_NOT_FOUND)
            fprintf(stderr, "relais: no API key named '%s'\n", name);
        else if (!rc)
            printf("revoked %s\n", name);
    } else {
        struct db_apikey *keys;
        size_t n;
        rc = db_apikey_list(db, &keys, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            char when[32];
            time_t t = (time_t)(keys[i].created_ts / 1000);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
            printf("%-32s created %s\n", keys[i].name, when);
            db_apikey_fini(&keys[i]);
        }
        if (!rc)
            free(keys);
    }
    if (rc && rc != ERR_EXISTS && rc != ERR_NOT_FOUND)
        fprintf(stderr, "relais: failed: %s\n", err_str(rc));
    db_close(db);
    config_fini(&cfg);
    return rc ? 1 : 0;
}
