/* The one place that talks to OpenBLAS (cblas), so the BLAS can be swapped
 * or wrapped without touching the kernels. */
#include "nn/nn_internal.h"

#include <cblas.h>

void gh_nn_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n,
                k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gh_nn_blas_threads(int threads)
{
    openblas_set_num_threads(threads);
}
