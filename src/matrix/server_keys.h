/* server_keys.h: the server's own key document, GET /_matrix/key/v2/server.
 *
 * Spec: server-server API, "Publishing Keys". The body is
 *   {"server_name": ..., "valid_until_ts": <ms>, "verify_keys": {"ed25519:v": {"key": b64}},
 *    "old_verify_keys": {}, "signatures": {server_name: {"ed25519:v": b64}}}
 * signed with the same key it publishes. No I/O here. */
#ifndef RELAIS_MATRIX_SERVER_KEYS_H
#define RELAIS_MATRIX_SERVER_KEYS_H

#include <stdint.h>

#include <jansson.h>

#include "crypto/keyring.h"

/* Builds the signed key document for server_name and key (both borrowed),
 * valid until valid_until_ts (ms since the epoch). On success *out is a new
 * reference the caller owns (json_decref). Returns 0 or ERR_INVALID (empty
 * server name). */
int matrix_server_keys_build(const struct signing_key *key, const char *server_name,
                             int64_t valid_until_ts, json_t **out);

#endif
