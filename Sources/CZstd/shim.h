#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H
#include <zstd.h>

// ZSTD_isError is a function, but ZSTD_CONTENTSIZE_* are macros of an
// unsigned long long cast Swift cannot import.
static inline unsigned long long CZstd_contentSizeUnknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long CZstd_contentSizeError(void) { return ZSTD_CONTENTSIZE_ERROR; }
#endif
