/* ghiblify: status codes and per-thread error details.
 *
 * Every fallible function returns enum gh_status. When it fails it also leaves a
 * one-line, human-readable detail (which file, why) in a per-thread buffer that
 * gh_error_detail() returns, so callers can print "file: reason" without the
 * library ever printing itself. */
#ifndef GHIBLIFY_STATUS_H
#define GHIBLIFY_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum gh_status {
    GH_OK = 0,
    GH_ERR_NOMEM,       /* an allocation failed */
    GH_ERR_IO,          /* open/read/write/rename failed (errno text in the detail) */
    GH_ERR_FORMAT,      /* the data is corrupt, truncated or not what it claims to be */
    GH_ERR_UNSUPPORTED, /* valid data using a feature ghiblify does not handle */
    GH_ERR_TOO_LARGE,   /* over a configured limit (pixels, bytes, dimensions) */
    GH_ERR_ARGUMENT,    /* a caller passed an invalid value */
    GH_ERR_EXISTS,      /* refusing to replace an existing file */
    GH_ERR_MODEL,       /* a model file is unusable or missing */
    GH_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    GH_ERR_STOPPED,     /* the caller asked the work to stop (a signal) */
    GH_STATUS_COUNT
};

/* Short, constant name of a status ("out of memory", "corrupt data", ...). */
const char *gh_strerror(enum gh_status status);

/* Records a printf-style detail for this thread and returns status, so a
 * failing path can say `return gh_error(GH_ERR_IO, "%s: %s", path, strerror(errno));`. */
enum gh_status gh_error(enum gh_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the current detail with "prefix: " (e.g. a file name added by an
 * outer layer). Returns status unchanged. */
enum gh_status gh_error_prefix(enum gh_status status, const char *prefix);

#ifdef __clang_analyzer__
/* For clang-tidy's static analyzer only (the compiled code never sees these):
 * both return their status argument, which the analyzer cannot know without
 * looking into status.c, so it followed impossible paths where a failing call
 * returned GH_OK and reported "uninitialized value" on them. */
#define gh_error(status, ...) (gh_error((status), __VA_ARGS__), (status))
#define gh_error_prefix(status, prefix) (gh_error_prefix((status), (prefix)), (status))
#endif

/* The detail recorded by the last failing call on this thread ("" if none). */
const char *gh_error_detail(void);

/* Forgets the detail of this thread. */
void gh_error_clear(void);

/* printf into a new malloc'd string (the caller frees it); NULL when out of
 * memory. For messages and names built from parts. */
char *gh_aprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif
#endif
