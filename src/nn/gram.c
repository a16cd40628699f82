/* Gram matrix of a block of rows, for ChannelNorm's statistics (ops_elem.c):
 * g += D D^T for D of c rows by n columns. The block is small (c <= a few
 * hundred rows of at most a thousand values) and SGEMM's packing cost as much
 * as its arithmetic there; this kernel reads D in place, does only the upper
 * triangle (half the products) with 3 x 3 row pairs' accumulators in
 * registers, and mirrors it. Sums are float within the block, double in g. */
#include "nn/nn_ops.h"

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define GRAM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define GRAM_AVX512
#else
#define GRAM_CLONES
#endif

typedef float v8 __attribute__((vector_size(32)));

/* Vectors go through memcpy and pointers: a v8 argument or result of a
 * function compiled for the baseline changes the ABI (GCC warns). */
#define LOAD(v, p) memcpy(&(v), (p), sizeof(v))

static inline float hsum(const v8 *v)
{
    float t[8];
    memcpy(t, v, sizeof t);
    return ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));
}

static float dot(const float *a, const float *b, int64_t n)
{
    v8 s = {0};
    int64_t p = 0;
    for (; p + 8 <= n; p += 8) {
        v8 u, v;
        LOAD(u, a + p);
        LOAD(v, b + p);
        s += u * v;
    }
    float r = hsum(&s);
    for (; p < n; p++)
        r += a[p] * b[p];
    return r;
}

int gh_nn_gram_avx512 = 1;

#ifdef GRAM_AVX512
/* AVX-512 (x86-64-v4, picked at run time): 32 registers of 16 floats hold
 * 4 x 4 row pairs' accumulators and both rows' vectors: 8 loads per 16
 * products of 16 lanes, against 6 per 9 of 8 lanes. */
typedef float v16 __attribute__((vector_size(64)));

__attribute__((target("arch=x86-64-v4"))) static float hsum16(const v16 *v)
{
    float t[16], r = 0;
    memcpy(t, v, sizeof t);
    for (int i = 0; i < 8; i++)
        t[i] += t[i + 8];
    for (int i = 0; i < 4; i++)
        r += t[i] + t[i + 4];
    return r;
}

__attribute__((target("arch=x86-64-v4"))) static void gram_add512(const float *d, int64_t ld, int64_t c, int64_t n,
                                                                  double *g)
{
    for (int64_t i0 = 0; i0 < c; i0 += 4)
        for (int64_t j0 = i0; j0 < c; j0 += 4) {
            if (i0 + 4 > c || j0 + 4 > c) {
                for (int64_t i = i0; i < i0 + 4 && i < c; i++)
                    for (int64_t j = j0 > i ? j0 : i; j < j0 + 4 && j < c; j++) {
                        double v = dot(d + i * ld, d + j * ld, n);
                        g[i * c + j] += v;
                        if (j != i)
                            g[j * c + i] += v;
                    }
                continue;
            }
            v16 acc[4][4];
            memset(acc, 0, sizeof acc);
            int64_t p = 0;
            for (; p + 16 <= n; p += 16) {
                v16 u[4], v[4];
                for (int i = 0; i < 4; i++) {
                    LOAD(u[i], d + (i0 + i) * ld + p);
                    LOAD(v[i], d + (j0 + i) * ld + p);
                }
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        acc[i][j] += u[i] * v[j];
            }
            float s[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    s[i][j] = hsum16(&acc[i][j]);
            for (; p < n; p++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        s[i][j] += d[(i0 + i) * ld + p] * d[(j0 + j) * ld + p];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    int64_t gi = i0 + i, gj = j0 + j;
                    if (gj < gi)
                        continue;
                    g[gi * c + gj] += s[i][j];
                    if (gj != gi)
                        g[gj * c + gi] += s[i][j];
                }
        }
}
#endif

GRAM_CLONES static void gram_add(const float *d, int64_t ld, int64_t c, int64_t n, double *g)
{
    for (int64_t i0 = 0; i0 < c; i0 += 3)
        for (int64_t j0 = i0; j0 < c; j0 += 3) {
            if (i0 + 3 > c || j0 + 3 > c) { /* edge blocks: plain dot products */
                for (int64_t i = i0; i < i0 + 3 && i < c; i++)
                    for (int64_t j = j0 > i ? j0 : i; j < j0 + 3 && j < c; j++) {
                        double v = dot(d + i * ld, d + j * ld, n);
                        g[i * c + j] += v;
                        if (j != i)
                            g[j * c + i] += v;
                    }
                continue;
            }
            const float *x0 = d + i0 * ld, *x1 = x0 + ld, *x2 = x1 + ld;
            const float *y0 = d + j0 * ld, *y1 = y0 + ld, *y2 = y1 + ld;
            v8 a00 = {0}, a01 = {0}, a02 = {0}, a10 = {0}, a11 = {0}, a12 = {0}, a20 = {0}, a21 = {0}, a22 = {0};
            int64_t p = 0;
            for (; p + 8 <= n; p += 8) {
                v8 u0, u1, u2, v;
                LOAD(u0, x0 + p);
                LOAD(u1, x1 + p);
                LOAD(u2, x2 + p);
                LOAD(v, y0 + p);
                a00 += u0 * v;
                a10 += u1 * v;
                a20 += u2 * v;
                LOAD(v, y1 + p);
                a01 += u0 * v;
                a11 += u1 * v;
                a21 += u2 * v;
                LOAD(v, y2 + p);
                a02 += u0 * v;
                a12 += u1 * v;
                a22 += u2 * v;
            }
            float s[3][3] = {{hsum(&a00), hsum(&a01), hsum(&a02)},
                             {hsum(&a10), hsum(&a11), hsum(&a12)},
                             {hsum(&a20), hsum(&a21), hsum(&a22)}};
            for (; p < n; p++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        s[i][j] += d[(i0 + i) * ld + p] * d[(j0 + j) * ld + p];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    int64_t gi = i0 + i, gj = j0 + j;
                    if (gj < gi) /* the lower part of a diagonal block: mirrored below */
                        continue;
                    g[gi * c + gj] += s[i][j];
                    if (gj != gi)
                        g[gj * c + gi] += s[i][j];
                }
        }
}

void gh_nn_gram_add(const float *d, int64_t ld, int64_t c, int64_t n, double *g)
{
#ifdef GRAM_AVX512
    if (gh_nn_gram_avx512 && __builtin_cpu_supports("x86-64-v4")) {
        gram_add512(d, ld, c, n, g);
        return;
    }
#endif
    gram_add(d, ld, c, n, g);
}
