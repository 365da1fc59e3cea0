/* token.c: sync and pagination tokens (see sync.h). */
#include "sync/sync.h"

#include "base/err.h"
#include "base/str.h"

#include <stdio.h>
#include <string.h>

int sync_token_parse(const char *text, struct sync_token *out)
{
    memset(out, 0, sizeof *out);
    if (!text || text[0] != 's')
        return ERR_INVALID;
    /* One to NOTIFY_N_STREAMS numbers separated by '_'; absent trailing
     * streams (older tokens) are 0. Empty fields and extra fields are refused. */
    const char *p = text + 1;
    for (int i = 0;; i++) {
        if (i == NOTIFY_N_STREAMS)
            return ERR_INVALID;
        size_t len = strcspn(p, "_");
        if (str_to_i64(p, len, 0, INT64_MAX, &out->pos[i]))
            return ERR_INVALID;
        p += len;
        if (*p == '\0')
            return 0;
        p++; /* the '_' */
    }
}

void sync_token_format(const struct sync_token *t, char *out, size_t len)
{
    int n = snprintf(out, len, "s%lld", (long long)t->pos[0]);
    for (int i = 1; i < NOTIFY_N_STREAMS && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, "_%lld", (long long)t->pos[i]);
}

int sync_pagination_parse(const char *text, int64_t *pos)
{
    if (!text)
        return ERR_INVALID;
    if (text[0] == 't')
        return str_to_i64(text + 1, strlen(text + 1), 0, INT64_MAX, pos) ? ERR_INVALID : 0;
    struct sync_token t;
    if (sync_token_parse(text, &t))
        return ERR_INVALID;
    *pos = t.pos[NOTIFY_EVENTS];
    return 0;
}
