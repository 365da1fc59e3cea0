/* dbtest.h: what the storage tests of tests/unit/db/ share: a fresh database in a
 * temporary directory, removed again at the end of the test. */
#ifndef RELAIS_TESTS_DBTEST_H
#define RELAIS_TESTS_DBTEST_H

#include <stddef.h>

struct db;

/* Opens a new database in a new directory /tmp/relais-db-<tag>-XXXXXX (its path goes to
 * dir, dir_len bytes) with the log at warnings only (no migration chatter). Fails the test
 * when it cannot. The caller owns the result: dbtest_close it. */
struct db *dbtest_open(const char *tag, char *dir, size_t dir_len);
/* Closes db and removes its files and directory. */
void dbtest_close(struct db *db, const char *dir);

#endif
