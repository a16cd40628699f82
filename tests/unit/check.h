/* Minimal test harness: CHECK records a failure and goes on; the test's main
 * returns check_finish(), nonzero if any check failed. */
#ifndef GH_TEST_CHECK_H
#define GH_TEST_CHECK_H

#include <stdio.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        check_count++;                                                                     \
        if (!(cond)) {                                                                     \
            check_failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                                  \
    } while (0)

#define CHECK_MSG(cond, ...)                                                               \
    do {                                                                                   \
        check_count++;                                                                     \
        if (!(cond)) {                                                                     \
            check_failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

/* CHECK that a gh_status call returned GH_OK, printing the error detail if not. */
#define CHECK_OK(expr)                                                                     \
    do {                                                                                   \
        enum gh_status check_st_ = (expr);                                                 \
        CHECK_MSG(check_st_ == GH_OK, "%s (%s)", gh_strerror(check_st_), gh_error_detail()); \
    } while (0)

/* Prints the tally; returns the process exit code (1 if any check failed or none ran). */
int check_finish(void);

/* Path of a file under $GH_SOURCE_DIR or $GH_SHARED_DIR (static buffer). */
/* 1 in the AddressSanitizer build: tests that judge fidelity rather than
 * memory safety may do less there (the Release build runs all of it). */
#if defined(__SANITIZE_ADDRESS__)
#define CHECK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHECK_SANITIZED 1
#endif
#endif
#ifndef CHECK_SANITIZED
#define CHECK_SANITIZED 0
#endif

/* A deterministic pseudo-random value in [0, 1) per (x, y, channel): test
 * textures that are the same on every machine. */
static inline float check_hash01(unsigned x, unsigned y, unsigned c)
{
    unsigned s = x * 73856093u ^ y * 19349663u ^ c * 83492791u;
    s = s * 1664525u + 1013904223u;
    s ^= s >> 13;
    s *= 2654435761u;
    return (float)(s >> 8) / (float)(1u << 24);
}

const char *check_source_path(const char *relative);
const char *check_shared_path(const char *relative);

#endif
