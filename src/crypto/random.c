/* random.c: libsodium start-up and random bytes/tokens.
 *
 * sodium_init() runs once through pthread_once; every other file in
 * src/crypto/ calls crypto__ensure_init() before touching libsodium. */
#include "crypto/random.h"

#include <pthread.h>

#include <sodium.h>

#include "base/err.h"
#include "base/mem.h"
#include "crypto/internal.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = ERR_INTERNAL;

static void init_sodium(void)
{
    init_rc = sodium_init() < 0 ? ERR_INTERNAL : 0;
}

int crypto_init(void)
{
    pthread_once(&init_once, init_sodium);
    return init_rc;
}

void crypto__ensure_init(void)
{
    ASSERT(crypto_init() == 0);
}

void crypto_random_bytes(void *out, size_t len)
{
    crypto__ensure_init();
    randombytes_buf(out, len);
}

void crypto_random_token(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if (len == 0)
        return;
    crypto__ensure_init();
    for (size_t i = 0; i + 1 < len; i++)
        out[i] = alphabet[randombytes_uniform((uint32_t)(sizeof(alphabet) - 1))];
    out[len - 1] = '\0';
}
