#include "check.h"

#include <stdlib.h>


int check_failures;
int check_count;

int check_finish(void)
{
    printf("%d checks, %d failed\n", check_count, check_failures);
    if (check_count == 0) {
        fprintf(stderr, "no checks ran\n");
        return 1;
    }
    return check_failures ? 1 : 0;
}

static const char *join(const char *var, const char *fallback, const char *relative)
{
    static _Thread_local char buf[4096];
    const char *dir = getenv(var);
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : fallback, relative);
    return buf;
}

const char *check_source_path(const char *relative)
{
    return join("GH_SOURCE_DIR", ".", relative);
}

const char *check_shared_path(const char *relative)
{
    return join("GH_SHARED_DIR", "../shared", relative);
}
