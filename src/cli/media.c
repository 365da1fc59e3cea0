/* media.c: `relais media list|quarantine|unquarantine|delete` — the admin's
 * hand on the content repository. Works beside a running server: a
 * quarantined or deleted item is answered 404 M_NOT_FOUND from the next request.
 *
 *   relais media list [--config FILE]
 *   relais media quarantine mxc://SERVER/ID     (also SERVER/ID)
 *   relais media unquarantine mxc://SERVER/ID
 *   relais media delete mxc://SERVER/ID         removes the files nothing else uses */
#include "cli/cli.h"

#include "base/err.h"
#include "base/mem.h"
#include "crypto/random.h"
#include "db/db.h"
#include "db/media.h"
#include "media/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const valued[] = {"--config", NULL};

static int usage(void)
{
    fprintf(stderr, "usage: relais media list\n"
                    "       relais media quarantine|unquarantine|delete mxc://SERVER/MEDIA_ID\n");
    return 2;
}

static void print_row(const struct db_media *m, void *ctx)
{
    (void)ctx;
    printf("mxc://%s/%s\t%lld\t%s\t%s\t%lld%s%s\n", m->server, m->media_id, (long long)m->size,
           m->content_type ? m->content_type : "-", m->uploader, (long long)m->created_ts,
           m->sha256 ? "" : "\tpending", m->quarantined ? "\tquarantined" : "");
}

/* Splits "mxc://server/id" or "server/id" into owned parts. */
static int parse_uri(const char *uri, char **server, char **media_id)
{
    if (strncmp(uri, "mxc://", 6) == 0)
        uri += 6;
    const char *slash = strchr(uri, '/');
    if (!slash || slash == uri || !slash[1] || strchr(slash + 1, '/'))
        return ERR_INVALID;
    *server = xmalloc((size_t)(slash - uri) + 1);
    memcpy(*server, uri, (size_t)(slash - uri));
    (*server)[slash - uri] = '\0';
    *media_id = xstrdup(slash + 1);
    return 0;
}

int cli_media(int argc, char **argv)
{
    const char *action = cli_positional(argc, argv, 0, valued);
    const char *uri = cli_positional(argc, argv, 1, valued);
    if (!action)
        return usage();
    bool list = strcmp(action, "list") == 0, del = strcmp(action, "delete") == 0;
    bool quarantine = strcmp(action, "quarantine") == 0;
    bool release = strcmp(action, "unquarantine") == 0;
    if (!list && !del && !quarantine && !release)
        return usage();
    char *server = NULL, *media_id = NULL;
    if (!list && (!uri || parse_uri(uri, &server, &media_id)))
        return usage();
    struct config cfg;
    struct db *db;
    if (cli_open(argc, argv, &cfg, &db)) {
        free(server);
        free(media_id);
        return 1;
    }
    struct media *media = NULL;
    int status = 1, rc;
    if (list) {
        rc = db_media_list(db, print_row, NULL);
    } else {
        media = media_new(&cfg, db);
        if (!media) {
            fprintf(stderr, "relais: cannot open the media folder\n");
            goto out;
        }
        rc = del ? media_delete(media, server, media_id)
                 : media_quarantine(media, server, media_id, quarantine);
        if (rc == ERR_NOT_FOUND)
            fprintf(stderr, "relais: no media mxc://%s/%s\n", server, media_id);
        else if (!rc)
            printf("mxc://%s/%s %s\n", server, media_id,
                   del ? "deleted" : quarantine ? "quarantined" : "released");
    }
    if (rc && rc != ERR_NOT_FOUND)
        fprintf(stderr, "relais: %s\n", err_str(rc));
    status = rc ? 1 : 0;
out:
    media_free(media);
    if (db)
        db_close(db);
    config_fini(&cfg);
    free(server);
    free(media_id);
    return status;
}
