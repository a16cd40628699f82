/* Direct convolution for few output channels or few input channels, stride
 * 1: the generators' last 7x7 convolution (32 -> 3 channels) is a GEMM with 3
 * rows and the first (3 -> 32) one with K = 147 whose im2col matrix is 49x the
 * input; OpenBLAS runs both far below its peak. Here each output row is made
 * from padded copies of the input rows it needs (zero or reflect padding
 * applied while copying; a ring of kh rows per channel, so each input row is
 * padded once per thread, not kh times), in chunks of
 * pixels with the accumulators of 4 outputs (or the last 1 to 3) in registers,
 * vectorized over pixels, bias as the accumulators' start value. */
#include "nn/nn_ops.h"

#include <string.h>

/* Pixels per chunk for M outputs: M * CHUNK_M / 8 AVX2 accumulators (12 of
 * the 16 registers), the rest for the input vectors and the weights. */
#define CHUNK_PAD 192 /* a multiple of every chunk length below */

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define SMALL_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define SMALL_AVX512
#else
#define SMALL_CLONES
#endif

/* Floats per padded row: whole chunks plus the kernel's reach. */
static size_t row_len(const struct gh_nn_conv_small *a)
{
    return (size_t)((a->ow + CHUNK_PAD - 1) / CHUNK_PAD * CHUNK_PAD + a->kw - 1);
}

/* Per thread: c * kh padded rows, then c * kh row pointers (64-byte aligned). */
static size_t thread_bytes(const struct gh_nn_conv_small *a)
{
    size_t rows = (size_t)(a->c * a->kh) * row_len(a) * sizeof(float);
    return (rows + 63) / 64 * 64 + ((size_t)(a->c * a->kh) * sizeof(float *) + 63) / 64 * 64;
}

size_t gh_nn_conv_small_scratch(const struct gh_nn_conv_small *a, int threads)
{
    return (size_t)threads * thread_bytes(a) + 64;
}

typedef float v8 __attribute__((vector_size(32)));

/* Outputs o0 .. o0+M-1 at pixels x0 .. x0+CH-1 of one output row; one
 * function per (M, CH) so the accumulators are exactly M * CH / 8 vectors
 * (written with vector types: from plain arrays GCC unrolled the tap loop
 * and spilled them). */
#define CHUNK_FN(VT, VW, M, CH)                                                                                 \
    static inline __attribute__((always_inline)) void chunk_##M##_##CH(                                          \
        const struct gh_nn_conv_small *a, const float *const *rp, int64_t x0, float *const *out, int64_t o0)      \
    {                                                                                                           \
        enum { NV = (CH) / (VW) };                                                                              \
        VT acc[M][NV];                                                                                          \
        int64_t taps = a->c * a->kh * a->kw;                                                                    \
        for (int o = 0; o < (M); o++) {                                                                         \
            float b = a->bias ? a->bias[o0 + o] : 0;                                                            \
            for (int j = 0; j < NV; j++)                                                                        \
                acc[o][j] = b - (VT){0};                                                                        \
        }                                                                                                       \
        const float *w0 = a->wt + o0 * taps;                                                                    \
        for (int64_t rix = 0; rix < a->c * a->kh; rix++) {                                                      \
            const float *r = rp[rix] + x0;                                                                      \
            const float *wr = w0 + rix * a->kw;                                                                 \
            for (int64_t kx = 0; kx < a->kw; kx++) {                                                            \
                float wv[M];                                                                                    \
                VT v;                                                                                           \
                for (int o = 0; o < (M); o++)                                                                   \
                    wv[o] = wr[o * taps + kx];                                                                  \
                for (int j = 0; j < NV; j++) {                                                                  \
                    memcpy(&v, r + kx + (VW) * j, sizeof v);                                                    \
                    for (int o = 0; o < (M); o++)                                                               \
                        acc[o][j] += wv[o] * v;                                                                 \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
        int64_t n = a->ow - x0 < (CH) ? a->ow - x0 : (CH);                                                      \
        for (int o = 0; o < (M); o++)                                                                           \
            memcpy(out[o] + x0, acc[o], (size_t)n * sizeof(float));                                             \
    }
CHUNK_FN(v8, 8, 1, 32)
CHUNK_FN(v8, 8, 2, 48)
CHUNK_FN(v8, 8, 3, 32)
CHUNK_FN(v8, 8, 4, 24)

SMALL_CLONES static void output_row(const struct gh_nn_conv_small *a, const float *const *rp, int64_t oy)
{
    for (int64_t o0 = 0; o0 < a->m; o0 += 4) {
        int64_t mb = a->m - o0 < 4 ? a->m - o0 : 4;
        float *out[4];
        for (int o = 0; o < mb; o++)
            out[o] = a->y + ((o0 + o) * a->oh + oy) * a->ow;
        switch (mb) { /* constant M and chunk per case: accumulators stay in registers */
        case 1:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 32)
                chunk_1_32(a, rp, x0, out, o0);
            break;
        case 2:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 48)
                chunk_2_48(a, rp, x0, out, o0);
            break;
        case 3:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 32)
                chunk_3_32(a, rp, x0, out, o0);
            break;
        default:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 24)
                chunk_4_24(a, rp, x0, out, o0);
            break;
        }
    }
}

#ifdef SMALL_AVX512
/* AVX-512 (x86-64-v4, picked at run time): 32 registers of 16 floats, so
 * twice the pixels per chunk with the same 12 accumulators. */
typedef float v16 __attribute__((vector_size(64)));
CHUNK_FN(v16, 16, 1, 64)
CHUNK_FN(v16, 16, 2, 96)
CHUNK_FN(v16, 16, 3, 64)
CHUNK_FN(v16, 16, 4, 48)

__attribute__((target("arch=x86-64-v4"))) static void output_row512(const struct gh_nn_conv_small *a,
                                                                    const float *const *rp, int64_t oy)
{
    for (int64_t o0 = 0; o0 < a->m; o0 += 4) {
        int64_t mb = a->m - o0 < 4 ? a->m - o0 : 4;
        float *out[4];
        for (int o = 0; o < mb; o++)
            out[o] = a->y + ((o0 + o) * a->oh + oy) * a->ow;
        switch (mb) {
        case 1:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 64)
                chunk_1_64(a, rp, x0, out, o0);
            break;
        case 2:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 96)
                chunk_2_96(a, rp, x0, out, o0);
            break;
        case 3:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 64)
                chunk_3_64(a, rp, x0, out, o0);
            break;
        default:
            for (int64_t x0 = 0; x0 < a->ow; x0 += 48)
                chunk_4_48(a, rp, x0, out, o0);
            break;
        }
    }
}
#endif

int gh_nn_conv_small_avx512 = 1;

struct small_ctx {
    const struct gh_nn_conv_small *a;
    float *scratch;
    int threads, avx512;
};

/* Padded input row iy + pt (zero or reflect padding) into r. */
static void pad_row(const struct gh_nn_conv_small *a, int64_t ch, int64_t iy, float *r, size_t rl)
{
    if (iy < 0 || iy >= a->h) {
        if (!a->reflect) {
            memset(r, 0, rl * sizeof *r);
            return;
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

static void small_rows(void *arg, int begin, int end)
{
    const struct small_ctx *c = arg;
    const struct gh_nn_conv_small *a = c->a;
    size_t rl = row_len(a);
    int64_t kh = a->kh;
    for (int th = begin; th < end; th++) {
        /* A ring of kh padded rows per channel: padded row P (input row
         * P - pt) lives in slot P % kh, so each output row pads one new
         * row per channel instead of kh. */
        char *base = (char *)(((uintptr_t)c->scratch + 63) & ~(uintptr_t)63) + (size_t)th * thread_bytes(a);
        /* cppcheck-suppress invalidPointerCast ; the scratch block holds the rows, then the row pointers (aligned) */
        float *rows = (float *)base;
        const float **rp = (const float **)(base + ((size_t)(a->c * kh) * rl * sizeof(float) + 63) / 64 * 64);
        int64_t y0 = a->oh * th / c->threads, y1 = a->oh * (th + 1) / c->threads;
        for (int64_t oy = y0; oy < y1; oy++) {
            for (int64_t ch = 0; ch < a->c; ch++)
                for (int64_t p = oy == y0 ? oy : oy + kh - 1; p < oy + kh; p++)
                    pad_row(a, ch, p - a->pt, rows + (size_t)(ch * kh + p % kh) * rl, rl);
            for (int64_t ch = 0; ch < a->c; ch++)
                for (int64_t ky = 0; ky < kh; ky++)
                    rp[ch * kh + ky] = rows + (size_t)(ch * kh + (oy + ky) % kh) * rl;
#ifdef SMALL_AVX512
            if (c->avx512) {
                output_row512(a, rp, oy);
                continue;
            }
#endif
            output_row(a, rp, oy);
        }
    }
}

void gh_nn_conv_small_run(const struct gh_nn_conv_small *a, float *scratch, int threads)
{
    if (threads > a->oh)
        threads = (int)a->oh;
    if (threads < 1)
        threads = 1;
    struct small_ctx c = {a, scratch, threads, 0};
#ifdef SMALL_AVX512
    /* Only for blocks of 4 outputs over few input rows (the 3 -> 32 conv:
     * 2x); with 32 input channels (32 -> 3) the rows outgrow L1 and the
     * wider unaligned loads gained nothing. */
    c.avx512 = gh_nn_conv_small_avx512 && a->m >= 4 && a->c <= 4 && __builtin_cpu_supports("x86-64-v4");
#endif
    gh_parallel_for(threads, threads, small_rows, &c);
}
