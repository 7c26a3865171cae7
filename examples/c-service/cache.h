/* SPDX-License-Identifier: MIT */
/*
 * A tiny key/value cache that lives in its own shared library (libsvccache.so), to show that
 * probes work in libraries exactly as in executables: the library carries its own notes and
 * its own semaphores, and `tracetape list` shows them under the library's path.
 */
#ifndef SVC_CACHE_H
#define SVC_CACHE_H

#include <stddef.h>

/* Look key up; returns 1 and copies the cached value into buf on a hit, 0 on a miss. */
int cache_get(const char *key, char *buf, size_t buf_sz);

/* Remember value for key (the cache has a few slots and forgets the oldest entry). */
void cache_put(const char *key, const char *value);

#endif
