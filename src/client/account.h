/* account.h: account rules shared by login, registration, UIA and the admin
 * commands: user ID rules, password policy and hashing, creating accounts. */
#ifndef RELAIS_CLIENT_ACCOUNT_H
#define RELAIS_CLIENT_ACCOUNT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct server;
struct db;
struct config;

/* The user named by a login/UIA body: identifier {type: m.id.user, user} or
 * the legacy top-level "user"; a localpart or a full ID; matched
 * case-insensitively against existing accounts. Owned result, NULL if none. */
char *client_account_identifier_user(struct server *srv, json_t *body);

/* True when the password matches the stored argon2id hash. */
bool client_account_password_matches(const char *hash, const char *password);

/* Checks a new localpart against the spec's rules for new user IDs
 * ([a-z0-9._=/+-], and the whole ID ≤ 255 bytes). */
bool client_account_localpart_valid(const char *localpart, const char *server_name);

/* Creates an account with an argon2id-hashed password (NULL: no password).
 * Returns 0, ERR_EXISTS, ERR_INVALID (bad localpart) or ERR_DB. The full
 * user ID is written to user_id (owned). */
int client_account_create(struct db *db, const struct config *cfg, const char *localpart,
                          const char *password, bool is_admin, char **user_id);

/* Applies the configured argon2id cost (call once at start). */
void client_account_configure(const struct config *cfg);

#endif
