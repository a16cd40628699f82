/* Run-time choice between the portable kernels and the AVX2+FMA ones. */
#include <stdatomic.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

static atomic_int allowed = 1;

static int cpu_has_avx2(void)
{
#if GH_OPS_X86
    static atomic_int cached = -1;
    int v = atomic_load(&cached);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        const char *env = getenv("GH_OPS_NO_SIMD");
        if (env && *env && *env != '0')
            v = 0;
        atomic_store(&cached, v);
    }
    return v;
#else
    return 0;
#endif
}

int gh_ops_simd_level(void)
{
    return atomic_load(&allowed) && cpu_has_avx2();
}

int gh_ops_simd_enable(int enable)
{
    int previous = atomic_exchange(&allowed, enable != 0);
    return previous;
}

int gh_ops_simd_active(void)
{
    return gh_ops_simd_level();
}
