/* search.c: POST /search — full-text search of the room events the user may
 * see (the rooms they are in, and those they left up to their leave), by
 * rank or recency, with highlights, next_batch pagination and event context.
 * Spec: client-server "Server Side Search"; errors as Synapse. */
#define LOG_MODULE "search"
#include "client/conversation.h"

#include "base/err.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "db/db.h"
#include "db/search.h"
#include "push/queue.h"
#include "rooms/rooms.h"
#include "sync/notify.h"

#include <stdio.h>
#include <string.h>

enum {
    SEARCH_DEFAULT_LIMIT = 10,
    SEARCH_MAX_LIMIT = 100,
    SEARCH_CONTEXT_MAX = 100,
    SEARCH_PREFIX_MIN = 4,
    SEARCH_PREFIX_PAGES = 64,
};

/* Word characters of a search term: letters, digits (any non-ASCII byte
 * counts as a letter so accented words stay whole). */
static bool term_char(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The FTS5 query and the highlight words. Returns NULL when the term has no
 * word. A word of SEARCH_PREFIX_MIN characters or more also finds the longer
 * words it begins ("meet" finds "meeting"); a shorter one only itself: FTS5
 * merges the posting lists of every word a prefix begins, and those of a
 * very short prefix cover much of the index. For the same reason an ASCII
 * word that begins more than SEARCH_PREFIX_PAGES index pages' worth of
 * words (like "mot1" in a vocabulary of mot0..mot19999) is looked up as
 * itself only. */
static char *fts_query(struct server *srv, const char *term, json_t *highlights)
{
    struct buf q;
    buf_init(&q, 4096);
    const unsigned char *p = (const unsigned char *)term;
    while (*p) {
        while (*p && !term_char(*p))
            p++;
        const unsigned char *start = p;
        while (*p && term_char(*p))
            p++;
        if (p == start)
            continue;
        size_t len = (size_t)(p - start);
        char *word = xmalloc(len + 1);
        size_t chars = 0;
        bool ascii = true;
        for (size_t i = 0; i < len; i++) {
            word[i] = (char)(start[i] >= 'A' && start[i] <= 'Z' ? start[i] + 32 : start[i]);
            chars += (start[i] & 0xC0) != 0x80;
            ascii = ascii && start[i] < 0x80;
        }
        word[len] = '\0';
        bool prefix = chars >= SEARCH_PREFIX_MIN;
        int64_t pages = 0;
        if (prefix && ascii && db_search_prefix_pages(srv->db, word, &pages) == 0)
            prefix = pages <= SEARCH_PREFIX_PAGES;
        if (q.len)
            buf_append_char(&q, ' ');
        buf_append_char(&q, '"');
        buf_append(&q, start, len);
        buf_append_char(&q, '"');
        if (prefix)
            buf_append_char(&q, '*');
        json_array_append_new(highlights, json_string(word));
        free(word);
    }
    if (!q.len) {
        buf_fini(&q);
        return NULL;
    }
    return buf_steal(&q);
}

static bool in_list(const json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
        return true;
    return false;
}

/* {room_id: highest visible position} for the searcher, after the filter. */
static json_t *visible_rooms(struct server *srv, const char *user_id, const json_t *filter,
                             int *rc)
{
    json_t *rooms = json_object();
    struct db_membership *ms;
    size_t n;
    *rc = db_user_memberships(srv->db, user_id, &ms, &n);
    if (*rc)
        return rooms;
    json_t *only = json_object_get(filter, "rooms"), *not = json_object_get(filter, "not_rooms");
    for (size_t i = 0; i < n; i++) {
        if (json_is_array(only) && !in_list(only, ms[i].room_id))
            continue;
        if (json_is_array(not) && in_list(not, ms[i].room_id))
            continue;
        const char *m = ms[i].membership;
        if (strcmp(m, "join") == 0)
            json_object_set_new(rooms, ms[i].room_id, json_integer(DB_SEARCH_UNBOUNDED));
        else if (strcmp(m, "leave") == 0 || strcmp(m, "ban") == 0)
            json_object_set_new(rooms, ms[i].room_id, json_integer(ms[i].pos));
    }
    db_memberships_free(ms, n);
    return rooms;
}

static json_t *context_of(struct server *srv, const char *user_id, const struct db_event *e,
                          int64_t before, int64_t after, int64_t max_pos)
{
    json_t *b = json_array(), *a = json_array();
    struct db_event *evs;
    size_t n;
    if (before > 0 && db_events_range(srv->db, e->room_id, 0, e->pos - 1, false, (size_t)before,
                                      &evs, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (rooms_event_visible(srv, e->room_id, evs[i].pos, user_id))
                json_array_append_new(b, rooms_event_client_format(srv, &evs[i], user_id, NULL));
        db_events_free(evs, n);
    }
    if (after > 0 && db_events_range(srv->db, e->room_id, e->pos, max_pos, true, (size_t)after,
                                     &evs, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (rooms_event_visible(srv, e->room_id, evs[i].pos, user_id))
                json_array_append_new(a, rooms_event_client_format(srv, &evs[i], user_id, NULL));
        db_events_free(evs, n);
    }
    char start[32], end[32];
    snprintf(start, sizeof start, "t%lld", (long long)(e->pos - 1 - before));
    snprintf(end, sizeof end, "t%lld", (long long)(e->pos + after));
    return json_pack("{s:o, s:o, s:s, s:s, s:{}}", "events_before", b, "events_after", a, "start",
                     start, "end", end, "profile_info");
}

static bool context_limit(struct http_reply *rep, const json_t *ctx, const char *key,
                          int64_t *out)
{
    json_t *v = json_object_get(ctx, key);
    *out = 5;
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'%s' must be a non-negative integer", key);
        return false;
    }
    *out = json_integer_value(v) > SEARCH_CONTEXT_MAX ? SEARCH_CONTEXT_MAX : json_integer_value(v);
    return true;
}

void client_search(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *cat = json_object_get(json_object_get(req->json, "search_categories"), "room_events");
    const char *term = json_string_value(json_object_get(cat, "search_term"));
    if (!json_is_object(cat) || !term) {
        http_reply_error(rep, 400, "M_UNKNOWN", "Invalid search query");
        return;
    }
    json_t *ob = json_object_get(cat, "order_by");
    const char *order = ob ? json_string_value(ob) : "rank";
    if (!order || (strcmp(order, "rank") != 0 && strcmp(order, "recent") != 0)) {
        http_reply_error(rep, 400, "M_UNKNOWN", "Invalid order by");
        return;
    }
    json_t *filter = json_object_get(cat, "filter");
    if (filter && !json_is_object(filter)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'filter' must be an object");
        return;
    }
    int64_t limit = SEARCH_DEFAULT_LIMIT;
    json_t *lim = json_object_get(filter, "limit");
    if (lim) {
        if (!json_is_integer(lim) || json_integer_value(lim) < 1) {
            http_reply_error(rep, 400, "M_BAD_JSON", "'limit' must be a positive integer");
            return;
        }
        limit = json_integer_value(lim) > SEARCH_MAX_LIMIT ? SEARCH_MAX_LIMIT
                                                           : json_integer_value(lim);
    }
    json_t *ctx = json_object_get(cat, "event_context");
    int64_t before = 0, after = 0;
    if (ctx && (!context_limit(rep, ctx, "before_limit", &before) ||
                !context_limit(rep, ctx, "after_limit", &after)))
        return;
    int64_t offset = 0;
    const char *nb = http_query(req, "next_batch");
    if (nb && str_to_i64(nb, strlen(nb), 0, INT64_MAX, &offset) != 0) {
        http_reply_error(rep, 400, "M_UNKNOWN", "Invalid next_batch");
        return;
    }
    json_t *highlights = json_array();
    char *query = fts_query(srv, term, highlights);
    int64_t now = notifier_position(srv->notifier, NOTIFY_EVENTS);
    push_wait_processed(now, 2000); /* the index is written by the push worker */
    int rc = 0;
    json_t *rooms = visible_rooms(srv, req->user_id, filter, &rc);
    struct db_search_hit *hits = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (!rc && query) {
        char *rooms_text = json_dumps(rooms, JSON_COMPACT);
        rc = db_search(srv->db, query, rooms_text, strcmp(order, "rank") == 0, offset,
                       (size_t)limit, &hits, &n, &total);
        free(rooms_text);
    }
    free(query);
    if (rc) {
        json_decref(rooms);
        json_decref(highlights);
        client_internal_error(rep, rc);
        return;
    }
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        struct db_event *one;
        size_t got;
        if (db_events_range(srv->db, hits[i].room_id, hits[i].pos - 1, hits[i].pos, true, 1, &one,
                            &got) != 0 || !got) {
            continue;
        }
        const struct db_event e = one[0];
        if (rooms_event_visible(srv, e.room_id, e.pos, req->user_id)) {
            json_t *r = json_pack("{s:f, s:o}", "rank", hits[i].rank, "result",
                                  rooms_event_client_format(srv, &e, req->user_id, NULL));
            if (ctx) {
                int64_t max_pos = json_integer_value(json_object_get(rooms, e.room_id));
                json_object_set_new(r, "context",
                                    context_of(srv, req->user_id, &e, before, after, max_pos));
            }
            json_array_append_new(results, r);
        }
        db_events_free(one, got);
    }
    json_t *body = json_pack("{s:I, s:o, s:o}", "count", (json_int_t)total, "highlights",
                             highlights, "results", results);
    if (n && offset + (int64_t)n < total) {
        char next[32];
        snprintf(next, sizeof next, "%lld", (long long)(offset + (int64_t)n));
        json_object_set_new(body, "next_batch", json_string(next));
    }
    db_search_hits_free(hits, n);
    json_decref(rooms);
    http_reply_json(rep, 200, json_pack("{s:{s:o}}", "search_categories", "room_events", body));
}
