/* dl.c: symbol lookup for dlopen'ed libraries (see dl.h). */
#include "base/dl.h"

#include <dlfcn.h>
#include <string.h>

bool dl_symbol(void *handle, const char *name, void *slot)
{
    void *sym = dlsym(handle, name);
    if (!sym)
        return false;
    /* ISO C has no object-to-function pointer conversion: copy the bytes, as POSIX allows */
    memcpy(slot, &sym, sizeof sym);
    return true;
}
