/* dbtest.c: the temporary databases of the storage tests (see dbtest.h). */
#include "unit/db/dbtest.h"

#include "harness.h"

#include "base/log.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct db *dbtest_open(const char *tag, char *dir, size_t dir_len)
{
    log_set_level(LOG_LEVEL_WARN);
    snprintf(dir, dir_len, "/tmp/relais-db-%s-XXXXXX", tag);
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    char path[256], err[200];
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    struct db *db = NULL;
    ASSERT_INT_EQ(db_open(path, &db, err, sizeof err), 0);
    return db;
}

void dbtest_close(struct db *db, const char *dir)
{
    db_close(db);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/db.sqlite%s", dir, suffixes[i]);
        unlink(path);
    }
    rmdir(dir);
}
