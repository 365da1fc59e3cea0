/* ckpt_pace.c: the database file as the relais VFS opens it (wal_vfs.c): the
 * default VFS's file, except that a background checkpoint's writes are handed
 * to the disk in steps instead of one burst at its final fsync.
 *
 * Why: the disk here (a virtual disk with a write-back cache) makes a flush
 * wait for the data written before it. A checkpoint copies ~2 MB of pages
 * into the database file's page cache and fsyncs it: that burst reached the
 * device at once, and the WAL fdatasync of the next commit, which a client's
 * send waits for, queued behind it. bench/chat/fsync_probe.py-style runs with
 * no server: 100 MB/s written in 75 ms bursts stalled a small fdatasync up to
 * 113 ms, the same 100 MB/s written 100 KB at a time at most 10 ms. So, on the
 * checkpointer's thread only (db__ckpt_pace_thread), every DB_CKPT_STEP_BYTES
 * written to the database file are started and waited for with
 * sync_file_range (Linux; written to the device, not flushed: no extra device
 * flush, the next commit's flush carries them). Writing part of a checkpoint
 * early changes nothing SQLite relies on: the WAL keeps every page until the
 * checkpoint's own fsync. The writer's checkpoint at the WAL's wrap-around is
 * not paced (every send waits for it; it copies at most 256 pages). */
#define LOG_MODULE "db"
#include "db/internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

enum {
    DB_CKPT_STEP_BYTES = 128 * 1024, /* database bytes written per step */
};

/* A database file: our methods, then the default VFS's file (real). */
struct paced_file {
    sqlite3_file base;  /* must be first: pMethods = &paced_methods */
    sqlite3_file *real; /* the default VFS's file, inside this allocation */
    int fd;             /* the default VFS's descriptor (not ours to close); -1: no pacing */
    size_t unwritten;   /* bytes the checkpointer wrote since the last step */
};

static _Thread_local bool pace_this_thread;
static _Atomic unsigned long pace_steps; /* steps taken, for tests */

unsigned long db__ckpt_pace_steps(void)
{
    return pace_steps;
}

void db__ckpt_pace_thread(bool on)
{
    pace_this_thread = on;
}

size_t db__ckpt_pace_file_size(void)
{
    return sizeof(struct paced_file);
}

static sqlite3_file *real_of(sqlite3_file *file)
{
    return ((struct paced_file *)file)->real;
}

static int paced_close(sqlite3_file *file)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xClose(r);
}

/* The unix VFS's descriptor of the file. Not our own descriptor: closing any
 * descriptor of a file drops every POSIX lock this process holds on it, the
 * other connections' included. SQLite does not export it; its unixFile has
 * begun with (methods, vfs, inode info, descriptor) since 3.6. The guess is
 * taken only if that descriptor is the named file itself; else no pacing. */
static int real_fd(sqlite3_file *real, const char *name)
{
    struct unix_file_head {
        const sqlite3_io_methods *methods; /* pMethod */
        sqlite3_vfs *vfs;                  /* pVfs */
        void *inode;                       /* pInode */
        int fd;                            /* h */
    } head;
    memcpy(&head, real, sizeof head);
    struct stat by_fd, by_name;
    if (!name || head.fd < 0 || fstat(head.fd, &by_fd) || stat(name, &by_name) ||
        by_fd.st_dev != by_name.st_dev || by_fd.st_ino != by_name.st_ino)
        return -1;
    return head.fd;
}

static int paced_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xRead(r, out, amount, offset);
}

static int paced_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    struct paced_file *f = (struct paced_file *)file;
    int rc = f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (rc != SQLITE_OK || !pace_this_thread || f->fd < 0)
        return rc;
    f->unwritten += (size_t)amount;
    if (f->unwritten >= DB_CKPT_STEP_BYTES) {
        f->unwritten = 0;
        pace_steps++;
        /* The file's dirty pages are this checkpoint's: start their writing and
         * wait for it. A failure only loses the pacing; the fsync still runs. */
        (void)sync_file_range(f->fd, 0, 0,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                  SYNC_FILE_RANGE_WAIT_AFTER);
    }
    return SQLITE_OK;
}

static int paced_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xTruncate(r, size);
}

static int paced_sync(sqlite3_file *file, int flags)
{
    struct paced_file *f = (struct paced_file *)file;
    f->unwritten = 0;
    return f->real->pMethods->xSync(f->real, flags);
}
static int paced_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xFileSize(r, size);
}

static int paced_lock(sqlite3_file *file, int level)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xLock(r, level);
}

static int paced_unlock(sqlite3_file *file, int level)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xUnlock(r, level);
}

static int paced_check_reserved(sqlite3_file *file, int *out)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int paced_file_control(sqlite3_file *file, int op, void *arg)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xFileControl(r, op, arg);
}

static int paced_sector_size(sqlite3_file *file)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xSectorSize(r);
}

static int paced_device_characteristics(sqlite3_file *file)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xDeviceCharacteristics(r);
}

/* The WAL index (shared memory) and memory-mapped reads belong to the
 * database file's methods: passed through. */
static int paced_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int paced_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void paced_shm_barrier(sqlite3_file *file)
{
    sqlite3_file *r = real_of(file);
    r->pMethods->xShmBarrier(r);
}

static int paced_shm_unmap(sqlite3_file *file, int delete_flag)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xShmUnmap(r, delete_flag);
}

static int paced_fetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xFetch(r, offset, amount, out);
}

static int paced_unfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    sqlite3_file *r = real_of(file);
    return r->pMethods->xUnfetch(r, offset, page);
}

static const sqlite3_io_methods paced_methods = {
    .iVersion = 3,
    .xClose = paced_close,
    .xRead = paced_read,
    .xWrite = paced_write,
    .xTruncate = paced_truncate,
    .xSync = paced_sync,
    .xFileSize = paced_file_size,
    .xLock = paced_lock,
    .xUnlock = paced_unlock,
    .xCheckReservedLock = paced_check_reserved,
    .xFileControl = paced_file_control,
    .xSectorSize = paced_sector_size,
    .xDeviceCharacteristics = paced_device_characteristics,
    .xShmMap = paced_shm_map,
    .xShmLock = paced_shm_lock,
    .xShmBarrier = paced_shm_barrier,
    .xShmUnmap = paced_shm_unmap,
    .xFetch = paced_fetch,
    .xUnfetch = paced_unfetch,
};

int db__ckpt_pace_open(sqlite3_vfs *real_vfs, size_t real_offset, const char *name,
                       sqlite3_file *file, int flags, int *out_flags)
{
    struct paced_file *f = (struct paced_file *)file;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->real = (sqlite3_file *)((char *)file + real_offset);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        f->base.pMethods = NULL; /* SQLite then does not call xClose */
        return rc;
    }
    f->fd = real_fd(f->real, name);
    f->base.pMethods = &paced_methods;
    return SQLITE_OK;
}
