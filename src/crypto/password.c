/* password.c: argon2id password hashes (libsodium crypto_pwhash_str).
 *
 * The cost lives in two process-wide variables set once at start-up; the
 * stored string records the cost it was made with, so verification works for
 * hashes made under any earlier setting. One hash or verification runs at a
 * time (gate): each holds its memory cost (64 MiB by default) while it runs,
 * and four logins at once took the server's resident memory from 8 to 205 MB;
 * on a machine of few cores they mostly waited for a core anyway. */
#include "crypto/password.h"

#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "crypto/internal.h"

_Static_assert(CRYPTO_PASSWORD_HASH_BYTES == crypto_pwhash_STRBYTES, "pwhash string size");

static unsigned long long cost_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t cost_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER; /* one argon2 run at a time */

void crypto_password_set_cost(unsigned long long ops, size_t mem_bytes)
{
    cost_ops = ops < crypto_pwhash_OPSLIMIT_MIN ? crypto_pwhash_OPSLIMIT_MIN : ops;
    cost_mem = mem_bytes < crypto_pwhash_MEMLIMIT_MIN ? crypto_pwhash_MEMLIMIT_MIN : mem_bytes;
}

int crypto_password_hash(const char *password, char out[CRYPTO_PASSWORD_HASH_BYTES])
{
    if (!password)
        return ERR_INVALID;
    crypto__ensure_init();
    /* crypto_pwhash_str always uses argon2id in libsodium >= 1.0.15. */
    pthread_mutex_lock(&gate);
    int rc = crypto_pwhash_argon2id_str(out, password, strlen(password), cost_ops, cost_mem);
    pthread_mutex_unlock(&gate);
    return rc ? ERR_NOMEM : 0; /* the only documented failure: argon2 could not allocate */
}

bool crypto_password_verify(const char *hash, const char *password)
{
    if (!hash || !password)
        return false;
    size_t hash_len = strnlen(hash, CRYPTO_PASSWORD_HASH_BYTES);
    if (hash_len == 0 || hash_len >= CRYPTO_PASSWORD_HASH_BYTES)
        return false;
    crypto__ensure_init();
    /* The _str_verify functions read a NUL-terminated string of at most
     * STRBYTES; copy so a short caller buffer is never over-read. */
    char stored[CRYPTO_PASSWORD_HASH_BYTES] = {0};
    memcpy(stored, hash, hash_len);
    pthread_mutex_lock(&gate);
    bool ok = crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
    pthread_mutex_unlock(&gate);
    return ok;
}
