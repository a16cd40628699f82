/* Internal helpers shared by the files of src/ops/. */
#ifndef GH_OPS_INTERNAL_H
#define GH_OPS_INTERNAL_H

#include <string.h>

#include "ghiblify/image.h"

/* Reflect-101 index (…cb|abc…|…ba), valid for any offset, also when n == 1. */
static inline int gh_ops_reflect101(int i, int n)
{
    if (n == 1)
        return 0;
    if (i >= 0 && i < n)
        return i;
    int period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* Copies row (n values) into buf[pad .. pad+n) and fills pad values on each side
 * with the reflect-101 border. buf holds n + 2 * pad floats. */
static inline void gh_ops_pad_row(const float *row, int n, int pad, float *buf)
{
    memcpy(buf + pad, row, (size_t)n * sizeof *buf);
    for (int k = 1; k <= pad; k++) {
        buf[pad - k] = row[gh_ops_reflect101(-k, n)];
        buf[pad + n - 1 + k] = row[gh_ops_reflect101(n - 1 + k, n)];
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define GH_OPS_X86 1
#else
#define GH_OPS_X86 0
#endif

/* For loops that only vectorize when GCC may evaluate both sides of a float
 * select: ghiblify never inspects floating-point exception flags. */
#if defined(__GNUC__) && !defined(__clang__)
#define GH_OPS_NO_TRAPS __attribute__((optimize("no-trapping-math")))
#else
#define GH_OPS_NO_TRAPS
#endif

/* 1 when the AVX2+FMA kernels may run (CPU support, not disabled by
 * gh_ops_simd_enable(0) or GH_OPS_NO_SIMD in the environment), else 0. */
int gh_ops_simd_level(void);

static inline float gh_ops_clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#endif
