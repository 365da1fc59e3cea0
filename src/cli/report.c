/* report.c: `relais report list` — the admin reads the content reports users
 * sent (POST /rooms/{roomId}/report[/{eventId}], stored by db/reports.h),
 * newest first, one per line, tab-separated:
 *
 *   id  time (UTC)  room  event (- for a room report)  reporter  score (-)  reason (-)
 *
 *   relais report list [--limit N] [--config FILE]     (default 100 reports)
 *
 * Tabs and line breaks inside a reason are shown as spaces, so a reporter
 * cannot forge extra lines. Works beside a running server. */
#include "cli/cli.h"

#include "base/err.h"
#include "base/str.h"
#include "db/db.h"
#include "db/reports.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const valued[] = {"--config", "--limit", NULL};

enum { REPORT_DEFAULT_LIMIT = 100, REPORT_MAX_LIMIT = 1000000 };

static int usage(void)
{
    fprintf(stderr, "usage: relais report list [--limit N] [--config FILE]\n");
    return 2;
}

/* Prints s with control characters (tabs, line breaks) as spaces; "-" for NULL. */
static void print_field(const char *s)
{
    if (!s) {
        fputs("-", stdout);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        putchar(*p < 0x20 || *p == 0x7F ? ' ' : *p);
}

static void print_report(const struct db_report *r)
{
    time_t secs = (time_t)(r->ts / 1000);
    struct tm tm;
    char when[32] = "-";
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%lld\t%s\t", (long long)r->id, when);
    print_field(r->room_id);
    putchar('\t');
    print_field(r->event_id);
    putchar('\t');
    print_field(r->user_id);
    putchar('\t');
    print_field(r->score);
    putchar('\t');
    print_field(r->reason);
    putchar('\n');
}

int cli_report(int argc, char **argv)
{
    const char *action = cli_positional(argc, argv, 0, valued);
    if (!action || strcmp(action, "list") != 0 || cli_positional(argc, argv, 1, valued))
        return usage();
    int64_t limit = REPORT_DEFAULT_LIMIT;
    const char *l = cli_option(argc, argv, "--limit");
    if (l && str_to_i64(l, strlen(l), 1, REPORT_MAX_LIMIT, &limit)) {
        fprintf(stderr, "relais: --limit must be a number from 1 to %d\n", REPORT_MAX_LIMIT);
        return 2;
    }
    struct config cfg;
    if (cli_load_config(argc, argv, &cfg))
        return 1;
    struct db *db = NULL;
    char err[512] = "";
    int status = 1;
    if (db_open(cfg.database_path, &db, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        goto out;
    }
    struct db_report *reports;
    size_t n;
    int rc = db_reports_list(db, (size_t)limit, &reports, &n);
    if (rc) {
        fprintf(stderr, "relais: %s\n", err_str(rc));
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        print_report(&reports[i]);
    db_reports_free(reports, n);
    status = 0;
out:
    if (db)
        db_close(db);
    config_fini(&cfg);
    return status;
}
