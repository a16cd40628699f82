/* Internal helpers shared by the files of src/ops/. */
#ifndef GH_OPS_INTERNAL_H
#define GH_OPS_INTERNAL_H

#include <stdatomic.h>
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

/* Row loops of about a millisecond: gh_parallel_for hands each thread one fixed
 * half, so on a busy machine a helper thread that starts late or loses its core
 * mid-way holds the caller up for as long. Here every participant takes `chunk`
 * indices at a time from a shared counter until none is left, and a delay costs
 * at most one chunk. Only for work whose result does not depend on how [0, n)
 * is cut (per-row setup is paid per chunk). */
struct gh_ops_chunked {
    void (*fn)(void *ctx, int begin, int end);
    void *ctx;
    int n, chunk;
    atomic_int next;
};

static inline void gh_ops_chunked_run(void *arg, int begin, int end)
{
    struct gh_ops_chunked *c = arg;
    (void)begin;
    (void)end;
    for (;;) {
        int k = atomic_fetch_add(&c->next, 1);
        if (k >= (c->n + c->chunk - 1) / c->chunk)
            return;
        int lo = k * c->chunk, hi = lo + c->chunk < c->n ? lo + c->chunk : c->n;
        c->fn(c->ctx, lo, hi);
    }
}

static inline void gh_ops_parallel_chunks(int n, int chunk, int threads,
                                          void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    if (threads <= 1 || n <= chunk) {
        if (n > 0)
            fn(ctx, 0, n);
        return;
    }
    struct gh_ops_chunked c = {fn, ctx, n, chunk, 0};
    atomic_init(&c.next, 0);
    gh_parallel_for(threads, threads, gh_ops_chunked_run, &c);
}

static inline float gh_ops_clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#endif
