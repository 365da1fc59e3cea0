/* parse.h: parsing untrusted JSON request bodies with bounds.
 *
 * jansson does the parsing; this layer adds what it lacks for a network
 * server: a nesting-depth limit checked before jansson recurses, and UTF-8
 * validation with a clear error. */
#ifndef RELAIS_JSON_PARSE_H
#define RELAIS_JSON_PARSE_H

#include <jansson.h>
#include <stddef.h>

/* Parses data[0..len) into *out (owned: json_decref). Returns 0, ERR_INVALID
 * for bytes that are not JSON (including invalid UTF-8), or ERR_TOO_LARGE
 * when objects/arrays nest deeper than max_depth. err (may be NULL) receives a
 * short message safe to show a client. */
int json_parse_bounded(const char *data, size_t len, size_t max_depth, json_t **out, char *err,
                       size_t err_len);

/* Returns the nesting depth of the JSON text (strings are skipped), without
 * validating it; stops counting past limit + 1. */
size_t json_nesting_depth(const char *data, size_t len, size_t limit);

#endif
