/* user_directory.h: the candidates of a user directory search (users who
 * share a room with the searcher, are in public rooms, or every local user).
 * Part of src/db/ (SQL in user_directory.c); kept out of db.h because only
 * client/user_directory.c needs it. Spec: client-server "User directory". */
#ifndef RELAIS_DB_USER_DIRECTORY_H
#define RELAIS_DB_USER_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

struct db;

struct db_dir_user {
    char *user_id;      /* owned */
    char *displayname;  /* owned; NULL when none */
    char *avatar_url;   /* owned; NULL when none */
    bool shares_room;   /* joined to a room the searcher is joined to */
};

/* Calls fn for every candidate once: users joined to a room the searcher is
 * joined to (shares_room), users joined to a room whose join rule is public,
 * and, when all_local, every active local account. Deactivated accounts are
 * left out. Local users' names come from their profile, others' from their
 * member event. fn returns false to stop. */
int db_user_directory_scan(struct db *db, const char *searcher, bool all_local,
                           bool (*fn)(const struct db_dir_user *u, void *ctx), void *ctx);

#endif
