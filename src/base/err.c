/* err.c: names for the ERR_* codes of err.h. */
#include "base/err.h"

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK: return "ok";
    case ERR_NOMEM: return "out of memory";
    case ERR_INVALID: return "invalid input";
    case ERR_TOO_LARGE: return "too large";
    case ERR_NOT_FOUND: return "not found";
    case ERR_EXISTS: return "already exists";
    case ERR_IO: return "i/o error";
    case ERR_DB: return "database error";
    case ERR_FORBIDDEN: return "forbidden";
    case ERR_UNSUPPORTED: return "unsupported";
    case ERR_TRUNCATED: return "truncated input";
    case ERR_LIMIT: return "limit exceeded";
    case ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}
