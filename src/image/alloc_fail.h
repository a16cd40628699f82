/* Allocation-failure injection for tests (builds with the CMake
 * option GH_ALLOC_FAIL only; see alloc_hook.h). Kept out of include/: the
 * installed library has none of this. */
#ifndef GHIBLIFY_IMAGE_ALLOC_FAIL_H
#define GHIBLIFY_IMAGE_ALLOC_FAIL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Makes the nth library allocation from now on fail (1 = the next one), and
 * only that one; 0 disarms. Resets the count. Thread-safe, but which
 * allocation is nth is only reproducible single-threaded. */
void gh_alloc_fail_at(uint64_t nth);

/* Library allocations counted since the last gh_alloc_fail_at. */
uint64_t gh_alloc_count(void);

/* Whether the armed failure has happened. */
int gh_alloc_failed(void);

#ifdef __cplusplus
}
#endif
#endif
