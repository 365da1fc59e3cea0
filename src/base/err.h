/* err.h: the error codes every module returns.
 *
 * A function that can fail returns int: 0 on success or a negative ERR_* value.
 * Results travel through out-parameters. err_str() names a code for logs; it is
 * never sent to clients (handlers map codes to Matrix errors themselves). */
#ifndef RELAIS_BASE_ERR_H
#define RELAIS_BASE_ERR_H

enum err_code {
    ERR_OK = 0,
    ERR_NOMEM = -1,       /* allocation failed where the caller can recover */
    ERR_INVALID = -2,     /* malformed input */
    ERR_TOO_LARGE = -3,   /* input above a configured or format limit */
    ERR_NOT_FOUND = -4,   /* the thing asked for does not exist */
    ERR_EXISTS = -5,      /* the thing to create exists already */
    ERR_IO = -6,          /* a read, write, open or mmap failed (see errno) */
    ERR_DB = -7,          /* the database refused or failed a statement */
    ERR_FORBIDDEN = -8,   /* not allowed */
    ERR_UNSUPPORTED = -9, /* valid but not implemented (a format version, a type) */
    ERR_TRUNCATED = -10,  /* input ended before a structure it announced */
    ERR_LIMIT = -11,      /* a rate or count limit was hit */
    ERR_INTERNAL = -12,   /* a bug or an impossible state, logged */
};

/* Returns a static, human-readable name for an ERR_* code. Never NULL. */
const char *err_str(int code);

#endif
