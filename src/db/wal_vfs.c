/* wal_vfs.c: the SQLite VFS relais opens its connections with: the default
 * (unix) VFS, except that a WAL file gathers SQLite's writes and hands them
 * to the kernel in one call.
 *
 * SQLite writes each WAL frame with two calls (its 24-byte header, then the
 * page), so a commit of ~50 frames was ~100 pwrite calls on the writer
 * thread, each entering the kernel and visiting the page cache. Here a write
 * that continues the pending bytes is appended to a buffer (one that lands
 * inside them is copied over them), and the buffer is written with one pwrite
 * before anything that needs the file as SQLite believes it is: a sync (so a
 * commit is written and then made durable, as before), a read, a size or
 * truncate call, a write elsewhere, the close, or DB_WAL_BUF_MAX bytes. An
 * error of that deferred write is returned by the call that flushed, which
 * for a commit is its sync: the commit fails as a failed write would fail it.
 * Other connections read only frames a commit has published in the
 * wal-index, which happens after that sync; this is why it needs
 * synchronous=FULL (sqlite.c): with NORMAL a commit publishes its frames
 * without a sync, before they are written. A file is used by one connection
 * (one thread) at a time, so the buffer needs no lock. Other files are the
 * default VFS's own, but for the database file (ckpt_pace.c). */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/mem.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

enum {
    DB_WAL_BUF_MAX = 1 << 20,      /* bytes gathered at most before they are written */
    DB_WAL_WRITE_MAX = 124 * 1024, /* bytes per write call (see wal_flush) */
};

/* A WAL file: our methods, then the default VFS's file (at real_offset()). */
struct wal_file {
    sqlite3_file base;      /* must be first: pMethods = &wal_methods */
    sqlite3_file *real;     /* the default VFS's file, inside this allocation */
    unsigned char *buf;     /* owned pending bytes, or NULL */
    sqlite3_int64 buf_off;  /* file offset of buf[0] */
    size_t buf_len;         /* pending bytes */
    size_t buf_cap;         /* allocated */
};

static sqlite3_vfs wal_vfs;  /* ours: the default VFS's calls with xOpen replaced */
static sqlite3_vfs *real_vfs; /* the default VFS */
static pthread_once_t wal_vfs_once = PTHREAD_ONCE_INIT;

/* Where the default VFS's file starts inside ours, for a WAL file
 * (struct wal_file) as for the database file (ckpt_pace.c). */
static size_t real_offset(void)
{
    size_t head = sizeof(struct wal_file);
    if (db__ckpt_pace_file_size() > head)
        head = db__ckpt_pace_file_size();
    return (head + 15) & ~(size_t)15;
}

/* Writes the pending bytes, in calls of at most DB_WAL_WRITE_MAX bytes: the
 * unix VFS writes at most 128 KiB - 1 per pwrite (it masks the length with
 * 0x1ffff) and reports a longer write as a full disk. */
static int wal_flush(struct wal_file *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->buf_len && rc == SQLITE_OK;) {
        size_t n = f->buf_len - done < DB_WAL_WRITE_MAX ? f->buf_len - done : DB_WAL_WRITE_MAX;
        rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
                                       f->buf_off + (sqlite3_int64)done);
        done += n;
    }
    f->buf_len = 0;
    return rc;
}

static int wal_close(sqlite3_file *file)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = wal_flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    f->buf_cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amount, offset);
}

static int wal_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    struct wal_file *f = (struct wal_file *)file;
    size_t n = (size_t)amount;
    sqlite3_int64 end = f->buf_off + (sqlite3_int64)f->buf_len;
    if (f->buf_len && offset >= f->buf_off && offset + amount <= end) { /* over pending bytes */
        memcpy(f->buf + (offset - f->buf_off), data, n);
        return SQLITE_OK;
    }
    if (!f->buf_len || offset != end || f->buf_len + n > DB_WAL_BUF_MAX) {
        int rc = wal_flush(f);
        if (rc != SQLITE_OK)
            return rc;
        if (n > DB_WAL_WRITE_MAX) /* SQLite writes a frame or a header at a time */
            return f->real->pMethods->xWrite(f->real, data, amount, offset);
        f->buf_off = offset;
    }
    if (f->buf_len + n > f->buf_cap) {
        size_t cap = f->buf_cap ? f->buf_cap : 64 * 1024;
        while (cap < f->buf_len + n)
            cap *= 2;
        f->buf = xrealloc(f->buf, cap);
        f->buf_cap = cap;
    }
    memcpy(f->buf + f->buf_len, data, n);
    f->buf_len += n;
    return SQLITE_OK;
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

/* The calls that do not touch the file's bytes go to the default VFS's file. */
static int wal_lock(sqlite3_file *file, int level)
{
    sqlite3_file *r = ((struct wal_file *)file)->real;
    return r->pMethods->xLock(r, level);
}

static int wal_unlock(sqlite3_file *file, int level)
{
    sqlite3_file *r = ((struct wal_file *)file)->real;
    return r->pMethods->xUnlock(r, level);
}

static int wal_check_reserved(sqlite3_file *file, int *out)
{
    sqlite3_file *r = ((struct wal_file *)file)->real;
    return r->pMethods->xCheckReservedLock(r, out);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
    struct wal_file *f = (struct wal_file *)file;
    int rc = wal_flush(f); /* some controls (size hints, persist-WAL) look at the file */
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wal_sector_size(sqlite3_file *file)
{
    sqlite3_file *r = ((struct wal_file *)file)->real;
    return r->pMethods->xSectorSize(r);
}

static int wal_device_characteristics(sqlite3_file *file)
{
    sqlite3_file *r = ((struct wal_file *)file)->real;
    return r->pMethods->xDeviceCharacteristics(r);
}

static const sqlite3_io_methods wal_methods = {
    .iVersion = 1, /* no shared memory or mmap: SQLite uses neither on a WAL file */
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
};

static int wal_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                    int *out_flags)
{
    (void)vfs;
    if (flags & SQLITE_OPEN_MAIN_DB)
        return db__ckpt_pace_open(real_vfs, real_offset(), name, file, flags, out_flags);
    if (!(flags & SQLITE_OPEN_WAL)) /* the default VFS's file fills ours */
        return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
    struct wal_file *f = (struct wal_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)file + real_offset());
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        f->base.pMethods = NULL; /* SQLite then does not call xClose */
        return rc;
    }
    f->base.pMethods = &wal_methods;
    return SQLITE_OK;
}

static void wal_vfs_init(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs)
        return;
    wal_vfs = *real_vfs;
    wal_vfs.zName = "relais-wal";
    wal_vfs.pNext = NULL;
    int size = (int)real_offset() + real_vfs->szOsFile;
    wal_vfs.szOsFile = size > real_vfs->szOsFile ? size : real_vfs->szOsFile;
    wal_vfs.xOpen = wal_open;
    if (sqlite3_vfs_register(&wal_vfs, 0) != SQLITE_OK)
        real_vfs = NULL;
}

const char *db__wal_vfs(void)
{
    pthread_once(&wal_vfs_once, wal_vfs_init);
    return real_vfs ? wal_vfs.zName : NULL;
}
