#include "ghiblify/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long enough for two paths and a reason; longer details are truncated. */
static _Thread_local char detail[1024];

static const char *const status_names[] = {
    [GH_OK] = "success",
    [GH_ERR_NOMEM] = "out of memory",
    [GH_ERR_IO] = "input/output error",
    [GH_ERR_FORMAT] = "corrupt or unrecognized data",
    [GH_ERR_UNSUPPORTED] = "unsupported feature",
    [GH_ERR_TOO_LARGE] = "over a size limit",
    [GH_ERR_ARGUMENT] = "invalid argument",
    [GH_ERR_EXISTS] = "file exists",
    [GH_ERR_MODEL] = "unusable model",
    [GH_ERR_INTERNAL] = "internal error",
    [GH_ERR_STOPPED] = "interrupted",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == GH_STATUS_COUNT,
               "every status needs a name");

const char *gh_strerror(enum gh_status status)
{
    if ((unsigned)status >= GH_STATUS_COUNT)
        return "unknown status";
    return status_names[status];
}

enum gh_status (gh_error)(enum gh_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return status;
}

enum gh_status (gh_error_prefix)(enum gh_status status, const char *prefix)
{
    char old[sizeof detail];
    memcpy(old, detail, sizeof old);
    const char *reason = old[0] ? old : gh_strerror(status);
    /* Built piecewise so truncation of a long detail is silent and safe. */
    size_t n = strlen(prefix) < sizeof detail - 1 ? strlen(prefix) : sizeof detail - 1;
    memcpy(detail, prefix, n);
    detail[n] = '\0';
    strncat(detail, ": ", sizeof detail - strlen(detail) - 1);
    strncat(detail, reason, sizeof detail - strlen(detail) - 1);
    return status;
}

const char *gh_error_detail(void)
{
    return detail;
}

void gh_error_clear(void)
{
    detail[0] = '\0';
}

char *gh_aprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
