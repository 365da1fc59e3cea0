/* token.c: `relais token create|list` — registration tokens.
 *
 *   relais token create [--uses N] [--expires DAYS] [--config FILE]
 *   relais token list
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/str.h"
#include "crypto/random.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const valued[] = {"--config", "--uses", "--expires", NULL};

static int parse_count(const char *text, const char *what, int64_t *out)
{
    if (str_to_i64(text, strlen(text), 1, INT32_MAX, out)) {
        fprintf(stderr, "relais: %s must be a whole number ≥ 1\n", what);
        return 1;
    }
    return 0;
}

int cli_token(int argc, char **argv)
{
    const char *action = cli_positional(argc, argv, 0, valued);
    if (!action || (strcmp(action, "create") != 0 && strcmp(action, "list") != 0)) {
        fprintf(stderr, "usage: relais token create [--uses N] [--expires DAYS]\n"
                        "       relais token list\n");
        return 2;
    }
    int64_t uses = -1, days = 0;
    const char *uses_s = cli_option(argc, argv, "--uses");
    const char *days_s = cli_option(argc, argv, "--expires");
    if ((uses_s && parse_count(uses_s, "--uses", &uses)) ||
        (days_s && parse_count(days_s, "--expires", &days)))
        return 2;
    struct config cfg;
    struct db *db;
    if (cli_open(argc, argv, &cfg, &db))
        return 1;
    int rc;
    if (strcmp(action, "create") == 0) {
        char token[25];
        crypto_random_token(token, sizeof token);
        int64_t expiry = days ? clock_now_ms() + days * 86400000LL : 0;
        rc = db_regtoken_create(db, token, uses, expiry);
        if (!rc)
            printf("%s\n", token);
    } else {
        struct db_regtoken *tokens;
        size_t n;
        rc = db_regtoken_list(db, &tokens, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            char when[32] = "never";
            if (tokens[i].expiry_ts) {
                time_t t = (time_t)(tokens[i].expiry_ts / 1000);
                struct tm tm;
                gmtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
            }
            char uses_text[32];
            if (tokens[i].uses_allowed < 0)
                snprintf(uses_text, sizeof uses_text, "unlimited");
            else
                snprintf(uses_text, sizeof uses_text, "%lld", (long long)tokens[i].uses_allowed);
            printf("%-26s used %lld of %s, expires %s\n", tokens[i].token,
                   (long long)tokens[i].completed, uses_text, when);
            db_regtoken_fini(&tokens[i]);
        }
        if (!rc)
            free(tokens);
    }
    if (rc)
        fprintf(stderr, "relais: failed: %s\n", err_str(rc));
    db_close(db);
    config_fini(&cfg);
    return rc ? 1 : 0;
}
