/* Direct convolution for very few output channels (m <= 4), stride 1: the
 * generators' last 7x7 convolution (32 -> 3 channels) is a GEMM with 3 rows,
 * which OpenBLAS runs at a small fraction of its peak (it was a third of the
 * whole Hayao run). Here each output row is computed in chunks of 32 pixels
 * with all m outputs' accumulators in registers, reading per (channel, kernel
 * row) a padded copy of the input row (zero or reflect padding applied while
 * copying), vectorized over pixels. */
#include "nn/nn_ops.h"

#include <string.h>

#define CHUNK 32

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define SMALL_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SMALL_CLONES
#endif

/* Floats per padded row: whole chunks plus the kernel's reach. */
static size_t row_len(const struct gh_nn_conv_small *a)
{
    return (size_t)((a->ow + CHUNK - 1) / CHUNK * CHUNK + a->kw - 1);
}

size_t gh_nn_conv_small_scratch(const struct gh_nn_conv_small *a, int threads)
{
    return (size_t)threads * (size_t)(a->c * a->kh) * row_len(a) * sizeof(float);
}

static inline __attribute__((always_inline)) void chunk(const struct gh_nn_conv_small *a, const float *rows,
                                                        size_t rl, int64_t x0, float *const *out, const int M)
{
    float acc[4][CHUNK] = {{0}};
    for (int64_t ch = 0; ch < a->c; ch++)
        for (int64_t ky = 0; ky < a->kh; ky++) {
            const float *r = rows + (size_t)(ch * a->kh + ky) * rl + x0;
            for (int64_t kx = 0; kx < a->kw; kx++) {
                float wv[4];
                for (int o = 0; o < M; o++)
                    wv[o] = a->wt[((o * a->c + ch) * a->kh + ky) * a->kw + kx];
                for (int j = 0; j < CHUNK; j++) {
                    float v = r[kx + j];
                    for (int o = 0; o < M; o++)
                        acc[o][j] += wv[o] * v;
                }
            }
        }
    int64_t n = a->ow - x0 < CHUNK ? a->ow - x0 : CHUNK;
    for (int o = 0; o < M; o++)
        memcpy(out[o] + x0, acc[o], (size_t)n * sizeof(float));
}

SMALL_CLONES static void output_row(const struct gh_nn_conv_small *a, const float *rows, size_t rl, int64_t oy)
{
    float *out[4];
    for (int o = 0; o < a->m; o++)
        out[o] = a->y + (o * a->oh + oy) * a->ow;
    for (int64_t x0 = 0; x0 < a->ow; x0 += CHUNK) {
        switch (a->m) { /* a constant M per case: accumulators stay in registers */
        case 1: chunk(a, rows, rl, x0, out, 1); break;
        case 2: chunk(a, rows, rl, x0, out, 2); break;
        case 3: chunk(a, rows, rl, x0, out, 3); break;
        default: chunk(a, rows, rl, x0, out, 4); break;
        }
    }
}

struct small_ctx {
    const struct gh_nn_conv_small *a;
    float *scratch;
    int threads;
};

static void small_rows(void *arg, int begin, int end)
{
    const struct small_ctx *c = arg;
    const struct gh_nn_conv_small *a = c->a;
    size_t rl = row_len(a);
    for (int th = begin; th < end; th++) {
        float *rows = c->scratch + (size_t)th * (size_t)(a->c * a->kh) * rl;
        for (int64_t oy = a->oh * th / c->threads; oy < a->oh * (th + 1) / c->threads; oy++) {
            /* Padded input rows for every (channel, kernel row). */
            for (int64_t ch = 0; ch < a->c; ch++)
                for (int64_t ky = 0; ky < a->kh; ky++) {
                    float *r = rows + (size_t)(ch * a->kh + ky) * rl;
                    int64_t iy = oy - a->pt + ky;
                    if (iy < 0 || iy >= a->h) {
                        if (!a->reflect) {
                            memset(r, 0, rl * sizeof *r);
                            continue;
                        }
                        iy = gh_nn_reflect(iy, a->h);
                    }
                    const float *src = a->x + (ch * a->h + iy) * a->w;
                    /* Interior in one copy, then the few padded columns. */
                    int64_t lo = a->pl < (int64_t)rl ? a->pl : (int64_t)rl;
                    int64_t hi = a->pl + a->w < (int64_t)rl ? a->pl + a->w : (int64_t)rl;
                    memcpy(r + lo, src, (size_t)(hi - lo) * sizeof *r);
                    for (int64_t j = 0; j < (int64_t)rl; j++) {
                        if (j == lo)
                            j = hi;
                        if (j >= (int64_t)rl)
                            break;
                        int64_t ix = j - a->pl;
                        if (a->reflect && ix >= -a->pl && ix < a->ow - a->pl + a->kw - 1)
                            r[j] = src[gh_nn_reflect(ix, a->w)];
                        else
                            r[j] = 0;
                    }
                }
            output_row(a, rows, rl, oy);
        }
    }
}

void gh_nn_conv_small_run(const struct gh_nn_conv_small *a, float *scratch, int threads)
{
    if (threads > a->oh)
        threads = (int)a->oh;
    if (threads < 1)
        threads = 1;
    struct small_ctx c = {a, scratch, threads};
    gh_parallel_for(threads, threads, small_rows, &c);
}
