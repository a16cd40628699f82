/* The one place that talks to OpenBLAS (cblas), so the BLAS can be swapped
 * or wrapped without touching the kernels.
 *
 * Threading: OpenBLAS's own pthread pool spin-waits (sched_yield) for a long
 * time after every call, which on a small machine steals the cores our own
 * parallel loops (im2col, normalization, elementwise ops) need right after.
 * So OpenBLAS runs single-threaded and we split each product's columns across
 * our threads ourselves: same total parallelism, no spinning pool.
 *
 * Determinism: a column's value depends on where it falls in the product
 * OpenBLAS is given (its edge kernels for the last few columns of a call may
 * round differently from the full-width ones), so the column chunks are a
 * function of the shape only, never of the thread count: threads only decide
 * who computes which chunk, and every thread count gives the same bytes. */
#include "nn/nn_internal.h"

#include <cblas.h>

/* Columns per chunk: about GEMM_PARTS chunks (whole ranges for 1, 2, 3, 4 or
 * 6 threads), each of GEMM_MIN_COLS to GEMM_MAX_COLS columns so OpenBLAS's
 * repacking of A per call (m x k values) stays small next to the chunk's
 * m x k x cols multiply-adds, rounded to 64 to keep whole SIMD panels. */
#define GEMM_PARTS 12
#define GEMM_MIN_COLS 512
#define GEMM_MAX_COLS 4096

struct gemm_job {
    int trans_a, trans_b, m, n, k, lda, ldb, ldc, chunk;
    float alpha, beta;
    const float *a, *b;
    float *c;
};

static void gemm_part(void *arg, int begin, int end)
{
    const struct gemm_job *j = arg;
    for (int p = begin; p < end; p++) {
        long n0 = (long)p * j->chunk, n1 = n0 + j->chunk < j->n ? n0 + j->chunk : j->n;
        const float *b = j->trans_b ? j->b + n0 * j->ldb : j->b + n0;
        cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans, j->trans_b ? CblasTrans : CblasNoTrans,
                    j->m, (int)(n1 - n0), j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta, j->c + n0, j->ldc);
    }
}

void gh_nn_sgemm(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    struct gemm_job j = {trans_a, trans_b, m, n, k, lda, ldb, ldc, n, alpha, beta, a, b, c};
    double work = 2.0 * m * n * k;
    if (work > 4e6 && n >= 2 * GEMM_MIN_COLS) { /* small products: one call, splitting costs more */
        long cols = ((long)n + GEMM_PARTS - 1) / GEMM_PARTS;
        cols = (cols + 63) / 64 * 64;
        j.chunk = (int)(cols < GEMM_MIN_COLS ? GEMM_MIN_COLS : cols > GEMM_MAX_COLS ? GEMM_MAX_COLS : cols);
    }
    int parts = (int)(((long)n + j.chunk - 1) / j.chunk);
    gh_parallel_for(parts, threads < 1 ? 1 : threads, gemm_part, &j);
}

void gh_nn_blas_threads(int threads)
{
    (void)threads; /* see the top of this file: we thread around OpenBLAS */
    openblas_set_num_threads(1);
}
