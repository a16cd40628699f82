/* Allocation-failure injection (CMake option GH_ALLOC_FAIL, test builds only).
 *
 * In such a build every library source is compiled with this header forced in
 * first (-include), so each malloc, calloc, realloc, aligned_alloc,
 * posix_memalign, strdup and strndup call in src/ goes through the counters in
 * alloc_hook.c, which can make the Nth one fail (return NULL, or ENOMEM).
 * Allocations inside libpng, libjpeg, libdeflate, zlib and OpenBLAS are not
 * counted: they are made by those libraries' own code. Release builds have
 * neither this header nor the counters. */
#ifndef GHIBLIFY_ALLOC_HOOK_H
#define GHIBLIFY_ALLOC_HOOK_H

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "image/alloc_fail.h"

void *gh_alloc_hook_malloc(size_t size);
void *gh_alloc_hook_calloc(size_t count, size_t size);
void *gh_alloc_hook_realloc(void *ptr, size_t size);
void *gh_alloc_hook_aligned_alloc(size_t alignment, size_t size);
int gh_alloc_hook_posix_memalign(void **ptr, size_t alignment, size_t size);
char *gh_alloc_hook_strdup(const char *s);
char *gh_alloc_hook_strndup(const char *s, size_t n);

#define malloc(size) gh_alloc_hook_malloc(size)
#define calloc(count, size) gh_alloc_hook_calloc(count, size)
#define realloc(ptr, size) gh_alloc_hook_realloc(ptr, size)
#define aligned_alloc(alignment, size) gh_alloc_hook_aligned_alloc(alignment, size)
#define posix_memalign(ptr, alignment, size) gh_alloc_hook_posix_memalign(ptr, alignment, size)
#define strdup(s) gh_alloc_hook_strdup(s)
#define strndup(s, n) gh_alloc_hook_strndup(s, n)

#endif
