/* user_directory.c: POST /user_directory/search — finds users by part of
 * their display name or user ID, case- and accent-insensitively ("muller"
 * finds "Müller"), among the users who share a room with the searcher or
 * are in a public room, or among every local user when [user_directory]
 * search_all_users = 1. Results: users sharing a room first, then those with
 * a display name, then by name. Spec: client-server "User directory". */
#define LOG_MODULE "user_directory"
#include "client/conversation.h"

#include "base/buf.h"
#include "base/mem.h"
#include "config/config.h"
#include "db/user_directory.h"

#include <stdlib.h>
#include <string.h>

/* As Synapse: 10 results when absent, at most 50. */
enum { DIR_DEFAULT_LIMIT = 10, DIR_MAX_LIMIT = 50, DIR_MAX_TERMS = 16 };

/* ASCII folding of U+00C0..U+00FF; '*' keeps the character, 'A' is "ae",
 * 'T' is "th", 'S' is "ss". */
static const char latin1_fold[] = "aaaaaaAceeeeiiiidnooooo*ouuuuyTS"
                                  "aaaaaaAceeeeiiiidnooooo*ouuuuyTy";
/* Folding of U+0100..U+017F (Latin Extended-A); 'O' is "oe". */
static const char latin_ext_a_fold[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkk"
                                       "llllllllllnnnnnnnnnooooooOOrrrrrrssssssssttttttuuuuuuuuuu"
                                       "uuwwyyyzzzzzzs";
_Static_assert(sizeof latin1_fold == 65, "64 Latin-1 letters");
_Static_assert(sizeof latin_ext_a_fold == 129, "128 Latin Extended-A letters");

static void put_utf8(struct buf *b, unsigned cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, s, n);
}

static void put_folded_letter(struct buf *b, char f, unsigned cp)
{
    switch (f) {
    case '*': put_utf8(b, cp); break;
    case 'A': buf_append(b, "ae", 2); break;
    case 'T': buf_append(b, "th", 2); break;
    case 'S': buf_append(b, "ss", 2); break;
    case 'O': buf_append(b, "oe", 2); break;
    default: buf_append(b, &f, 1); break;
    }
}

/* Appends s lower-cased with Latin accents removed (ß -> ss, æ -> ae);
 * Greek and Cyrillic capitals are lower-cased; anything else is kept. */
static void fold(struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        size_t n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            cp = ((*p & 0x1Fu) << 6) | (p[1] & 0x3Fu);
            n = 2;
        } else if ((*p & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
            cp = ((*p & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
            n = 3;
        } else {
            buf_append(b, (const char *)p, 1); /* kept as it is */
            p++;
            continue;
        }
        p += n;
        if (cp >= 'A' && cp <= 'Z')
            cp += 32;
        if (cp >= 0xC0 && cp <= 0xFF)
            put_folded_letter(b, latin1_fold[cp - 0xC0], cp);
        else if (cp >= 0x100 && cp <= 0x17F)
            put_folded_letter(b, latin_ext_a_fold[cp - 0x100], cp);
        else if ((cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F))
            put_utf8(b, cp + 32);
        else if (cp >= 0x400 && cp <= 0x40F)
            put_utf8(b, cp + 80);
        else
            put_utf8(b, cp);
    }
}

struct dir_hit {
    char *user_id;     /* owned */
    char *displayname; /* owned; NULL when none */
    char *avatar_url;  /* owned; NULL when none */
    char *sort_key;    /* owned: folded display name or user ID */
    bool shares_room;  /* ranked first */
};

struct dir_search {
    char *terms[DIR_MAX_TERMS]; /* owned folded words, all must appear */
    size_t n_terms;             /* used */
    struct dir_hit *hits;       /* owned; the best ones (trimmed as they come) */
    size_t n_hits, cap_hits;    /* used and allocated */
    size_t limit;               /* results wanted */
    size_t n_matched;           /* every match, for "limited" */
    struct buf hay;             /* scratch: a candidate's folded name and ID */
};

static int hit_cmp(const void *a, const void *b)
{
    const struct dir_hit *x = a, *y = b;
    if (x->shares_room != y->shares_room)
        return x->shares_room ? -1 : 1;
    bool xn = x->displayname && *x->displayname, yn = y->displayname && *y->displayname;
    if (xn != yn)
        return xn ? -1 : 1;
    int c = strcmp(x->sort_key, y->sort_key);
    return c ? c : strcmp(x->user_id, y->user_id);
}

static void hit_free(struct dir_hit *h)
{
    free(h->user_id);
    free(h->displayname);
    free(h->avatar_url);
    free(h->sort_key);
}

/* Keeps only the best s->limit hits (many matches stay cheap in memory). */
static void trim_hits(struct dir_search *s)
{
    if (s->n_hits <= s->limit)
        return;
    qsort(s->hits, s->n_hits, sizeof *s->hits, hit_cmp);
    for (size_t i = s->limit; i < s->n_hits; i++)
        hit_free(&s->hits[i]);
    s->n_hits = s->limit;
}

static bool dir_match(const struct db_dir_user *u, void *ctx)
{
    struct dir_search *s = ctx;
    buf_reset(&s->hay);
    fold(&s->hay, u->displayname ? u->displayname : "");
    buf_append(&s->hay, "\n", 1);
    fold(&s->hay, u->user_id);
    const char *text = buf_cstr(&s->hay);
    bool ok = true;
    for (size_t i = 0; i < s->n_terms && ok; i++)
        ok = strstr(text, s->terms[i]) != NULL;
    if (ok) {
        s->n_matched++;
        if (s->n_hits >= 4 * s->limit + 64)
            trim_hits(s);
        if (s->n_hits == s->cap_hits) {
            s->cap_hits = s->cap_hits ? s->cap_hits * 2 : 16;
            s->hits = xrealloc(s->hits, s->cap_hits * sizeof *s->hits);
        }
        struct buf key;
        buf_init(&key, 65536);
        fold(&key, u->displayname && *u->displayname ? u->displayname : u->user_id + 1);
        s->hits[s->n_hits++] = (struct dir_hit){
            xstrdup(u->user_id), u->displayname ? xstrdup(u->displayname) : NULL,
            u->avatar_url ? xstrdup(u->avatar_url) : NULL, buf_steal(&key), u->shares_room};
    }
    return true;
}

/* Splits the folded term at spaces into s->terms (at most DIR_MAX_TERMS). */
static void split_terms(struct dir_search *s, const char *term)
{
    struct buf f;
    buf_init(&f, 65536);
    fold(&f, term);
    const char *p = buf_cstr(&f);
    while (*p && s->n_terms < DIR_MAX_TERMS) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        size_t len = strcspn(p, " \t\n");
        if (len)
            s->terms[s->n_terms++] = xstrndup(p, len);
        p += len;
    }
    buf_fini(&f);
}

void client_user_directory_search(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *term;
    if (!client_req_string(rep, req->json, "search_term", &term))
        return;
    int64_t limit = DIR_DEFAULT_LIMIT;
    json_t *l = json_object_get(req->json, "limit");
    if (l && !json_is_null(l)) {
        if (!json_is_integer(l)) {
            http_reply_error(rep, 400, "M_BAD_JSON", "'limit' must be an integer");
            return;
        }
        limit = json_integer_value(l);
        if (limit < 0) {
            http_reply_error(rep, 400, "M_INVALID_PARAM", "'limit' must not be negative");
            return;
        }
        if (limit > DIR_MAX_LIMIT)
            limit = DIR_MAX_LIMIT;
    }
    struct dir_search s = {.limit = (size_t)limit};
    buf_init(&s.hay, 65536);
    split_terms(&s, term);
    int rc = 0;
    if (s.n_terms > 0)
        rc = db_user_directory_scan(srv->db, req->user_id, srv->cfg->user_directory_search_all != 0,
                                    dir_match, &s);
    if (rc != 0) {
        client_internal_error(rep, rc);
        goto done;
    }
    trim_hits(&s);
    if (s.n_hits > 1) /* qsort with a NULL array is undefined even for 0 items */
        qsort(s.hits, s.n_hits, sizeof *s.hits, hit_cmp);
    json_t *results = json_array();
    for (size_t i = 0; i < s.n_hits; i++) {
        json_t *r = json_pack("{s:s}", "user_id", s.hits[i].user_id);
        if (s.hits[i].displayname)
            json_object_set_new(r, "display_name", json_string(s.hits[i].displayname));
        if (s.hits[i].avatar_url)
            json_object_set_new(r, "avatar_url", json_string(s.hits[i].avatar_url));
        json_array_append_new(results, r);
    }
    http_reply_json(rep, 200,
                    json_pack("{s:o,s:b}", "results", results, "limited", s.n_matched > s.limit));
done:
    for (size_t i = 0; i < s.n_terms; i++)
        free(s.terms[i]);
    for (size_t i = 0; i < s.n_hits; i++)
        hit_free(&s.hits[i]);
    free(s.hits);
    buf_fini(&s.hay);
}
