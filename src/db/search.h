/* search.h: the full-text index of room events (SQLite FTS5, unicode61 with
 * remove_diacritics 2: "reunion" finds "réunion", case and accents folded)
 * for POST /search. SQL in db/search.c. */
#ifndef RELAIS_DB_SEARCH_H
#define RELAIS_DB_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct db_search_doc {
    int64_t pos;         /* the event's stream position */
    const char *room_id; /* borrowed */
    const char *text;    /* borrowed: body, name or topic */
};

/* Indexes documents (one transaction). */
int db_search_add(struct db *db, const struct db_search_doc *docs, size_t n);

/* Removes an event from the index (it was redacted). */
int db_search_delete(struct db *db, int64_t pos);

struct db_search_segments {
    int count;       /* segments */
    int64_t largest; /* leaf pages of the largest */
    int64_t pages;   /* leaf pages of all */
};

/* The index's segments (read from FTS5's %_idx shadow table). */
int db_search_segments(struct db *db, struct db_search_segments *s);

/* One bounded step (one write transaction) of keeping the index merged, for
 * the index's writer to call when it is idle: a full merge into one segment
 * once the segments beside the largest add up to an eighth of it, run over
 * as many steps as it takes (*full, kept by the caller between steps, false
 * at first, says one is under way), otherwise only FTS5's own level merges
 * finished. *more: call again (there is work left). */
int db_search_merge_step(struct db *db, bool *full, bool *more);

struct db_search_hit {
    int64_t pos;    /* the event's stream position */
    char *room_id;  /* owned */
    double rank;    /* higher is better */
};

/* A room whose visible events are not bounded (the searcher is joined). */
#define DB_SEARCH_UNBOUNDED (INT64_MAX / 2)

/* Events matching the FTS5 query (the body words) in the rooms of `rooms` (a
 * JSON object room ID -> the highest stream position the searcher may see,
 * DB_SEARCH_UNBOUNDED for all), ordered by rank or by recency, skipping
 * `offset`, at most limit. By rank, the newest 200 matches (50 for a query
 * of several words: one quoted phrase per word) are ordered by score and
 * older ones follow by recency. *total is exact up to that many matches (and
 * offset + limit), beyond it estimated. */
int db_search(struct db *db, const char *fts_query, const char *rooms_json, bool by_rank,
              int64_t offset, size_t limit, struct db_search_hit **out, size_t *n, int64_t *total);
void db_search_hits_free(struct db_search_hit *h, size_t n);

/* How many leaf pages of the index begin with a word that starts with
 * `prefix` (lower-case ASCII, as the tokenizer folds it): about what a
 * prefix query would have to merge. Read from FTS5's %_idx shadow table (one
 * row per leaf page, keyed by the index's '0' byte and the page's first
 * word); an index laid out otherwise reads as 0 pages. */
int db_search_prefix_pages(struct db *db, const char *prefix, int64_t *pages);

#endif
