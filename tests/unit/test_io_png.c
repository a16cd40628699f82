/* PNG decoding of every color type / bit depth / interlace, the PNG encoder's
 * round trip, and PNG error handling (truncation, CRC, size limits). */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/io.h"
#include "ghiblify/ops.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Deterministic pseudo-random sample of (x, y, c). */
static unsigned sample_hash(int x, int y, int c, unsigned seed)
{
    uint32_t h = (uint32_t)x * 73856093u ^ (uint32_t)y * 19349663u ^ (uint32_t)c * 83492791u ^ seed;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return h;
}

static int channels_of(int color)
{
    switch (color) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_PALETTE: return 1;
    case PNG_COLOR_TYPE_RGB: return 3;
    default: return 4;
    }
}

struct flavor {
    const char *name;
    int depth, color, interlace;
    int npalette, ntrns; /* palette entries; palette alpha entries */
    int gray_key;        /* gray: use a tRNS transparent gray value */
};

/* Writes a PNG of the flavor with pseudo-random samples, decodes it with
 * gh_io_decode and checks every value equals sample / (2^depth - 1) after the
 * documented expansions (gray -> 3 equal planes, palette lookup, tRNS -> alpha). */
static void check_flavor(const struct flavor *f, int width, int height)
{
    int ch = channels_of(f->color);
    unsigned maxv = (1u << f->depth) - 1;
    unsigned *s = calloc((size_t)width * height * ch, sizeof *s);
    unsigned char **rows = malloc(sizeof *rows * (size_t)height);
    size_t rowbytes = ((size_t)width * ch * f->depth + 7) / 8;
    png_color palette[256];
    png_byte trns[256];
    for (int i = 0; i < f->npalette; i++) {
        palette[i].red = (png_byte)sample_hash(i, 0, 0, 7);
        palette[i].green = (png_byte)sample_hash(i, 0, 1, 7);
        palette[i].blue = (png_byte)sample_hash(i, 0, 2, 7);
    }
    for (int i = 0; i < f->ntrns; i++)
        trns[i] = (png_byte)(i == 0 ? 0 : sample_hash(i, 1, 3, 9));
    for (int y = 0; y < height; y++) {
        rows[y] = calloc(rowbytes, 1);
        for (int x = 0; x < width; x++) {
            for (int c = 0; c < ch; c++) {
                unsigned v = sample_hash(x, y, c, 1234);
                v = f->npalette ? v % (unsigned)f->npalette : v & maxv;
                s[((size_t)y * width + x) * ch + c] = v;
                size_t bit = ((size_t)x * ch + c) * f->depth;
                if (f->depth == 16) {
                    rows[y][bit / 8] = (unsigned char)(v >> 8);
                    rows[y][bit / 8 + 1] = (unsigned char)v;
                } else {
                    rows[y][bit / 8] |= (unsigned char)(v << (8 - f->depth - bit % 8));
                }
            }
        }
    }
    png_color_16 key = {0};
    key.gray = (png_uint_16)s[0]; /* pixel (0, 0) becomes transparent */
    struct tpng p = {width, height, f->depth, f->color, f->interlace,
                     f->npalette ? palette : NULL, f->npalette,
                     f->ntrns ? trns : NULL, f->ntrns, f->gray_key ? &key : NULL, rows};
    struct tbuf buf = {0};
    test_png_write(&p, &buf);

    struct gh_picture *pic = NULL;
    enum gh_status st = gh_io_decode(buf.data, buf.size, GH_IO_DEFAULT_MAX_PIXELS, &pic);
    CHECK_MSG(st == GH_OK, "%s: %s", f->name, gh_error_detail());
    if (st == GH_OK) {
        int want_alpha = f->color == PNG_COLOR_TYPE_GRAY_ALPHA ||
                         f->color == PNG_COLOR_TYPE_RGB_ALPHA || f->ntrns || f->gray_key;
        int want_depth = f->depth == 16 ? 16 : 8;
        CHECK_MSG(pic->format == GH_FORMAT_PNG, "%s", f->name);
        CHECK_MSG(pic->bit_depth == want_depth, "%s: bit_depth %d", f->name, pic->bit_depth);
        CHECK_MSG(pic->orientation == 1, "%s", f->name);
        CHECK_MSG(pic->rgb->width == width && pic->rgb->height == height &&
                      pic->rgb->channels == 3, "%s", f->name);
        CHECK_MSG((pic->alpha != NULL) == want_alpha, "%s: alpha %p", f->name, (void *)pic->alpha);
        /* Sub-byte gray is scaled to 8 bits by replicating the bits (v * 255 / maxv). */
        float scale = f->depth == 16 ? 65535.0f : 255.0f;
        unsigned up = f->depth < 8 && !f->npalette ? 255 / maxv : 1;
        size_t bad = 0, bad_alpha = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                const unsigned *px = s + ((size_t)y * width + x) * ch;
                unsigned r, g, b, a = f->depth == 16 ? 65535 : 255;
                if (f->npalette) {
                    r = palette[px[0]].red;
                    g = palette[px[0]].green;
                    b = palette[px[0]].blue;
                    if ((int)px[0] < f->ntrns)
                        a = trns[px[0]];
                } else if (ch <= 2) {
                    r = g = b = px[0] * up;
                    if (ch == 2)
                        a = px[1];
                    if (f->gray_key && px[0] == key.gray)
                        a = 0;
                } else {
                    r = px[0];
                    g = px[1];
                    b = px[2];
                    if (ch == 4)
                        a = px[3];
                }
                size_t i = (size_t)y * width + x, n = (size_t)width * height;
                const float *d = pic->rgb->data;
                if (d[i] != (float)r / scale || d[n + i] != (float)g / scale ||
                    d[2 * n + i] != (float)b / scale)
                    bad++;
                if (pic->alpha && pic->alpha->data[i] != (float)a / scale)
                    bad_alpha++;
            }
        }
        CHECK_MSG(bad == 0, "%s: %zu pixels differ", f->name, bad);
        CHECK_MSG(bad_alpha == 0, "%s: %zu alpha values differ", f->name, bad_alpha);
    }
    gh_picture_free(pic);
    for (int y = 0; y < height; y++)
        free(rows[y]);
    free(rows);
    free(s);
    free(buf.data);
}

static void test_flavors(void)
{
    const int I = PNG_INTERLACE_ADAM7, N = PNG_INTERLACE_NONE;
    const struct flavor flavors[] = {
        {"gray 1", 1, PNG_COLOR_TYPE_GRAY, N, 0, 0, 0},
        {"gray 2", 2, PNG_COLOR_TYPE_GRAY, N, 0, 0, 0},
        {"gray 4", 4, PNG_COLOR_TYPE_GRAY, N, 0, 0, 0},
        {"gray 8", 8, PNG_COLOR_TYPE_GRAY, N, 0, 0, 0},
        {"gray 16", 16, PNG_COLOR_TYPE_GRAY, N, 0, 0, 0},
        {"gray 8 tRNS", 8, PNG_COLOR_TYPE_GRAY, N, 0, 0, 1},
        {"gray 16 tRNS", 16, PNG_COLOR_TYPE_GRAY, N, 0, 0, 1},
        {"gray+alpha 8", 8, PNG_COLOR_TYPE_GRAY_ALPHA, N, 0, 0, 0},
        {"gray+alpha 16", 16, PNG_COLOR_TYPE_GRAY_ALPHA, N, 0, 0, 0},
        {"palette 1", 1, PNG_COLOR_TYPE_PALETTE, N, 2, 0, 0},
        {"palette 2", 2, PNG_COLOR_TYPE_PALETTE, N, 4, 0, 0},
        {"palette 4", 4, PNG_COLOR_TYPE_PALETTE, N, 16, 0, 0},
        {"palette 8", 8, PNG_COLOR_TYPE_PALETTE, N, 200, 0, 0},
        {"palette 8 tRNS", 8, PNG_COLOR_TYPE_PALETTE, N, 200, 37, 0},
        {"palette 2 tRNS", 2, PNG_COLOR_TYPE_PALETTE, N, 4, 2, 0},
        {"rgb 8", 8, PNG_COLOR_TYPE_RGB, N, 0, 0, 0},
        {"rgb 16", 16, PNG_COLOR_TYPE_RGB, N, 0, 0, 0},
        {"rgba 8", 8, PNG_COLOR_TYPE_RGB_ALPHA, N, 0, 0, 0},
        {"rgba 16", 16, PNG_COLOR_TYPE_RGB_ALPHA, N, 0, 0, 0},
        {"adam7 rgb 8", 8, PNG_COLOR_TYPE_RGB, I, 0, 0, 0},
        {"adam7 rgba 16", 16, PNG_COLOR_TYPE_RGB_ALPHA, I, 0, 0, 0},
        {"adam7 gray 4", 4, PNG_COLOR_TYPE_GRAY, I, 0, 0, 0},
        {"adam7 palette 8 tRNS", 8, PNG_COLOR_TYPE_PALETTE, I, 100, 50, 0},
    };
    for (size_t i = 0; i < sizeof flavors / sizeof flavors[0]; i++) {
        check_flavor(&flavors[i], 13, 11); /* odd sizes exercise partial bytes and passes */
        check_flavor(&flavors[i], 1, 1);
    }
}

/* gh_io_encode(PNG) then gh_io_decode: values come back as round(clamp(v) * 255) / 255. */
static void test_encode_roundtrip(void)
{
    const int w = 37, h = 23;
    struct gh_image *rgb = NULL, *alpha = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &rgb));
    CHECK_OK(gh_image_new(w, h, 1, &alpha));
    if (!rgb || !alpha)
        return;
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < 3 * n; i++)
        rgb->data[i] = (float)(sample_hash((int)i, 1, 2, 3) % 100000) / 80000.0f - 0.1f;
    for (size_t i = 0; i < n; i++)
        alpha->data[i] = (float)(sample_hash((int)i, 4, 5, 6) % 1000) / 999.0f;
    rgb->data[0] = NAN;
    rgb->data[1] = -3.0f;
    rgb->data[2] = 7.0f;
    rgb->data[3] = 0.5f / 255.0f + 1e-4f; /* rounds up to 1 */
    rgb->data[4] = 0.5f / 255.0f - 1e-4f; /* rounds down to 0 */

    alpha->data[5] = NAN;
    alpha->data[6] = -1.0f;
    alpha->data[7] = 2.0f;

    /* Both compression settings, and the row packing with and without alpha, on
     * the AVX2 path (where the CPU has it) and the portable one (37 is not a
     * multiple of any vector width, so tails are covered). */
    for (int k = 0; k < 8; k++) {
        int with_alpha = k & 1;
        gh_ops_simd_enable(!(k & 4));
        struct gh_encode_options opt;
        gh_io_encode_defaults(&opt);
        opt.png = k & 2 ? GH_PNG_SMALL : GH_PNG_FAST;
        unsigned char *data = NULL;
        size_t size = 0;
        struct gh_picture *pic = NULL;
        CHECK_OK(gh_io_encode_with(rgb, with_alpha ? alpha : NULL, GH_FORMAT_PNG, &opt, &data,
                                   &size));
        CHECK(gh_io_sniff(data, size) == GH_FORMAT_PNG);
        CHECK_OK(gh_io_decode(data, size, 0, &pic));
        if (pic) {
            CHECK(pic->bit_depth == 8);
            CHECK((pic->alpha != NULL) == with_alpha);
            size_t bad = 0;
            for (size_t i = 0; i < 3 * n; i++) {
                float v = rgb->data[i];
                float want = !(v > 0) ? 0.0f : v >= 1 ? 1.0f : floorf(v * 255.0f + 0.5f) / 255.0f;
                if (pic->rgb->data[i] != want)
                    bad++;
            }
            CHECK_MSG(bad == 0, "%zu values differ", bad);
            CHECK(pic->rgb->data[0] == 0.0f && pic->rgb->data[1] == 0.0f);
            CHECK(pic->rgb->data[2] == 1.0f);
            CHECK(pic->rgb->data[3] == 1.0f / 255.0f && pic->rgb->data[4] == 0.0f);
            if (pic->alpha) {
                bad = 0;
                for (size_t i = 0; i < n; i++) {
                    float v = alpha->data[i];
                    float want = !(v > 0) ? 0.0f : v >= 1 ? 1.0f : floorf(v * 255.0f + 0.5f) / 255.0f;
                    if (pic->alpha->data[i] != want)
                        bad++;
                }
                CHECK_MSG(bad == 0, "%zu alpha values differ", bad);
            }
        }
        gh_picture_free(pic);
        free(data);
    }
    gh_ops_simd_enable(1);
    /* Argument checks. */
    unsigned char *data = (unsigned char *)1;
    size_t size = 1;
    struct gh_image *small = NULL;
    CHECK_OK(gh_image_new(5, 5, 1, &small));
    CHECK(gh_io_encode(rgb, small, GH_FORMAT_PNG, 0, &data, &size) == GH_ERR_ARGUMENT);
    CHECK(data == NULL && size == 0);
    CHECK(gh_io_encode(alpha, NULL, GH_FORMAT_PNG, 0, &data, &size) == GH_ERR_ARGUMENT);
    CHECK(gh_io_encode(rgb, NULL, GH_FORMAT_UNKNOWN, 0, &data, &size) == GH_ERR_ARGUMENT);
    struct gh_encode_options bad_opt;
    gh_io_encode_defaults(&bad_opt);
    bad_opt.png = (enum gh_png_compression)9;
    CHECK(gh_io_encode_with(rgb, NULL, GH_FORMAT_PNG, &bad_opt, &data, &size) == GH_ERR_ARGUMENT);
    CHECK(strstr(gh_error_detail(), "PNG compression") != NULL);
    gh_image_free(small);
    gh_image_free(rgb);
    gh_image_free(alpha);
}

/* CRC-32 of PNG chunks (ISO 3309), written out here to build headers by hand. */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void add_chunk(struct tbuf *b, const char *type, const unsigned char *body, uint32_t n)
{
    unsigned char head[8], crc[4];
    put32(head, n);
    memcpy(head + 4, type, 4);
    tbuf_append(b, head, 8);
    tbuf_append(b, body, n);
    unsigned char *typed = malloc(n + 4);
    memcpy(typed, type, 4);
    if (n)
        memcpy(typed + 4, body, n);
    put32(crc, crc32_png(typed, n + 4));
    free(typed);
    tbuf_append(b, crc, 4);
}

/* A PNG whose header claims width x height but whose IDAT is a few bytes. */
static struct tbuf fake_png(uint32_t width, uint32_t height)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    struct tbuf b = {0};
    tbuf_append(&b, sig, 8);
    unsigned char ihdr[13] = {0};
    put32(ihdr, width);
    put32(ihdr + 4, height);
    ihdr[8] = 8; /* depth */
    ihdr[9] = 6; /* RGBA: the largest buffers */
    add_chunk(&b, "IHDR", ihdr, 13);
    static const unsigned char idat[] = {0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01};
    add_chunk(&b, "IDAT", idat, sizeof idat);
    add_chunk(&b, "IEND", NULL, 0);
    return b;
}

static void expect_fail(const unsigned char *data, size_t size, uint64_t max_pixels,
                        enum gh_status want, const char *needle, const char *what)
{
    struct gh_picture *pic = (struct gh_picture *)1;
    gh_error_clear();
    enum gh_status st = gh_io_decode(data, size, max_pixels, &pic);
    CHECK_MSG(st == want, "%s: got %s (%s)", what, gh_strerror(st), gh_error_detail());
    CHECK_MSG(pic == NULL, "%s", what);
    if (getenv("GH_TEST_VERBOSE"))
        printf("%s: %s\n", what, gh_error_detail());
    CHECK_MSG(strstr(gh_error_detail(), needle) != NULL, "%s: detail '%s' lacks '%s'", what,
              gh_error_detail(), needle);
    CHECK_MSG(!strchr(gh_error_detail(), '\n'), "%s: detail is one line", what);
    gh_picture_free(st == GH_OK ? pic : NULL);
}

/* The filter byte of every row of an 8-bit non-interlaced PNG made by our encoder
 * (IDAT chunks joined and inflated); returns the number of rows read. */
static int row_filters(const unsigned char *png, size_t size, int width, int channels,
                       unsigned char *filters, int height)
{
    unsigned char *idat = malloc(size);
    size_t idat_len = 0, pos = 8;
    while (idat && pos + 12 <= size) {
        size_t len = (size_t)png[pos] << 24 | (size_t)png[pos + 1] << 16 |
                     (size_t)png[pos + 2] << 8 | png[pos + 3];
        if (pos + 12 + len > size)
            break;
        if (!memcmp(png + pos + 4, "IDAT", 4)) {
            memcpy(idat + idat_len, png + pos + 8, len);
            idat_len += len;
        }
        pos += 12 + len;
    }
    size_t stride = 1 + (size_t)width * (size_t)channels;
    uLongf raw_len = (uLongf)(stride * (size_t)height);
    unsigned char *raw = malloc(raw_len);
    int rows = 0;
    if (idat && raw && uncompress(raw, &raw_len, idat, (uLong)idat_len) == Z_OK &&
        raw_len == stride * (size_t)height)
        for (; rows < height; rows++)
            filters[rows] = raw[(size_t)rows * stride];
    free(raw);
    free(idat);
    return rows;
}

/* GH_PNG_FAST writes every row with the Up filter; GH_PNG_SMALL lets libpng pick per
 * row, which on rows built to favor Up (a repeated ramp) and Sub (constant rows of
 * changing value) picks both and gives a smaller file. Both round-trip exactly. */
static void test_encode_filters(void)
{
    const int w = 64, h = 48;
    struct gh_image *rgb = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &rgb));
    if (!rgb)
        return;
    size_t n = (size_t)w * h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                rgb->data[(size_t)c * n + (size_t)y * w + x] =
                    y < h / 4 ? (float)((x * 4 + c * 50) % 256) / 255.0f
                              : (float)(sample_hash(y, c, 0, 0) % 256) / 255.0f;
    size_t sizes[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        struct gh_encode_options opt;
        gh_io_encode_defaults(&opt);
        opt.png = k ? GH_PNG_SMALL : GH_PNG_FAST;
        unsigned char *data = NULL, filters[48];
        size_t size = 0;
        CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_PNG, &opt, &data, &size));
        sizes[k] = size;
        CHECK(data && row_filters(data, size, w, 3, filters, h) == h);
        int count[5] = {0};
        for (int y = 0; y < h; y++)
            count[filters[y] < 5 ? filters[y] : 0]++;
        if (!k)
            CHECK_MSG(count[2] == h, "fast: %d of %d rows use Up", count[2], h);
        else
            CHECK_MSG(count[1] > 0 && count[2] > 0, "small: %d Sub rows, %d Up rows", count[1],
                      count[2]);
        struct gh_picture *pic = NULL;
        CHECK_OK(gh_io_decode(data, size, 0, &pic));
        size_t bad = 0;
        for (size_t i = 0; pic && i < 3 * n; i++)
            bad += pic->rgb->data[i] != rgb->data[i];
        CHECK_MSG(pic && bad == 0, "%zu values differ", bad);
        gh_picture_free(pic);
        free(data);
    }
    CHECK_MSG(sizes[1] < sizes[0], "small %zu bytes vs fast %zu", sizes[1], sizes[0]);
    gh_image_free(rgb);
}

static void test_errors(void)
{
    /* A real PNG of 64x64 RGB noise (so IDAT is large) for truncation and CRC. */
    struct gh_image *rgb = NULL;
    CHECK_OK(gh_image_new(64, 64, 3, &rgb));
    for (size_t i = 0; i < 3 * 64 * 64; i++)
        rgb->data[i] = (float)(sample_hash((int)i, 0, 0, 1) & 255) / 255.0f;
    unsigned char *png = NULL, *fast = NULL;
    size_t size = 0, fast_size = 0;
    /* GH_PNG_SMALL goes through libpng, which cuts IDAT into 8 KB chunks, so a
     * flipped byte meets the chunk's CRC check before inflate's Adler-32 check. */
    struct gh_encode_options opt;
    gh_io_encode_defaults(&opt);
    opt.png = GH_PNG_SMALL;
    CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_PNG, &opt, &png, &size));
    CHECK_OK(gh_io_encode(rgb, NULL, GH_FORMAT_PNG, 0, &fast, &fast_size));
    gh_image_free(rgb);

    /* Our own writer (GH_PNG_FAST, one IDAT here): any flipped byte after the
     * signature is caught, by a chunk CRC or by zlib's checks. */
    for (size_t at = 8; fast && at < fast_size; at += 97) {
        fast[at] ^= 0x40;
        struct gh_picture *pic = NULL;
        enum gh_status st = gh_io_decode(fast, fast_size, 0, &pic);
        CHECK_MSG(st != GH_OK, "flipped byte %zu of %zu decoded", at, fast_size);
        gh_picture_free(pic);
        fast[at] ^= 0x40;
    }
    free(fast);

    expect_fail(png, size / 2, 0, GH_ERR_FORMAT, "truncated PNG data", "truncated at half");
    expect_fail(png, 30, 0, GH_ERR_FORMAT, "truncated PNG data", "truncated in IHDR");
    expect_fail(png, 8, 0, GH_ERR_FORMAT, "truncated PNG data", "signature only");

    /* Flip one byte of the IDAT chunk's data: libpng's CRC check must catch it. */
    unsigned char *bad = malloc(size);
    memcpy(bad, png, size);
    size_t at = 8;
    while (at + 8 <= size && memcmp(bad + at + 4, "IDAT", 4) != 0)
        at += 12 + ((size_t)bad[at] << 24 | (size_t)bad[at + 1] << 16 | (size_t)bad[at + 2] << 8 |
                    bad[at + 3]);
    CHECK(at + 8 < size);
    bad[at + 8 + 10] ^= 0x40;
    expect_fail(bad, size, 0, GH_ERR_FORMAT, "CRC error", "IDAT CRC");
    free(bad);

    /* 60000x60000 (3.6 GP) with a tiny body: refused from the header alone; had it
     * allocated first, 43 GB of planes would have failed differently. */
    struct tbuf big = fake_png(60000, 60000);
    expect_fail(big.data, big.size, GH_IO_DEFAULT_MAX_PIXELS, GH_ERR_TOO_LARGE,
                "image is 60000x60000 (3600.0 MP), over the limit of 100.0 MP (--max-pixels)",
                "60000x60000");
    free(big.data);
    /* Under the side limit but over a small pixel limit. */
    struct tbuf mid = fake_png(3000, 2000);
    expect_fail(mid.data, mid.size, 5000000, GH_ERR_TOO_LARGE, "(6.0 MP), over the limit of 5.0 MP",
                "max_pixels");
    free(mid.data);
    /* A side over GH_IMAGE_MAX_SIDE, even with few pixels in total. */
    struct tbuf wide = fake_png(70000, 1);
    expect_fail(wide.data, wide.size, 0, GH_ERR_TOO_LARGE, "70000x1", "wide");
    free(wide.data);
    /* The largest width PNG allows still gets our limit's message, not libpng's. */
    struct tbuf w31 = fake_png(0x7fffffffu, 1);
    expect_fail(w31.data, w31.size, 0, GH_ERR_TOO_LARGE, "over the limit of 65535 pixels a side",
                "2^31-1 wide");
    free(w31.data);
    struct tbuf w32 = fake_png(0x80000000u, 1);
    expect_fail(w32.data, w32.size, 0, GH_ERR_FORMAT, "out of range", "2^31 wide");
    free(w32.data);
    struct tbuf zw = fake_png(0, 16);
    expect_fail(zw.data, zw.size, 0, GH_ERR_FORMAT, "width is zero", "zero width");
    free(zw.data);
    struct tbuf zh = fake_png(16, 0);
    expect_fail(zh.data, zh.size, 0, GH_ERR_FORMAT, "height is zero", "zero height");
    free(zh.data);
    /* The construction itself is a valid PNG: at 1x1 (5 zero bytes in IDAT) it decodes. */
    struct tbuf one = fake_png(1, 1);
    struct gh_picture *pic = NULL;
    CHECK_OK(gh_io_decode(one.data, one.size, 0, &pic));
    CHECK(pic && pic->alpha && pic->alpha->data[0] == 0.0f && pic->rgb->data[0] == 0.0f);
    gh_picture_free(pic);
    free(one.data);

    free(png);
}

/* libpng's warnings and errors never reach stderr: a damaged ancillary chunk
 * (a warning; the image still decodes) and a damaged IDAT (an error). */
static void test_silent(void)
{
    struct gh_image *rgb = NULL;
    CHECK_OK(gh_image_new(16, 16, 3, &rgb));
    unsigned char *png = NULL, *fast = NULL;
    size_t size = 0, fast_size = 0;
    /* GH_PNG_SMALL goes through libpng, which cuts IDAT into 8 KB chunks, so a
     * flipped byte meets the chunk's CRC check before inflate's Adler-32 check. */
    struct gh_encode_options opt;
    gh_io_encode_defaults(&opt);
    opt.png = GH_PNG_SMALL;
    CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_PNG, &opt, &png, &size));
    CHECK_OK(gh_io_encode(rgb, NULL, GH_FORMAT_PNG, 0, &fast, &fast_size));
    gh_image_free(rgb);

    /* Our own writer (GH_PNG_FAST, one IDAT here): any flipped byte after the
     * signature is caught, by a chunk CRC or by zlib's checks. */
    for (size_t at = 8; fast && at < fast_size; at += 97) {
        fast[at] ^= 0x40;
        struct gh_picture *pic = NULL;
        enum gh_status st = gh_io_decode(fast, fast_size, 0, &pic);
        CHECK_MSG(st != GH_OK, "flipped byte %zu of %zu decoded", at, fast_size);
        gh_picture_free(pic);
        fast[at] ^= 0x40;
    }
    free(fast);
    /* Insert a tEXt chunk with a wrong CRC right after IHDR (8 + 25 bytes). */
    struct tbuf b = {0};
    tbuf_append(&b, png, 33);
    static const unsigned char text[] = {0, 0, 0, 5, 't', 'E', 'X', 't', 'a', 0, 'b', 'c', 'd',
                                         0xde, 0xad, 0xbe, 0xef};
    tbuf_append(&b, text, sizeof text);
    tbuf_append(&b, png + 33, size - 33);
    struct gh_picture *pic = NULL;
    struct stderr_capture cap = stderr_capture_begin();
    enum gh_status st_warn = gh_io_decode(b.data, b.size, 0, &pic);
    gh_picture_free(pic);
    pic = NULL;
    b.data[b.size - 12 - 5] ^= 1; /* inside the last IDAT's CRC */
    enum gh_status st_err = gh_io_decode(b.data, b.size, 0, &pic);
    long printed = stderr_capture_end(cap);
    CHECK_MSG(st_warn == GH_OK, "bad tEXt CRC: %s", gh_strerror(st_warn));
    CHECK_MSG(st_err == GH_ERR_FORMAT, "bad IDAT CRC: %s", gh_strerror(st_err));
    CHECK_MSG(printed == 0, "%ld bytes printed to stderr", printed);
    gh_picture_free(pic);
    free(b.data);
    free(png);
}

/* gh_io_encode_gray16 (--depth-out's maps): each value v becomes the 16-bit
 * sample round(65535 v), clamped to [0, 1] (NaN: 0). Read back here with zlib
 * alone (IHDR, the IDAT stream, filter-None rows), not with our decoder.
 * Values a third and two thirds between two samples tell rounding from
 * truncation. */
static void test_gray16(void)
{
    enum { W = 64, H = 3 };
    struct gh_image *img = NULL;
    CHECK_OK(gh_image_new(W, H, 1, &img));
    if (!img)
        return;
    unsigned want[W * H];
    for (int i = 0; i < W * H; i++) {
        unsigned k = (unsigned)(i * 1021 % 65000);
        double f = i % 2 ? 0.7 : 0.3;
        img->data[i] = (float)((k + f) / 65535.0);
        want[i] = k + (f > 0.5);
    }
    img->data[0] = -0.5f, want[0] = 0;
    img->data[1] = 2.0f, want[1] = 65535;
    img->data[2] = NAN, want[2] = 0;
    img->data[3] = 1.0f, want[3] = 65535;
    unsigned char *png = NULL;
    size_t size = 0;
    CHECK_OK(gh_io_encode_gray16(img, &png, &size));
    unsigned char *idat = malloc(size), raw[H * (1 + 2 * W)];
    size_t idat_len = 0, at = 8;
    int ok = png && idat && size > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0;
    while (ok && at + 12 <= size) {
        uint32_t n = (uint32_t)png[at] << 24 | (uint32_t)png[at + 1] << 16 | (uint32_t)png[at + 2] << 8 | png[at + 3];
        const unsigned char *type = png + at + 4, *body = png + at + 8;
        if (at + 12 + n > size)
            break;
        if (!memcmp(type, "IHDR", 4))
            ok = n == 13 && body[3] == W && body[7] == H && body[8] == 16 && body[9] == 0;
        else if (!memcmp(type, "IDAT", 4))
            memcpy(idat + idat_len, body, n), idat_len += n;
        at += 12 + n;
    }
    uLongf raw_len = sizeof raw;
    ok = ok && uncompress(raw, &raw_len, idat, idat_len) == Z_OK && raw_len == sizeof raw;
    CHECK_MSG(ok, "gray16 PNG not readable by zlib");
    int bad = 0;
    for (int y = 0; ok && y < H; y++) {
        const unsigned char *row = raw + (size_t)y * (1 + 2 * W);
        CHECK(row[0] == 0);
        for (int x = 0; x < W; x++) {
            unsigned got = (unsigned)row[1 + 2 * x] << 8 | row[2 + 2 * x];
            if (got != want[y * W + x] && bad++ < 5)
                CHECK_MSG(0, "gray16 sample %d: %u, expected %u (value %.9g)", y * W + x, got, want[y * W + x],
                          img->data[y * W + x]);
        }
    }
    CHECK_MSG(bad == 0, "%d gray16 samples wrong", bad);
    free(png);
    free(idat);
    gh_image_free(img);
}

int main(void)
{
    test_silent();
    test_flavors();
    test_encode_roundtrip();
    test_encode_filters();
    test_errors();
    test_gray16();
    return check_finish();
}
