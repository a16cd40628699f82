/* The Winograd products U[M][K] x V[K][N] (winograd.c) without OpenBLAS.
 *
 * The 36 products of a band are small (M and K of 32 to 256, N a few hundred
 * tiles), where OpenBLAS spends as long packing and zeroing as multiplying:
 * its kernel was 22% of a Hayao run and its copies another 6%. V's rows are
 * already contiguous in N, so a register-blocked kernel reads them in place:
 * 8 rows of U times 32 (AVX-512) or 16 (AVX2) columns of V per step, the
 * partial sums never leaving registers.
 *
 * Every element is fmaf(u, v, sum) over k in ascending order starting from 0
 * in every path (vector, masked tail, scalar), so the bytes are the same for
 * any band width, thread count and instruction set. */
#include "nn/nn_winograd.h"

#include <math.h>
#include <stdatomic.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WG_X86 1
#endif

enum { WG_SCALAR, WG_AVX2, WG_AVX512 };

/* Rows [m0, m1) x columns [n0, n1) of C, one element at a time. */
static void gemm_scalar(const float *a, const float *b, float *c, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                        int64_t N, int64_t K)
{
    for (int64_t i = m0; i < m1; i++)
        for (int64_t j = n0; j < n1; j++) {
            float s = 0;
            for (int64_t k = 0; k < K; k++)
                s = fmaf(a[i * K + k], b[k * N + j], s);
            c[i * N + j] = s;
        }
}

#ifdef WG_X86
#define MR 8

__attribute__((target("avx512f"))) static void gemm_avx512(const float *a, const float *b, float *c, int64_t M,
                                                           int64_t N, int64_t K)
{
    int64_t m8 = M / MR * MR;
    for (int64_t j = 0; j < N; j += 32) {
        int64_t nn = N - j;
        __mmask16 k0 = nn >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nn) - 1);
        __mmask16 k1 = nn >= 32 ? (__mmask16)0xFFFF : nn > 16 ? (__mmask16)((1u << (nn - 16)) - 1) : 0;
        for (int64_t i = 0; i < m8; i += MR) {
            __m512 s[MR][2];
            for (int r = 0; r < MR; r++)
                s[r][0] = s[r][1] = _mm512_setzero_ps();
            const float *ap = a + i * K, *bp = b + j;
            for (int64_t k = 0; k < K; k++, bp += N) {
                __m512 b0 = _mm512_maskz_loadu_ps(k0, bp), b1 = _mm512_maskz_loadu_ps(k1, bp + 16);
#pragma GCC unroll 8
                for (int r = 0; r < MR; r++) {
                    __m512 u = _mm512_set1_ps(ap[r * K + k]);
                    s[r][0] = _mm512_fmadd_ps(u, b0, s[r][0]);
                    s[r][1] = _mm512_fmadd_ps(u, b1, s[r][1]);
                }
            }
            for (int r = 0; r < MR; r++) {
                _mm512_mask_storeu_ps(c + (i + r) * N + j, k0, s[r][0]);
                _mm512_mask_storeu_ps(c + (i + r) * N + j + 16, k1, s[r][1]);
            }
        }
    }
    gemm_scalar(a, b, c, m8, M, 0, N, N, K);
}

/* 6 rows x 16 columns: 12 accumulators, 2 rows of V and a broadcast fit in
 * the 16 ymm registers. */
#define MR2 6
__attribute__((target("avx2,fma"))) static void gemm_avx2(const float *a, const float *b, float *c, int64_t M,
                                                         int64_t N, int64_t K)
{
    int64_t m6 = M / MR2 * MR2, n16 = N / 16 * 16;
    for (int64_t j = 0; j < n16; j += 16)
        for (int64_t i = 0; i < m6; i += MR2) {
            __m256 s[MR2][2];
            for (int r = 0; r < MR2; r++)
                s[r][0] = s[r][1] = _mm256_setzero_ps();
            const float *ap = a + i * K, *bp = b + j;
            for (int64_t k = 0; k < K; k++, bp += N) {
                __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
                for (int r = 0; r < MR2; r++) {
                    __m256 u = _mm256_broadcast_ss(ap + r * K + k);
                    s[r][0] = _mm256_fmadd_ps(u, b0, s[r][0]);
                    s[r][1] = _mm256_fmadd_ps(u, b1, s[r][1]);
                }
            }
            for (int r = 0; r < MR2; r++) {
                _mm256_storeu_ps(c + (i + r) * N + j, s[r][0]);
                _mm256_storeu_ps(c + (i + r) * N + j + 8, s[r][1]);
            }
        }
    gemm_scalar(a, b, c, 0, m6, n16, N, N, K);
    gemm_scalar(a, b, c, m6, M, 0, N, N, K);
}

static int detect_isa(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return WG_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return WG_AVX2;
    return WG_SCALAR;
}
#else
static int detect_isa(void)
{
    return WG_SCALAR;
}
#endif

/* What runs: the best the CPU has unless a test lowered it. Atomic because
 * pipelines on several threads may ask first at the same time. */
static _Atomic int isa_use = -1;

int gh_nn_wino_gemm_isa(int level)
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

void gh_nn_wino_gemm(const float *a, const float *b, float *c, int64_t M, int64_t N, int64_t K)
{
    int isa = atomic_load_explicit(&isa_use, memory_order_relaxed);
    switch (isa >= 0 ? isa : gh_nn_wino_gemm_isa(-1)) {
#ifdef WG_X86
    case WG_AVX512:
        gemm_avx512(a, b, c, M, N, K);
        return;
    case WG_AVX2:
        gemm_avx2(a, b, c, M, N, K);
        return;
#endif
    default:
        gemm_scalar(a, b, c, 0, M, 0, N, N, K);
    }
}
