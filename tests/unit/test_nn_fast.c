/* The CNN core's fast paths against their plain counterparts:
 * - Winograd F(4x4,3x3) (winograd.c) against a direct float64 convolution on
 *   random data at odd sizes, with zero, top-left-only and reflect pads and
 *   partial edge tiles;
 * - the direct convolution for few channels (conv_small.c) against the same
 *   reference, 1 to 4 output channels and 3 input channels to 32 outputs (blocks
 *   of 4 and a remainder), 3x3, 5x5 and 7x7 kernels, zero and reflect pads, with
 *   and without bias, with its AVX-512 variant on and off (the ASan build runs
 *   the portable clone);
 * - ChannelNorm with its 1x1 conv folded in, on the normalized tensor itself
 *   (Gram statistics) and on another tensor, against GH_NN_NO_FUSE on a small
 *   LADE graph at odd sizes and thread counts, and the same for tf2onnx's NHWC
 *   form of it (tests/data/nn/lade_nhwc.onnx, AnimeGANv3 Shinkai's: two blocks
 *   fuse, a third whose channel count is unknown must not);
 * - the graph rewrites (fuse.c: ChannelNorm with its 1x1 conv folded in;
 *   graph.c: reflect Pad folded into Conv) and Winograd together on the Hayao model against the same model
 *   loaded with GH_NN_NO_FUSE and im2col convolutions (one large band, the
 *   reference for the per-thread L2 bands of the stride-2 convs), at a square
 *   and odd-tile sizes;
 *   the rewrites must actually fire (fewer nodes). */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "nn/nn_ops.h"
#include "nn/nn_winograd.h"

static uint32_t rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}

static int64_t refl(int64_t i, int64_t n)
{
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

static void wino_case(int c, int m, int h, int w, int pt, int pl, int pb, int pr, int reflect, int threads)
{
    int oh = h + pt + pb - 2, ow = w + pl + pr - 2;
    float *x = malloc(sizeof(float) * (size_t)(c * h * w)), *wt = malloc(sizeof(float) * (size_t)(m * c * 9));
    float *u = malloc(sizeof(float) * (size_t)(36 * m * c)), *y = malloc(sizeof(float) * (size_t)(m * oh * ow));
    for (int i = 0; i < c * h * w; i++)
        x[i] = frand();
    for (int i = 0; i < m * c * 9; i++)
        wt[i] = frand() * 0.5f;
    gh_nn_wino_weights(wt, m, c, u);
    float *bias = malloc(sizeof(float) * (size_t)m);
    for (int i = 0; i < m; i++)
        bias[i] = frand();
    /* Odd m: with a bias (added in the output transform). */
    struct gh_nn_wino a = {x, u, y, c, h, w, m, oh, ow, pt, pl, pb, pr, reflect, m % 2 ? bias : NULL};
    float *scratch = malloc(gh_nn_wino_scratch(&a, threads));
    gh_nn_wino_run(&a, scratch, threads);
    double maxerr = 0;
    for (int o = 0; o < m; o++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                double s = a.bias ? a.bias[o] : 0;
                for (int ch = 0; ch < c; ch++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int64_t iy = i - pt + ky, ix = j - pl + kx;
                            if (reflect) {
                                iy = refl(iy, h);
                                ix = refl(ix, w);
                            } else if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                continue;
                            }
                            s += (double)x[(ch * h + iy) * w + ix] * wt[((o * c + ch) * 3 + ky) * 3 + kx];
                        }
                double e = fabs(s - y[(o * oh + i) * ow + j]);
                if (!(e <= maxerr))
                    maxerr = e;
            }
    /* Values are sums of c*9 products of size <= 0.5: F(4x4,3x3) in float
     * keeps them to about 1e-5 relative. */
    CHECK_MSG(maxerr < 2e-4 * sqrt((double)c), "winograd c=%d m=%d %dx%d pads %d %d %d %d reflect %d: max err %g", c,
              m, h, w, pt, pl, pb, pr, reflect, maxerr);
    free(bias);
    free(x);
    free(wt);
    free(u);
    free(y);
    free(scratch);
}

/* The small-product kernel (gemm_kernel.c: Winograd, im2col and 1x1
 * products): every instruction-set path gives the same bytes (one summation
 * order), the sums are right, and nothing outside the M x N block of C is
 * written. Shapes cover full register blocks, every kind of tail (rows,
 * columns, both), more than one K slice, and padded leading dimensions. */
static void gemm_case(int M, int N, int K, int pad)
{
    int lda = K + pad, ldb = N + 2 * pad, ldc = N + 3 * pad;
    float *a = malloc(sizeof(float) * (size_t)(M * lda)), *b = malloc(sizeof(float) * (size_t)(K * ldb));
    float *c[3] = {NULL, NULL, NULL};
    for (int i = 0; i < M * lda; i++)
        a[i] = frand();
    for (int i = 0; i < K * ldb; i++)
        b[i] = frand();
    int cap = gh_nn_gemm_isa(9);
    for (int l = 0; l <= cap; l++) {
        c[l] = malloc(sizeof(float) * (size_t)(M * ldc));
        for (int i = 0; i < M * ldc; i++)
            c[l][i] = 12345.0f;
        CHECK(gh_nn_gemm_isa(l) == l);
        gh_nn_gemm_nn(M, N, K, a, lda, b, ldb, c[l], ldc);
    }
    gh_nn_gemm_isa(9);
    double maxerr = 0;
    int outside = 0;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)a[i * lda + k] * b[k * ldb + j];
            double e = fabs(s - c[cap][i * ldc + j]);
            maxerr = e > maxerr ? e : maxerr;
        }
        for (int j = N; j < ldc; j++)
            outside += c[cap][i * ldc + j] != 12345.0f;
    }
    /* float sums of K terms of size <= 1: about K * 6e-8 at worst. */
    CHECK_MSG(maxerr < 1e-6 * K, "gemm %dx%dx%d: max err %g", M, N, K, maxerr);
    CHECK_MSG(outside == 0, "gemm %dx%dx%d: %d values written outside C", M, N, K, outside);
    for (int l = 0; l < cap; l++) {
        CHECK_MSG(memcmp(c[l], c[cap], sizeof(float) * (size_t)(M * ldc)) == 0,
                  "gemm %dx%dx%d: level %d differs from level %d", M, N, K, l, cap);
        free(c[l]);
    }
    free(c[cap]);
    free(a);
    free(b);
}

static void small_case(int c, int m, int h, int w, int k, int pt, int pl, int pb, int pr, int reflect, int threads)
{
    int oh = h + pt + pb - k + 1, ow = w + pl + pr - k + 1;
    float *x = malloc(sizeof(float) * (size_t)(c * h * w)), *wt = malloc(sizeof(float) * (size_t)(m * c * k * k));
    float *y = malloc(sizeof(float) * (size_t)(m * oh * ow));
    for (int i = 0; i < c * h * w; i++)
        x[i] = frand();
    for (int i = 0; i < m * c * k * k; i++)
        wt[i] = frand() * 0.5f;
    float *bias = malloc(sizeof(float) * (size_t)m);
    for (int i = 0; i < m; i++)
        bias[i] = frand();
    struct gh_nn_conv_small a = {x, wt, y, c, h, w, m, oh, ow, k, k, pt, pl, reflect, m % 2 ? bias : NULL};
    float *scratch = malloc(gh_nn_conv_small_scratch(&a, threads));
    gh_nn_conv_small_run(&a, scratch, threads);
    double maxerr = 0;
    for (int o = 0; o < m; o++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                double s = a.bias ? a.bias[o] : 0;
                for (int ch = 0; ch < c; ch++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int64_t iy = i - pt + ky, ix = j - pl + kx;
                            if (reflect) {
                                iy = refl(iy, h);
                                ix = refl(ix, w);
                            } else if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                                continue;
                            }
                            s += (double)x[(ch * h + iy) * w + ix] * wt[((o * c + ch) * k + ky) * k + kx];
                        }
                double e = fabs(s - y[(o * oh + i) * ow + j]);
                if (!(e <= maxerr))
                    maxerr = e;
            }
    CHECK_MSG(maxerr < 2e-5 * sqrt((double)(c * k * k)), "small conv c=%d m=%d %dx%d k=%d reflect %d: max err %g", c, m,
              h, w, k, reflect, maxerr);
    free(x);
    free(wt);
    free(y);
    free(bias);
    free(scratch);
}

static struct gh_nn_model *load(int fuse)
{
    struct gh_nn_model *m = NULL;
    if (!fuse)
        setenv("GH_NN_NO_FUSE", "1", 1);
    CHECK_OK(gh_nn_load_file(check_shared_path("models/AnimeGANv3_Hayao_36.onnx"), &m));
    unsetenv("GH_NN_NO_FUSE");
    if (m)
        gh_nn_set_threads(m, 2);
    return m;
}

/* LADE normalizations (tools/make-nn-lade-model): ChannelNorm with its 1x1
 * conv folded, on x itself (Gram statistics) and on another tensor (column
 * block statistics), against every op on its own (GH_NN_NO_FUSE). */
static void lade_case(int h, int w, int threads)
{
    struct gh_nn_model *fast = NULL, *plain = NULL;
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/lade.onnx"), &fast));
    setenv("GH_NN_NO_FUSE", "1", 1);
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/lade.onnx"), &plain));
    unsetenv("GH_NN_NO_FUSE");
    if (!fast || !plain)
        goto out;
    int gram = 0, other = 0;
    for (int i = 0; i < fast->n_nodes; i++)
        if (fast->nodes[i].op == GH_NN_OP_CHANNEL_NORM && fast->nodes[i].n_in == 6) {
            gram += fast->nodes[i].in[0] == fast->nodes[i].in[1];
            other += fast->nodes[i].in[0] != fast->nodes[i].in[1];
        }
    CHECK_MSG(gram == 1 && other == 1, "lade: %d Gram and %d other folded norms", gram, other);
    gh_nn_set_threads(fast, threads);
    gh_nn_set_threads(plain, threads);
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 3, h, w}, NULL}, y1 = {0}, y2 = {0};
    x.data = malloc(sizeof(float) * (size_t)(3 * h * w));
    for (int i = 0; i < 3 * h * w; i++)
        ((float *)x.data)[i] = frand();
    CHECK_OK(gh_nn_run(fast, &x, &y1));
    CHECK_OK(gh_nn_run(plain, &x, &y2));
    if (y1.data && y2.data) {
        size_t n = gh_nn_tensor_count(&y1);
        double maxerr = 0;
        CHECK(n == gh_nn_tensor_count(&y2) && y1.shape[1] == 5 && y1.shape[2] == h && y1.shape[3] == w);
        for (size_t i = 0; i < n; i++) {
            double e = fabs(((float *)y1.data)[i] - ((float *)y2.data)[i]);
            if (!(e <= maxerr))
                maxerr = e;
        }
        CHECK_MSG(maxerr < 1e-4, "lade %dx%d, %d threads: fused vs plain max abs %g", h, w, threads, maxerr);
    }
    free(x.data);
    gh_nn_tensor_release(&y1);
    gh_nn_tensor_release(&y2);
out:
    gh_nn_free(fast);
    gh_nn_free(plain);
}

/* lade_nhwc.onnx (tools/make-nn-lade-model): the NHWC form fuses in its two
 * Conv-fed blocks (Gram and column-block statistics), not in the third, and
 * computes what every op on its own does. */
static void lade_nhwc_case(int h, int w, int threads)
{
    struct gh_nn_model *fast = NULL, *plain = NULL;
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/lade_nhwc.onnx"), &fast));
    setenv("GH_NN_NO_FUSE", "1", 1);
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/lade_nhwc.onnx"), &plain));
    unsetenv("GH_NN_NO_FUSE");
    if (!fast || !plain)
        goto out;
    int gram = 0, other = 0, transposes = 0;
    for (int i = 0; i < fast->n_nodes; i++) {
        const struct gh_nn_node *n = &fast->nodes[i];
        if (n->op == GH_NN_OP_CHANNEL_NORM && n->n_in == 6) {
            gram += n->in[0] == n->in[1];
            other += n->in[0] != n->in[1];
        }
        transposes += n->op == GH_NN_OP_TRANSPOSE;
    }
    CHECK_MSG(gram == 1 && other == 1 && transposes == 2, "lade_nhwc: %d Gram, %d other folded norms, %d Transposes",
              gram, other, transposes);
    gh_nn_set_threads(fast, threads);
    gh_nn_set_threads(plain, threads);
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 3, h, w}, NULL}, y1 = {0}, y2 = {0};
    x.data = malloc(sizeof(float) * (size_t)(3 * h * w));
    for (int i = 0; i < 3 * h * w; i++)
        ((float *)x.data)[i] = frand();
    CHECK_OK(gh_nn_run(fast, &x, &y1));
    CHECK_OK(gh_nn_run(plain, &x, &y2));
    if (y1.data && y2.data) {
        size_t n = gh_nn_tensor_count(&y1);
        double maxerr = 0;
        CHECK(n == gh_nn_tensor_count(&y2) && y1.shape[1] == 5 && y1.shape[2] == h && y1.shape[3] == w);
        for (size_t i = 0; i < n; i++) {
            double e = fabs(((float *)y1.data)[i] - ((float *)y2.data)[i]);
            if (!(e <= maxerr))
                maxerr = e;
        }
        CHECK_MSG(maxerr < 1e-4, "lade_nhwc %dx%d, %d threads: fused vs plain max abs %g", h, w, threads, maxerr);
    }
    free(x.data);
    gh_nn_tensor_release(&y1);
    gh_nn_tensor_release(&y2);
out:
    gh_nn_free(fast);
    gh_nn_free(plain);
}

static void model_case(struct gh_nn_model *fast, struct gh_nn_model *plain, int h, int w)
{
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, h, w, 3}, NULL}, y1 = {0}, y2 = {0};
    x.data = malloc(sizeof(float) * (size_t)(h * w * 3));
    /* A smooth image with some texture, like a photo in [-1, 1]. */
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            for (int c = 0; c < 3; c++)
                ((float *)x.data)[(i * w + j) * 3 + c] =
                    0.6f * sinf(0.11f * (float)i + 0.7f * (float)c) * cosf(0.07f * (float)j) + 0.2f * frand();
    CHECK_OK(gh_nn_run(fast, &x, &y1));
    gh_nn_use_winograd = 0;
    gh_nn_use_banded_im2col = 0;
    CHECK_OK(gh_nn_run(plain, &x, &y2));
    gh_nn_use_winograd = 1;
    gh_nn_use_banded_im2col = 1;
    if (y1.data && y2.data) {
        size_t n = gh_nn_tensor_count(&y1);
        double maxerr = 0;
        CHECK(n == gh_nn_tensor_count(&y2));
        for (size_t i = 0; i < n; i++) {
            double e = fabs((double)((float *)y1.data)[i] - ((float *)y2.data)[i]);
            if (!(e <= maxerr))
                maxerr = e;
        }
        CHECK_MSG(maxerr < 1e-4, "Hayao %dx%d fast vs plain: max abs %g", h, w, maxerr);
    }
    gh_nn_tensor_release(&y1);
    gh_nn_tensor_release(&y2);
    free(x.data);
}

int main(void)
{
    printf("# small-product kernel: level %d (0 scalar, 1 AVX2, 2 AVX-512)\n", gh_nn_gemm_isa(-1));
    gemm_case(32, 128, 64, 0);
    gemm_case(8, 32, 1, 0);
    gemm_case(13, 37, 5, 1);  /* row and column tails on every path */
    gemm_case(6, 16, 3, 0);
    gemm_case(7, 15, 9, 2);   /* smaller than one block */
    gemm_case(48, 200, 33, 0);
    gemm_case(20, 70, 600, 3); /* three K slices */
    int cap = gh_nn_gemm_isa(-1);
    for (int l = 0; l < cap; l++) {
        /* The whole convolution on the lower paths too. */
        gh_nn_gemm_isa(l);
        wino_case(33, 17, 21, 22, 1, 1, 1, 1, 1, 2);
    }
    gh_nn_gemm_isa(cap);
    wino_case(8, 8, 16, 16, 1, 1, 1, 1, 0, 1);
    /* Tile rows too long for one band (2 MB: 113 tiles at 64 + 64 channels):
     * segments of 112 and 89 tiles, and of 64, 64, 64 and 58. */
    wino_case(64, 64, 9, 802, 1, 1, 1, 1, 1, 2);
    wino_case(96, 96, 6, 999, 1, 1, 0, 1, 0, 3);
    wino_case(5, 7, 13, 17, 1, 1, 1, 1, 0, 2);     /* odd sizes, partial tiles */
    wino_case(3, 4, 9, 43, 0, 0, 0, 0, 0, 2);      /* no pads, a long row: full and short groups */
    wino_case(6, 5, 11, 9, 1, 1, 0, 0, 0, 1);      /* top/left only */
    wino_case(7, 9, 19, 37, 1, 1, 1, 1, 1, 2);     /* reflect */
    wino_case(4, 3, 10, 70, 2, 1, 0, 2, 1, 3);     /* reflect, uneven pads, 3 threads */
    wino_case(33, 17, 21, 22, 1, 1, 1, 1, 1, 2);   /* more channels */
    wino_case(4, 4, 5, 3, 1, 1, 1, 1, 1, 1);       /* narrower than a tile */
    wino_case(4, 4, 6, 2, 1, 1, 1, 1, 0, 2);

    for (int wide = 1; wide >= 0; wide--) { /* the AVX-512 variant (where the CPU has it), then the AVX2 clone */
        gh_nn_conv_small_avx512 = wide;
        small_case(32, 3, 23, 45, 7, 3, 3, 3, 3, 1, 2); /* the generators' last conv, reflect */
        small_case(5, 1, 9, 70, 7, 3, 3, 3, 3, 0, 2);   /* zeros, a partial chunk */
        small_case(7, 2, 11, 33, 3, 1, 0, 2, 1, 1, 3);  /* uneven pads, 3 threads */
        small_case(9, 4, 6, 40, 3, 0, 0, 0, 0, 0, 1);   /* no pads */
        small_case(3, 32, 19, 53, 7, 3, 3, 3, 3, 1, 2); /* the generators' first conv: 8 blocks of 4 outputs */
        small_case(3, 9, 13, 30, 7, 3, 3, 3, 3, 0, 2);  /* 4 + 4 + 1 outputs, zeros */
        small_case(2, 6, 8, 101, 3, 1, 1, 1, 1, 1, 3);  /* 4 + 2 outputs, chunks of 24 and 48 */
        small_case(4, 7, 5, 25, 5, 2, 2, 2, 2, 1, 1);   /* 4 + 3 */
    }
    gh_nn_conv_small_avx512 = 1;

    for (int wide = 1; wide >= 0; wide--) { /* gram.c's AVX-512 variant (where the CPU has it), then the AVX2 clone */
        gh_nn_gram_avx512 = wide;
        lade_case(21, 26, 1);
        lade_case(21, 26, 2);
        lade_case(1, 1, 2);   /* one pixel: zero variances */
        lade_case(7, 3, 3);   /* fewer column blocks than threads */
        lade_case(67, 93, 2); /* several blocks, a partial last one */
        lade_case(128, 160, 2);
        lade_nhwc_case(21, 26, 1);
        lade_nhwc_case(9, 11, 2);
        lade_nhwc_case(67, 93, 2);
    }
    gh_nn_gram_avx512 = 1;

    struct gh_nn_model *fast = load(1), *plain = load(0);
    if (fast && plain) {
        CHECK_MSG(fast->n_nodes < plain->n_nodes / 2, "rewrites fired: %d vs %d nodes", fast->n_nodes,
                  plain->n_nodes);
        int norms = 0, folded = 0, with_conv = 0;
        for (int i = 0; i < fast->n_nodes; i++) {
            norms += fast->nodes[i].op == GH_NN_OP_CHANNEL_NORM;
            with_conv += fast->nodes[i].op == GH_NN_OP_CHANNEL_NORM && fast->nodes[i].n_in == 6;
            folded += fast->nodes[i].op == GH_NN_OP_CONV && fast->nodes[i].fused_pad == 2;
        }
        CHECK_MSG(norms == 13 && folded == 14 && with_conv == 13, "%d ChannelNorm (%d with a 1x1 conv), %d reflect convs",
                  norms, with_conv, folded);
        model_case(fast, plain, 64, 64);
        model_case(fast, plain, 40, 104); /* H/8 = 5, W/8 = 13: odd tiles at every level */
        model_case(fast, plain, 136, 200); /* stride-2 convs in several L2 bands, a partial last one */
    }
    gh_nn_free(fast);
    gh_nn_free(plain);
    return check_finish();
}
