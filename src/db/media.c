/* media.c: the content repository's rows: media items and their cached
 * thumbnails (see db/media.h). */
#define LOG_MODULE "db"
#include "db/media.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

#define MEDIA_COLS                                                                                 \
    "server, media_id, content_type, upload_name, sha256, uploader, size, created_ts, "            \
    "expires_ts, quarantined"

void db_media_fini(struct db_media *m)
{
    free(m->server);
    free(m->media_id);
    free(m->content_type);
    free(m->upload_name);
    free(m->sha256);
    free(m->uploader);
    memset(m, 0, sizeof *m);
}

void db_media_thumb_fini(struct db_media_thumb *t)
{
    free(t->content_type);
    free(t->sha256);
    memset(t, 0, sizeof *t);
}

static void read_row(sqlite3_stmt *st, struct db_media *m)
{
    m->server = db__col_text(st, 0);
    m->media_id = db__col_text(st, 1);
    m->content_type = db__col_text(st, 2);
    m->upload_name = db__col_text(st, 3);
    m->sha256 = db__col_text(st, 4);
    m->uploader = db__col_text(st, 5);
    m->size = sqlite3_column_int64(st, 6);
    m->created_ts = sqlite3_column_int64(st, 7);
    m->expires_ts = sqlite3_column_int64(st, 8);
    m->quarantined = sqlite3_column_int(st, 9) != 0;
}

static int create_fn(struct db_conn *c, void *arg)
{
    const struct db_media *m = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT OR IGNORE INTO media (" MEDIA_COLS
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, m->server);
    db__bind_text(st, 2, m->media_id);
    db__bind_text(st, 3, m->content_type);
    db__bind_text(st, 4, m->upload_name);
    db__bind_text(st, 5, m->sha256);
    db__bind_text(st, 6, m->uploader);
    sqlite3_bind_int64(st, 7, m->size);
    sqlite3_bind_int64(st, 8, m->created_ts);
    sqlite3_bind_int64(st, 9, m->expires_ts);
    sqlite3_bind_int(st, 10, m->quarantined);
    if (db__step_done(c, st))
        return ERR_DB;
    return sqlite3_changes(c->sql) ? 0 : ERR_EXISTS;
}

int db_media_create(struct db *db, const struct db_media *m)
{
    return db__write(db, create_fn, (void *)m);
}

int db_media_get(struct db *db, const char *server, const char *media_id, struct db_media *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT " MEDIA_COLS " FROM media WHERE server = ? AND media_id = ?")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, server);
    db__bind_text(st, 2, media_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_row(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

struct complete_args {
    const char *server, *media_id, *content_type, *upload_name, *sha256; /* borrowed */
    int64_t size;                                                         /* bytes */
};

static int complete_fn(struct db_conn *c, void *arg)
{
    struct complete_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "SELECT sha256 IS NOT NULL FROM media "
                                   "WHERE server = ? AND media_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->server);
    db__bind_text(st, 2, a->media_id);
    int rc = sqlite3_step(st);
    int has = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return ERR_NOT_FOUND;
    if (rc != SQLITE_ROW)
        return ERR_DB;
    if (has)
        return ERR_EXISTS;
    st = db__stmt(c, "UPDATE media SET content_type = ?, upload_name = ?, size = ?, sha256 = ?, "
                     "expires_ts = 0 WHERE server = ? AND media_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->content_type);
    db__bind_text(st, 2, a->upload_name);
    sqlite3_bind_int64(st, 3, a->size);
    db__bind_text(st, 4, a->sha256);
    db__bind_text(st, 5, a->server);
    db__bind_text(st, 6, a->media_id);
    return db__step_done(c, st);
}

int db_media_complete(struct db *db, const char *server, const char *media_id,
                      const char *content_type, const char *upload_name, int64_t size,
                      const char *sha256)
{
    struct complete_args a = {server, media_id, content_type, upload_name, sha256, size};
    return db__write(db, complete_fn, &a);
}

int db_media_pending_count(struct db *db, const char *uploader, int64_t now_ms, int64_t *out)
{
    *out = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT count(*) FROM media WHERE uploader = ? AND "
                                       "sha256 IS NULL AND expires_ts > ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, uploader);
    sqlite3_bind_int64(st, 2, now_ms);
    return db__step_i64(st, out);
}

struct prune_args {
    const char *uploader; /* borrowed */
    int64_t now_ms;       /* reservations expired before this go */
};

static int prune_fn(struct db_conn *c, void *arg)
{
    struct prune_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM media WHERE uploader = ? AND sha256 IS NULL AND "
                                   "expires_ts < ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->uploader);
    sqlite3_bind_int64(st, 2, a->now_ms);
    return db__step_done(c, st);
}

int db_media_prune_pending(struct db *db, const char *uploader, int64_t now_ms)
{
    struct prune_args a = {uploader, now_ms};
    return db__write(db, prune_fn, &a);
}

struct quarantine_args {
    const char *server, *media_id; /* borrowed */
    bool on;                       /* new state */
};

static int quarantine_fn(struct db_conn *c, void *arg)
{
    struct quarantine_args *a = arg;
    sqlite3_stmt *st =
        db__stmt(c, "UPDATE media SET quarantined = ? WHERE server = ? AND media_id = ?");
    if (!st)
        return ERR_DB;
    sqlite3_bind_int(st, 1, a->on);
    db__bind_text(st, 2, a->server);
    db__bind_text(st, 3, a->media_id);
    if (db__step_done(c, st))
        return ERR_DB;
    return sqlite3_changes(c->sql) ? 0 : ERR_NOT_FOUND;
}

int db_media_set_quarantined(struct db *db, const char *server, const char *media_id, bool on)
{
    struct quarantine_args a = {server, media_id, on};
    return db__write(db, quarantine_fn, &a);
}

struct delete_args {
    const char *server, *media_id; /* borrowed */
    char **orphans;                /* result, NULL-ended */
    size_t n_orphans;
};

static void add_digest(struct delete_args *a, const char *sha)
{
    a->orphans = xrealloc(a->orphans, (a->n_orphans + 2) * sizeof *a->orphans);
    a->orphans[a->n_orphans++] = xstrdup(sha);
    a->orphans[a->n_orphans] = NULL;
}

static int delete_fn(struct db_conn *c, void *arg)
{
    struct delete_args *a = arg;
    /* The digests this item uses: its own and its thumbnails'. */
    sqlite3_stmt *st = db__stmt(c, "SELECT sha256 FROM media WHERE server = ?1 AND media_id = ?2 "
                                   "AND sha256 IS NOT NULL UNION SELECT sha256 FROM "
                                   "media_thumbnails WHERE server = ?1 AND media_id = ?2");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->server);
    db__bind_text(st, 2, a->media_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        add_digest(a, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ERR_DB;
    st = db__stmt(c, "DELETE FROM media WHERE server = ? AND media_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->server);
    db__bind_text(st, 2, a->media_id);
    if (db__step_done(c, st))
        return ERR_DB;
    if (!sqlite3_changes(c->sql))
        return ERR_NOT_FOUND;
    st = db__stmt(c, "DELETE FROM media_thumbnails WHERE server = ? AND media_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->server);
    db__bind_text(st, 2, a->media_id);
    if (db__step_done(c, st))
        return ERR_DB;
    /* Keep only the digests nothing else refers to. */
    size_t kept = 0;
    for (size_t i = 0; i < a->n_orphans; i++) {
        st = db__stmt(c, "SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?1) OR EXISTS "
                         "(SELECT 1 FROM media_thumbnails WHERE sha256 = ?1)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->orphans[i]);
        rc = sqlite3_step(st);
        int used = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
        sqlite3_reset(st);
        if (used)
            free(a->orphans[i]);
        else
            a->orphans[kept++] = a->orphans[i];
    }
    a->n_orphans = kept;
    if (a->orphans)
        a->orphans[kept] = NULL;
    return 0;
}

int db_media_delete(struct db *db, const char *server, const char *media_id, char ***orphans)
{
    struct delete_args a = {server, media_id, NULL, 0};
    int rc = db__write(db, delete_fn, &a);
    if (rc) {
        for (size_t i = 0; i < a.n_orphans; i++)
            free(a.orphans[i]);
        free(a.orphans);
        a.orphans = NULL;
    }
    if (!a.orphans)
        a.orphans = xcalloc(1, sizeof *a.orphans);
    *orphans = a.orphans;
    return rc;
}

int db_media_list(struct db *db, void (*fn)(const struct db_media *m, void *ctx), void *ctx)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT " MEDIA_COLS " FROM media ORDER BY created_ts DESC") : NULL;
    if (!st)
        return ERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_media m;
        read_row(st, &m);
        fn(&m, ctx);
        db_media_fini(&m);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_media_thumb_get(struct db *db, const char *server, const char *media_id, int width,
                       int height, const char *method, struct db_media_thumb *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT content_type, sha256, size FROM media_thumbnails WHERE "
                        "server = ? AND media_id = ? AND width = ? AND height = ? AND method = ?")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, server);
    db__bind_text(st, 2, media_id);
    sqlite3_bind_int(st, 3, width);
    sqlite3_bind_int(st, 4, height);
    db__bind_text(st, 5, method);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->content_type = db__col_text(st, 0);
        out->sha256 = db__col_text(st, 1);
        out->size = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

struct thumb_args {
    const char *server, *media_id, *method; /* borrowed */
    int width, height;                      /* requested size */
    const struct db_media_thumb *t;         /* borrowed */
};

static int thumb_put_fn(struct db_conn *c, void *arg)
{
    struct thumb_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT OR REPLACE INTO media_thumbnails (server, media_id, "
                                   "width, height, method, content_type, sha256, size) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->server);
    db__bind_text(st, 2, a->media_id);
    sqlite3_bind_int(st, 3, a->width);
    sqlite3_bind_int(st, 4, a->height);
    db__bind_text(st, 5, a->method);
    db__bind_text(st, 6, a->t->content_type);
    db__bind_text(st, 7, a->t->sha256);
    sqlite3_bind_int64(st, 8, a->t->size);
    return db__step_done(c, st);
}

int db_media_thumb_put(struct db *db, const char *server, const char *media_id, int width,
                       int height, const char *method, const struct db_media_thumb *t)
{
    struct thumb_args a = {server, media_id, method, width, height, t};
    return db__write(db, thumb_put_fn, &a);
}

int db_url_preview_get(struct db *db, const char *url, int64_t now_ms, char **og_json)
{
    *og_json = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT og FROM url_previews WHERE url = ? AND expires_ts > ?") : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, url);
    sqlite3_bind_int64(st, 2, now_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *og_json = db__col_text(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

struct preview_args {
    const char *url, *og;           /* borrowed */
    int64_t created_ts, expires_ts; /* ms since epoch */
};

static int preview_put_fn(struct db_conn *c, void *arg)
{
    struct preview_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM url_previews WHERE url IN (SELECT url FROM "
                                   "url_previews WHERE expires_ts < ? LIMIT 100)");
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, a->created_ts);
    if (db__step_done(c, st))
        return ERR_DB;
    st = db__stmt(c, "INSERT OR REPLACE INTO url_previews (url, og, created_ts, expires_ts) "
                     "VALUES (?, ?, ?, ?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->url);
    db__bind_text(st, 2, a->og);
    sqlite3_bind_int64(st, 3, a->created_ts);
    sqlite3_bind_int64(st, 4, a->expires_ts);
    return db__step_done(c, st);
}

int db_url_preview_put(struct db *db, const char *url, const char *og_json, int64_t created_ts,
                       int64_t expires_ts)
{
    struct preview_args a = {url, og_json, created_ts, expires_ts};
    return db__write(db, preview_put_fn, &a);
}
