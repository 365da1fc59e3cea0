/* parse.c: bounded JSON parsing for request bodies (see parse.h). */
#include "json/parse.h"

#include "base/err.h"
#include "base/str.h"

#include <stdio.h>

size_t json_nesting_depth(const char *data, size_t len, size_t limit)
{
    size_t depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
            if (depth > max) {
                max = depth;
                if (max > limit)
                    return max;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return max;
}

int json_parse_bounded(const char *data, size_t len, size_t max_depth, json_t **out, char *err,
                       size_t err_len)
{
    *out = NULL;
    if (!str_utf8_valid(data, len)) {
        if (err)
            snprintf(err, err_len, "Content not valid UTF-8");
        return ERR_INVALID;
    }
    if (json_nesting_depth(data, len, max_depth) > max_depth) {
        if (err)
            snprintf(err, err_len, "JSON nested deeper than %zu levels", max_depth);
        return ERR_TOO_LARGE;
    }
    json_error_t jerr;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        if (err)
            snprintf(err, err_len, "Content not JSON: %s at line %d column %d", jerr.text,
                     jerr.line, jerr.column);
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}
