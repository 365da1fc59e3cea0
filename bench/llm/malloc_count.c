/* bench/llm/malloc_count.c: an LD_PRELOAD shim that counts calls to malloc, calloc, realloc,
 * aligned_alloc, posix_memalign and mmap (mmap64), and prints the counts to stderr at exit. Used by
 * bench/llm/alloc.sh to check that decoding a token allocates nothing: two runs that differ
 * only in the number of decoded tokens must make the same number of calls.
 * Built by alloc.sh (not by meson): cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static atomic_long n_alloc; /* malloc-family calls */
static atomic_long n_mmap;  /* mmap calls */

/* dlsym may call calloc before the real one is known: serve that from a static buffer */
static char early[4096];
static size_t early_used;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);

static void init(void)
{
    static int busy;
    if (real_malloc || busy)
        return;
    busy = 1;
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_mmap = dlsym(RTLD_NEXT, "mmap");
    busy = 0;
}

void *malloc(size_t n)
{
    init();
    atomic_fetch_add(&n_alloc, 1);
    return real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (!real_calloc) {
        init();
        if (!real_calloc) {
            size_t n = (a * b + 15) & ~(size_t)15;
            if (early_used + n > sizeof early)
                return NULL;
            void *p = early + early_used;
            early_used += n;
            return p;
        }
    }
    atomic_fetch_add(&n_alloc, 1);
    return real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    init();
    atomic_fetch_add(&n_alloc, 1);
    return real_realloc(p, n);
}

int posix_memalign(void **p, size_t al, size_t n)
{
    init();
    atomic_fetch_add(&n_alloc, 1);
    return real_posix_memalign(p, al, n);
}

void *aligned_alloc(size_t al, size_t n)
{
    init();
    atomic_fetch_add(&n_alloc, 1);
    return real_aligned_alloc(al, n);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    init();
    atomic_fetch_add(&n_mmap, 1);
    return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

void free(void *p)
{
    static void (*real_free)(void *);
    if ((char *)p >= early && (char *)p < early + sizeof early)
        return;
    if (!real_free)
        real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}

__attribute__((destructor)) static void report(void)
{
    fprintf(stderr, "malloc_count: %ld allocations, %ld mmaps\n", atomic_load(&n_alloc),
            atomic_load(&n_mmap));
}
