/* Float planes to interleaved 8-bit rows for the encoders.
 *
 * CMakeLists.txt compiles this file with -fno-trapping-math: GCC if-converts (and
 * so vectorizes) the float selects of the clamps only when it may evaluate both
 * sides, and ghiblify never inspects floating-point exception flags. */
#include "io/io_internal.h"

#include "ghiblify/ops.h"

/* gh_io_quantize8 without branches. The clamps are written out in the loops below:
 * "v = v > 0 ? v : 0" becomes a compare-and-mask (NaN -> 0, as both comparisons
 * are false for NaN) and "v < 1 ? v : 1" a blend; what remains is truncating
 * v * 255 + 0.5 as before. */
static inline __attribute__((always_inline)) unsigned char to8(float v)
{
    return (unsigned char)(int)(v * 255.0f + 0.5f);
}

/* The packing loops, compiled twice: for the baseline ISA and for AVX2. SSE2 has
 * no good float -> byte narrowing, so the baseline build runs about 4x slower
 * (27 vs 8 ms for 4000x3000 RGB), which decides whether our JPEG encoder keeps up
 * with OpenCV's. All samples of a pixel are loaded and clamped, one clamp step for
 * all channels at a time, before any is stored: GCC 12 vectorizes that form into
 * plain masks and blends, 8 ms against 10.7 ms with a clamp helper per sample. */
static inline __attribute__((always_inline)) void
pack3_body(const float *restrict r, const float *restrict g, const float *restrict b,
           size_t width, unsigned char *restrict d)
{
    for (size_t x = 0; x < width; x++) {
        float vr = r[x], vg = g[x], vb = b[x];
        vr = vr > 0.0f ? vr : 0.0f;
        vg = vg > 0.0f ? vg : 0.0f;
        vb = vb > 0.0f ? vb : 0.0f;
        vr = vr < 1.0f ? vr : 1.0f;
        vg = vg < 1.0f ? vg : 1.0f;
        vb = vb < 1.0f ? vb : 1.0f;
        d[3 * x] = to8(vr);
        d[3 * x + 1] = to8(vg);
        d[3 * x + 2] = to8(vb);
    }
}

static inline __attribute__((always_inline)) void
pack4_body(const float *restrict r, const float *restrict g, const float *restrict b,
           const float *restrict a, size_t width, unsigned char *restrict d)
{
    for (size_t x = 0; x < width; x++) {
        float vr = r[x], vg = g[x], vb = b[x], va = a[x];
        vr = vr > 0.0f ? vr : 0.0f;
        vg = vg > 0.0f ? vg : 0.0f;
        vb = vb > 0.0f ? vb : 0.0f;
        va = va > 0.0f ? va : 0.0f;
        vr = vr < 1.0f ? vr : 1.0f;
        vg = vg < 1.0f ? vg : 1.0f;
        vb = vb < 1.0f ? vb : 1.0f;
        va = va < 1.0f ? va : 1.0f;
        d[4 * x] = to8(vr);
        d[4 * x + 1] = to8(vg);
        d[4 * x + 2] = to8(vb);
        d[4 * x + 3] = to8(va);
    }
}

static void pack3_generic(const float *r, const float *g, const float *b, size_t width,
                          unsigned char *d)
{
    pack3_body(r, g, b, width, d);
}

static void pack4_generic(const float *r, const float *g, const float *b, const float *a,
                          size_t width, unsigned char *d)
{
    pack4_body(r, g, b, a, width, d);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define GH_IO_X86 1
__attribute__((target("avx2"))) static void pack3_avx2(const float *r, const float *g,
                                                       const float *b, size_t width,
                                                       unsigned char *d)
{
    pack3_body(r, g, b, width, d);
}

__attribute__((target("avx2"))) static void pack4_avx2(const float *r, const float *g,
                                                       const float *b, const float *a,
                                                       size_t width, unsigned char *d)
{
    pack4_body(r, g, b, a, width, d);
}
#else
#define GH_IO_X86 0
#endif

void gh_io_pack_row8(const struct gh_image *rgb, const struct gh_image *alpha, int y,
                     unsigned char *dst)
{
    size_t width = (size_t)rgb->width, off = (size_t)y * width;
    const float *r = gh_image_plane(rgb, 0) + off, *g = gh_image_plane(rgb, 1) + off;
    const float *b = gh_image_plane(rgb, 2) + off, *a = alpha ? alpha->data + off : NULL;
    int simd = 0;
#if GH_IO_X86
    /* The library-wide switch (GH_OPS_NO_SIMD=1, gh_ops_simd_enable) covers this too. */
    simd = gh_ops_simd_active();
    if (simd && a)
        pack4_avx2(r, g, b, a, width, dst);
    else if (simd)
        pack3_avx2(r, g, b, width, dst);
#endif
    if (!simd && a)
        pack4_generic(r, g, b, a, width, dst);
    else if (!simd)
        pack3_generic(r, g, b, width, dst);
}

/* JPEG's YCbCr (JFIF: full range, BT.601 weights) straight from the float planes,
 * so libjpeg skips its own color conversion and downsampling (raw data input):
 * the planes are read once and the work vectorizes like the packing above. The
 * samples are clamped to [0, 1] first, as for every other encoder input. */
#define Y_R 0.299f
#define Y_G 0.587f
#define Y_B 0.114f
#define CB_R (-0.168735892f)
#define CB_G (-0.331264108f)
#define CB_B 0.5f
#define CR_R 0.5f
#define CR_G (-0.418687589f)
#define CR_B (-0.081312411f)

/* v in [0, 255.5]: rounded to nearest, 255 at most. */
static inline __attribute__((always_inline)) unsigned char round8(float v)
{
    v += 0.5f;
    v = v < 255.0f ? v : 255.0f;
    return (unsigned char)(int)v;
}

static inline __attribute__((always_inline)) void
luma_body(const float *restrict r, const float *restrict g, const float *restrict b, size_t width,
          unsigned char *restrict y)
{
    for (size_t x = 0; x < width; x++) {
        float vr = r[x], vg = g[x], vb = b[x];
        vr = vr > 0.0f ? vr : 0.0f;
        vg = vg > 0.0f ? vg : 0.0f;
        vb = vb > 0.0f ? vb : 0.0f;
        vr = vr < 1.0f ? vr : 1.0f;
        vg = vg < 1.0f ? vg : 1.0f;
        vb = vb < 1.0f ? vb : 1.0f;
        y[x] = round8((Y_R * 255.0f) * vr + (Y_G * 255.0f) * vg + (Y_B * 255.0f) * vb);
    }
}

/* Cb and Cr of n samples; each is the mean of `taps` pixels whose clamped sums
 * are in sr/sg/sb (scale = 255 / taps). */
static inline __attribute__((always_inline)) void
chroma_body(const float *restrict sr, const float *restrict sg, const float *restrict sb,
            size_t n, float scale, unsigned char *restrict cb, unsigned char *restrict cr)
{
    for (size_t x = 0; x < n; x++) {
        float vr = sr[x] * scale, vg = sg[x] * scale, vb = sb[x] * scale;
        cb[x] = round8(CB_R * vr + CB_G * vg + CB_B * vb + 128.0f);
        cr[x] = round8(CR_R * vr + CR_G * vg + CR_B * vb + 128.0f);
    }
}

/* Clamped sums over 2x2 blocks of two rows (4:2:0), n = width / 2 full blocks. */
static inline __attribute__((always_inline)) void
sum2x2_body(const float *restrict p0, const float *restrict p1, size_t n, float *restrict s)
{
    for (size_t x = 0; x < n; x++) {
        float a = p0[2 * x], b = p0[2 * x + 1], c = p1[2 * x], d = p1[2 * x + 1];
        a = a > 0.0f ? a : 0.0f;
        b = b > 0.0f ? b : 0.0f;
        c = c > 0.0f ? c : 0.0f;
        d = d > 0.0f ? d : 0.0f;
        a = a < 1.0f ? a : 1.0f;
        b = b < 1.0f ? b : 1.0f;
        c = c < 1.0f ? c : 1.0f;
        d = d < 1.0f ? d : 1.0f;
        s[x] = (a + b) + (c + d);
    }
}

/* Clamped copy (4:4:4 chroma works on single pixels). */
static inline __attribute__((always_inline)) void clamp_body(const float *restrict p, size_t n,
                                                             float *restrict s)
{
    for (size_t x = 0; x < n; x++) {
        float a = p[x];
        a = a > 0.0f ? a : 0.0f;
        s[x] = a < 1.0f ? a : 1.0f;
    }
}

/* NOLINTBEGIN(bugprone-macro-parentheses): attr is an attribute list put before
 * the declaration (empty or __attribute__((target(...)))), not an expression. */
#define YCC_VARIANT(suffix, attr)                                                                 \
    attr static void luma_##suffix(const float *r, const float *g, const float *b, size_t width,  \
                                   unsigned char *y)                                              \
    {                                                                                             \
        luma_body(r, g, b, width, y);                                                             \
    }                                                                                             \
    attr static void chroma_##suffix(const float *sr, const float *sg, const float *sb, size_t n, \
                                     float scale, unsigned char *cb, unsigned char *cr)           \
    {                                                                                             \
        chroma_body(sr, sg, sb, n, scale, cb, cr);                                                \
    }                                                                                             \
    attr static void sum2x2_##suffix(const float *p0, const float *p1, size_t n, float *s)        \
    {                                                                                             \
        sum2x2_body(p0, p1, n, s);                                                                \
    }                                                                                             \
    attr static void clamp_##suffix(const float *p, size_t n, float *s)                           \
    {                                                                                             \
        clamp_body(p, n, s);                                                                      \
    }
/* NOLINTEND(bugprone-macro-parentheses) */

YCC_VARIANT(generic, )
#if GH_IO_X86
/* AVX2 without FMA: both variants round identically, so output does not depend
 * on the machine. */
YCC_VARIANT(avx2, __attribute__((target("avx2"))))
#endif

void gh_io_ycc_rows(const struct gh_image *rgb, int y0, int subsampled, float *scratch,
                    unsigned char *luma0, unsigned char *luma1, unsigned char *cb,
                    unsigned char *cr)
{
    size_t width = (size_t)rgb->width, plane = (size_t)rgb->height * width;
    int last = rgb->height - 1, y1 = y0 + 1 <= last ? y0 + 1 : last;
    const float *row0 = rgb->data + (size_t)y0 * width, *row1 = rgb->data + (size_t)y1 * width;
    size_t n = subsampled ? width / 2 : width;
    float *s[3] = {scratch, scratch + width, scratch + 2 * width};
    void (*luma)(const float *, const float *, const float *, size_t, unsigned char *) =
        luma_generic;
    void (*chroma)(const float *, const float *, const float *, size_t, float, unsigned char *,
                   unsigned char *) = chroma_generic;
    void (*sum2x2)(const float *, const float *, size_t, float *) = sum2x2_generic;
    void (*clampf)(const float *, size_t, float *) = clamp_generic;
#if GH_IO_X86
    if (gh_ops_simd_active()) {
        luma = luma_avx2;
        chroma = chroma_avx2;
        sum2x2 = sum2x2_avx2;
        clampf = clamp_avx2;
    }
#endif
    luma(row0, row0 + plane, row0 + 2 * plane, width, luma0);
    if (subsampled && luma1)
        luma(row1, row1 + plane, row1 + 2 * plane, width, luma1);
    for (int c = 0; c < 3; c++) {
        if (subsampled) {
            sum2x2(row0 + (size_t)c * plane, row1 + (size_t)c * plane, n, s[c]);
            if (width & 1) { /* the last column alone, counted twice */
                float a = row0[(size_t)c * plane + width - 1], b = row1[(size_t)c * plane + width - 1];
                a = a > 0.0f ? (a < 1.0f ? a : 1.0f) : 0.0f;
                b = b > 0.0f ? (b < 1.0f ? b : 1.0f) : 0.0f;
                s[c][n] = 2.0f * (a + b);
            }
        } else {
            clampf(row0 + (size_t)c * plane, n, s[c]);
        }
    }
    size_t count = subsampled ? n + (width & 1) : n;
    chroma(s[0], s[1], s[2], count, subsampled ? 255.0f / 4.0f : 255.0f, cb, cr);
}
