/* store_test.c: the content repository below HTTP (src/media/ with db/media.c):
 * files are named by the sha256 of their bytes (the FIPS 180-2 example digest
 * of "abc"), identical uploads share one file that goes only with its last
 * user, quarantine hides an item, and async uploads follow the spec's rules
 * (only the reserving user, only once). */
#include "harness.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "crypto/random.h"
#include "db/db.h"
#include "media/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

static const char abc_path[] =
    "/media/ba/78/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static const struct media_content abc = {.data = "abc", .fd = -1, .len = 3};
static const struct media_content x = {.data = "x", .fd = -1, .len = 1};

struct fixture {
    char dir[64];       /* temporary data folder */
    struct config cfg;  /* defaults with data_dir and server_name set */
    struct db *db;      /* open on dir */
    struct media *media;
};

static void fixture_open(struct fixture *f)
{
    log_set_level(LOG_LEVEL_WARN);
    ASSERT_INT_EQ(crypto_init(), 0);
    snprintf(f->dir, sizeof f->dir, "/tmp/relais-media-XXXXXX");
    ASSERT_TRUE(mkdtemp(f->dir) != NULL);
    config_init_defaults(&f->cfg);
    free(f->cfg.data_dir);
    f->cfg.data_dir = xstrdup(f->dir);
    free(f->cfg.server_name);
    f->cfg.server_name = xstrdup("example.org");
    char path[128], err[200];
    snprintf(path, sizeof path, "%s/db.sqlite", f->dir);
    ASSERT_INT_EQ(db_open(path, &f->db, err, sizeof err), 0);
    f->media = media_new(&f->cfg, f->db);
    ASSERT_TRUE(f->media != NULL);
}

static void fixture_close(struct fixture *f)
{
    media_free(f->media);
    db_close(f->db);
    config_fini(&f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    ASSERT_INT_EQ(system(cmd), 0);
}

static bool exists(const struct fixture *f, const char *rel)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", f->dir, rel);
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads a media item's bytes back through media_open. */
static void expect_content(struct fixture *f, const char *id, const char *want, const char *type)
{
    struct media_file mf;
    ASSERT_INT_EQ(media_open(f->media, "example.org", id, &mf), 0);
    char got[64] = {0};
    ASSERT_INT_EQ(mf.size, strlen(want));
    ASSERT_INT_EQ(read(mf.fd, got, sizeof got - 1), (long long)strlen(want));
    ASSERT_STR_EQ(got, want);
    ASSERT_STR_EQ(mf.content_type, type);
    media_file_fini(&mf);
}

TEST_CASE(media, store_content_addressed_shared_files)
{
    struct fixture f;
    fixture_open(&f);
    char *a, *b;
    ASSERT_INT_EQ(media_upload(f.media, "@u:example.org", "text/plain", "a.txt", &abc, &a), 0);
    ASSERT_INT_EQ(media_upload(f.media, "@v:example.org", "application/x-abc", NULL, &abc, &b),
                  0);
    ASSERT_INT_EQ(strlen(a), MEDIA_ID_LEN);
    ASSERT_TRUE(strcmp(a, b) != 0);
    ASSERT_TRUE(exists(&f, abc_path));
    expect_content(&f, a, "abc", "text/plain");
    expect_content(&f, b, "abc", "application/x-abc");
    struct media_file mf;
    ASSERT_INT_EQ(media_open(f.media, "other.org", a, &mf), ERR_NOT_FOUND);
    ASSERT_INT_EQ(media_open(f.media, "example.org", "nosuchid", &mf), ERR_NOT_FOUND);
    /* quarantine hides, release shows again */
    ASSERT_INT_EQ(media_quarantine(f.media, "example.org", a, true), 0);
    ASSERT_INT_EQ(media_open(f.media, "example.org", a, &mf), ERR_NOT_FOUND);
    ASSERT_INT_EQ(media_quarantine(f.media, "example.org", a, false), 0);
    expect_content(&f, a, "abc", "text/plain");
    /* the shared file goes with its last user */
    ASSERT_INT_EQ(media_delete(f.media, "example.org", a), 0);
    ASSERT_TRUE(exists(&f, abc_path));
    expect_content(&f, b, "abc", "application/x-abc");
    ASSERT_INT_EQ(media_delete(f.media, "example.org", b), 0);
    ASSERT_TRUE(!exists(&f, abc_path));
    ASSERT_INT_EQ(media_delete(f.media, "example.org", b), ERR_NOT_FOUND);
    free(a);
    free(b);
    fixture_close(&f);
}

TEST_CASE(media, async_upload_rules)
{
    struct fixture f;
    fixture_open(&f);
    char *id;
    int64_t expires;
    ASSERT_INT_EQ(media_create_pending(f.media, "@u:example.org", &id, &expires), 0);
    ASSERT_TRUE(expires > 0);
    struct media_file mf;
    ASSERT_INT_EQ(media_open(f.media, "example.org", id, &mf), ERR_TRUNCATED);
    ASSERT_INT_EQ(media_upload_pending(f.media, "@v:example.org", id, "text/plain", NULL, &x),
                  ERR_FORBIDDEN);
    ASSERT_INT_EQ(media_upload_pending(f.media, "@u:example.org", id, "text/plain", NULL, &abc),
                  0);
    expect_content(&f, id, "abc", "text/plain");
    ASSERT_INT_EQ(media_upload_pending(f.media, "@u:example.org", id, "text/plain", NULL, &x),
                  ERR_EXISTS);
    ASSERT_INT_EQ(media_upload_pending(f.media, "@u:example.org", "nosuchid", "text/plain", NULL,
                                       &x),
                  ERR_NOT_FOUND);
    /* a user may hold only so many reservations */
    for (int i = 1; i < MEDIA_PENDING_MAX; i++) {
        char *more;
        ASSERT_INT_EQ(media_create_pending(f.media, "@w:example.org", &more, &expires), 0);
        free(more);
    }
    char *more;
    ASSERT_INT_EQ(media_create_pending(f.media, "@w:example.org", &more, &expires), 0);
    free(more);
    ASSERT_INT_EQ(media_create_pending(f.media, "@w:example.org", &more, &expires), ERR_LIMIT);
    free(id);
    fixture_close(&f);
}

TEST_CASE(media, store_from_spooled_and_plain_files)
{
    struct fixture f;
    fixture_open(&f);
    /* an unlinked temporary file (as the http layer spools bodies) is linked in */
    int fd = open(media_spool_dir(f.media), O_TMPFILE | O_RDWR, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(write(fd, "abc", 3), 3);
    struct media_content c = {.fd = fd, .len = 3};
    char *a;
    ASSERT_INT_EQ(media_upload(f.media, "@u:example.org", "text/plain", NULL, &c, &a), 0);
    close(fd);
    ASSERT_TRUE(exists(&f, abc_path));
    expect_content(&f, a, "abc", "text/plain");
    /* an ordinary file, longer than the upload: only len bytes, copied */
    char path[128];
    snprintf(path, sizeof path, "%s/plain", f.dir);
    fd = open(path, O_CREAT | O_RDWR, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(write(fd, "hello world", 11), 11);
    c = (struct media_content){.fd = fd, .len = 5};
    char *b;
    ASSERT_INT_EQ(media_upload(f.media, "@u:example.org", "text/plain", NULL, &c, &b), 0);
    close(fd);
    expect_content(&f, b, "hello", "text/plain");
    /* sha256("hello"), a well-known digest */
    ASSERT_TRUE(exists(&f, "/media/2c/f2/"
                           "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    free(a);
    free(b);
    fixture_close(&f);
}
