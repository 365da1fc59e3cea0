/* dl.h: symbols of libraries loaded with dlopen on first use (libcurl, libvips), which
 * relais does not link so that an idle server does not map them. */
#ifndef RELAIS_BASE_DL_H
#define RELAIS_BASE_DL_H

#include <stdbool.h>

/* Looks name up in the dlopen handle and stores it into *slot, a function pointer of the
 * caller's type (passed as its address); false when the library lacks it. */
bool dl_symbol(void *handle, const char *name, void *slot);

#endif
