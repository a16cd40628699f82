/* Counters behind alloc_hook.h (GH_ALLOC_FAIL builds only). The header is
 * forced into this file too; without its macros the calls below are libc's. */
#undef malloc
#undef calloc
#undef realloc
#undef aligned_alloc
#undef posix_memalign
#undef strdup
#undef strndup

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "image/alloc_fail.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOOK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOOK_ASAN 1
#endif
#endif
#ifdef HOOK_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

static atomic_uint_fast64_t count;
static atomic_uint_fast64_t fail_at;
static atomic_int failed;

void gh_alloc_fail_at(uint64_t nth)
{
    atomic_store(&count, 0);
    atomic_store(&failed, 0);
    atomic_store(&fail_at, nth);
}

uint64_t gh_alloc_count(void)
{
    return atomic_load(&count);
}

int gh_alloc_failed(void)
{
    return atomic_load(&failed);
}

/* Counts one allocation; nonzero when it is the one to fail. */
static int should_fail(void)
{
    uint64_t n = atomic_fetch_add(&count, 1) + 1;
    if (n == atomic_load(&fail_at)) {
        atomic_store(&failed, 1);
#ifdef HOOK_ASAN
        /* Where the failure lands, for finding what handled it. */
        if (getenv("GH_ALLOC_FAIL_TRACE"))
            __sanitizer_print_stack_trace();
#endif
        return 1;
    }
    return 0;
}

void *gh_alloc_hook_malloc(size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(size);
}

void *gh_alloc_hook_calloc(size_t n, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return calloc(n, size);
}

void *gh_alloc_hook_realloc(void *ptr, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, size);
}

void *gh_alloc_hook_aligned_alloc(size_t alignment, size_t size)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned_alloc(alignment, size);
}

int gh_alloc_hook_posix_memalign(void **ptr, size_t alignment, size_t size)
{
    if (should_fail())
        return ENOMEM;
    return posix_memalign(ptr, alignment, size);
}

char *gh_alloc_hook_strdup(const char *s)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return strdup(s);
}

char *gh_alloc_hook_strndup(const char *s, size_t n)
{
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return strndup(s, n);
}
