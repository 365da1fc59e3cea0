/* internal.h: what the files of src/crypto/ share and nothing outside uses. */
#ifndef RELAIS_CRYPTO_INTERNAL_H
#define RELAIS_CRYPTO_INTERNAL_H

/* Makes sure sodium_init() has run; aborts if libsodium cannot start. */
void crypto__ensure_init(void);

#endif
