/* The one place that talks to OpenBLAS (cblas), so the BLAS can be swapped
 * or wrapped without touching the kernels.
 *
 * Threading: OpenBLAS's own pthread pool spin-waits (sched_yield) for a long
 * time after every call, which on a small machine steals the cores our own
 * parallel loops (im2col, normalization, elementwise ops) need right after.
 * So OpenBLAS runs single-threaded and we split each product's columns across
 * our threads ourselves: same total parallelism, no spinning pool. */
#include "nn/nn_internal.h"

#include <cblas.h>

struct gemm_job {
    int trans_a, trans_b, m, n, k, lda, ldb, ldc, parts;
    float alpha, beta;
    const float *a, *b;
    float *c;
};

static void gemm_part(void *arg, int begin, int end)
{
    const struct gemm_job *j = arg;
    for (int p = begin; p < end; p++) {
        /* Column ranges rounded to 16 so each part keeps whole SIMD panels. */
        long n0 = (long)j->n * p / j->parts / 16 * 16, n1 = (long)j->n * (p + 1) / j->parts / 16 * 16;
        if (p == j->parts - 1)
            n1 = j->n;
        if (n1 <= n0)
            continue;
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
    struct gemm_job j = {trans_a, trans_b, m, n, k, lda, ldb, ldc, 1, alpha, beta, a, b, c};
    double work = 2.0 * m * n * k;
    if (threads > 1 && n >= 64 * threads && work > 4e6)
        j.parts = threads;
    gh_parallel_for(j.parts, j.parts, gemm_part, &j);
}

void gh_nn_blas_threads(int threads)
{
    (void)threads; /* see the top of this file: we thread around OpenBLAS */
    openblas_set_num_threads(1);
}
