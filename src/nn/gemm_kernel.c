/* C = A x B for the CNN's many small products (gh_nn_gemm_nn, nn_internal.h):
 * the 36 Winograd products of a band (winograd.c), the banded im2col
 * convolutions and the 1x1 convolutions folded into ChannelNorm.
 *
 * These are small (M of 32 to 256 output channels, K up to a few thousand,
 * N a band of a few hundred to a few thousand pixels), where OpenBLAS spends
 * as long packing and zeroing as multiplying: its kernel was 22% of a Hayao
 * run and its copies another 6%. B's rows are already contiguous in N, so a
 * register-blocked kernel reads them in place: 8 rows of A times 32 (AVX-512)
 * or 6 rows times 16 (AVX2) columns of B per step, the partial sums in
 * registers; K is taken in slices of KC so the slice of B stays in L1 while
 * every row block of A passes over it.
 *
 * Every element is fmaf(a, b, sum) over k in ascending order starting from 0
 * in every path (vector, masked tail, scalar; a sum parked in C between
 * K slices is exact), so the bytes are the same for any band width, thread
 * count and instruction set. */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdatomic.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GK_X86 1
#endif

enum { GK_SCALAR, GK_AVX2, GK_AVX512 };

#define KC 256 /* K slice: 32 columns of B over 256 rows is 32 KB */

/* PACK: where more than one block of rows of A passes over a panel of B (32
 * or 16 columns by a K slice), the panel is first copied to a dense buffer.
 * B's rows are often a power-of-two multiple of 4 KB apart (ChannelNorm's 1x1
 * products read channel planes of the image, im2col bands are whole output
 * rows), which puts the whole panel in a handful of cache sets: each row
 * block then re-read it from L3. */

/* The arguments of one product, and the K slice [k0, k1) being added. */
struct gk {
    const float *a, *b;
    float *c;
    int64_t lda, ldb, ldc, k0, k1;
};

/* Rows [m0, m1) x columns [n0, n1) of C, one element at a time. */
static void gemm_scalar(const struct gk *g, int64_t m0, int64_t m1, int64_t n0, int64_t n1)
{
    for (int64_t i = m0; i < m1; i++)
        for (int64_t j = n0; j < n1; j++) {
            float s = g->k0 ? g->c[i * g->ldc + j] : 0;
            for (int64_t k = g->k0; k < g->k1; k++)
                s = fmaf(g->a[i * g->lda + k], g->b[k * g->ldb + j], s);
            g->c[i * g->ldc + j] = s;
        }
}

#ifdef GK_X86
#define MR 8

__attribute__((target("avx512f"))) static void gemm_avx512(const struct gk *g, int64_t M, int64_t N)
{
    int64_t m8 = M / MR * MR;
    float pack[KC * 32] __attribute__((aligned(64)));
    for (int64_t j = 0; j < N; j += 32) {
        int64_t nn = N - j;
        __mmask16 k0 = nn >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nn) - 1);
        __mmask16 k1 = nn >= 32 ? (__mmask16)0xFFFF : nn > 16 ? (__mmask16)((1u << (nn - 16)) - 1) : 0;
        const float *panel = g->b + g->k0 * g->ldb + j;
        int64_t pld = g->ldb;
        if (m8 >= 2 * MR) { /* see PACK */
            for (int64_t k = 0; k < g->k1 - g->k0; k++) {
                _mm512_store_ps(pack + k * 32, _mm512_maskz_loadu_ps(k0, panel + k * g->ldb));
                _mm512_store_ps(pack + k * 32 + 16, _mm512_maskz_loadu_ps(k1, panel + k * g->ldb + 16));
            }
            panel = pack;
            pld = 32;
        }
        for (int64_t i = 0; i < m8; i += MR) {
            __m512 s[MR][2];
            float *cp = g->c + i * g->ldc + j;
            for (int r = 0; r < MR; r++) {
                if (g->k0) {
                    s[r][0] = _mm512_maskz_loadu_ps(k0, cp + r * g->ldc);
                    s[r][1] = _mm512_maskz_loadu_ps(k1, cp + r * g->ldc + 16);
                } else {
                    s[r][0] = s[r][1] = _mm512_setzero_ps();
                }
            }
            const float *ap = g->a + i * g->lda, *bp = panel;
            for (int64_t k = g->k0; k < g->k1; k++, bp += pld) {
                __m512 b0 = _mm512_maskz_loadu_ps(k0, bp), b1 = _mm512_maskz_loadu_ps(k1, bp + 16);
#pragma GCC unroll 8
                for (int r = 0; r < MR; r++) {
                    __m512 u = _mm512_set1_ps(ap[r * g->lda + k]);
                    s[r][0] = _mm512_fmadd_ps(u, b0, s[r][0]);
                    s[r][1] = _mm512_fmadd_ps(u, b1, s[r][1]);
                }
            }
            for (int r = 0; r < MR; r++) {
                _mm512_mask_storeu_ps(cp + r * g->ldc, k0, s[r][0]);
                _mm512_mask_storeu_ps(cp + r * g->ldc + 16, k1, s[r][1]);
            }
        }
    }
    gemm_scalar(g, m8, M, 0, N);
}

/* 6 rows x 16 columns: 12 accumulators, 2 rows of B and a broadcast fit in
 * the 16 ymm registers. */
#define MR2 6
__attribute__((target("avx2,fma"))) static void gemm_avx2(const struct gk *g, int64_t M, int64_t N)
{
    int64_t m6 = M / MR2 * MR2, n16 = N / 16 * 16;
    float pack[KC * 16] __attribute__((aligned(32)));
    for (int64_t j = 0; j < n16; j += 16) {
        const float *panel = g->b + g->k0 * g->ldb + j;
        int64_t pld = g->ldb;
        if (m6 >= 2 * MR2) { /* see PACK */
            for (int64_t k = 0; k < g->k1 - g->k0; k++) {
                _mm256_store_ps(pack + k * 16, _mm256_loadu_ps(panel + k * g->ldb));
                _mm256_store_ps(pack + k * 16 + 8, _mm256_loadu_ps(panel + k * g->ldb + 8));
            }
            panel = pack;
            pld = 16;
        }
        for (int64_t i = 0; i < m6; i += MR2) {
            __m256 s[MR2][2];
            float *cp = g->c + i * g->ldc + j;
            for (int r = 0; r < MR2; r++) {
                if (g->k0) {
                    s[r][0] = _mm256_loadu_ps(cp + r * g->ldc);
                    s[r][1] = _mm256_loadu_ps(cp + r * g->ldc + 8);
                } else {
                    s[r][0] = s[r][1] = _mm256_setzero_ps();
                }
            }
            const float *ap = g->a + i * g->lda, *bp = panel;
            for (int64_t k = g->k0; k < g->k1; k++, bp += pld) {
                __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
                for (int r = 0; r < MR2; r++) {
                    __m256 u = _mm256_broadcast_ss(ap + r * g->lda + k);
                    s[r][0] = _mm256_fmadd_ps(u, b0, s[r][0]);
                    s[r][1] = _mm256_fmadd_ps(u, b1, s[r][1]);
                }
            }
            for (int r = 0; r < MR2; r++) {
                _mm256_storeu_ps(cp + r * g->ldc, s[r][0]);
                _mm256_storeu_ps(cp + r * g->ldc + 8, s[r][1]);
            }
        }
    }
    gemm_scalar(g, 0, m6, n16, N);
    gemm_scalar(g, m6, M, 0, N);
}

static int detect_isa(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return GK_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return GK_AVX2;
    return GK_SCALAR;
}
#else
static int detect_isa(void)
{
    return GK_SCALAR;
}
#endif

/* What runs: the best the CPU has unless a test lowered it. Atomic because
 * pipelines on several threads may ask first at the same time. */
static _Atomic int isa_use = -1;

int gh_nn_gemm_isa(int level)
{
    int cap = detect_isa();
    if (level < 0) {
        int cur = atomic_load_explicit(&isa_use, memory_order_relaxed);
        if (cur >= 0)
            return cur;
        level = cap;
    }
    level = level < cap ? level : cap;
    atomic_store_explicit(&isa_use, level, memory_order_relaxed);
    return level;
}

void gh_nn_gemm_nn(int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float *c, int64_t ldc)
{
    int isa = atomic_load_explicit(&isa_use, memory_order_relaxed);
    if (isa < 0)
        isa = gh_nn_gemm_isa(-1);
    if (K <= 0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                c[i * ldc + j] = 0;
        return;
    }
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        struct gk g = {a, b, c, lda, ldb, ldc, k0, K - k0 < KC ? K : k0 + KC};
        switch (isa) {
#ifdef GK_X86
        case GK_AVX512:
            gemm_avx512(&g, M, N);
            break;
        case GK_AVX2:
            gemm_avx2(&g, M, N);
            break;
#endif
        default:
            gemm_scalar(&g, 0, M, 0, N);
        }
    }
}
