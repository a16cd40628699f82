/* JPEG decoding (baseline, progressive, grayscale, CMYK with and without the
 * Adobe marker, arithmetic-coded), the JPEG encoder's round trip and settings,
 * and JPEG errors (an arithmetic-coded file cut at every byte is refused). */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/io.h"
#include "ghiblify/ops.h"

#include <math.h>
#include <stdint.h>

/* A smooth, colorful test pattern (JPEG-friendly) as interleaved RGB bytes. */
static unsigned char *pattern(int w, int h)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = px + ((size_t)y * w + x) * 3;
            p[0] = (unsigned char)(255 * x / (w - 1));
            p[1] = (unsigned char)(255 * y / (h - 1));
            p[2] = (unsigned char)(128 + 100 * sin(x * 0.1) * cos(y * 0.13));
        }
    return px;
}

/* Our decode must equal libjpeg's own decode of the same bytes (value / 255),
 * with gray replicated to three planes. */
static void check_same_as_libjpeg(const unsigned char *jpg, size_t size, int gray,
                                  const char *what)
{
    int w, h, comps;
    unsigned char *ref = test_jpeg_read(jpg, size, gray ? JCS_GRAYSCALE : JCS_RGB, &w, &h, &comps);
    struct gh_picture *pic = NULL;
    enum gh_status st = gh_io_decode(jpg, size, 0, &pic);
    CHECK_MSG(st == GH_OK, "%s: %s", what, gh_error_detail());
    CHECK_MSG(ref != NULL, "%s: libjpeg cannot read it", what);
    if (pic && ref) {
        CHECK_MSG(pic->format == GH_FORMAT_JPEG && pic->bit_depth == 8 && !pic->alpha &&
                      pic->orientation == 1, "%s", what);
        CHECK_MSG(pic->rgb->width == w && pic->rgb->height == h, "%s", what);
        size_t n = (size_t)w * h, bad = 0;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): libjpeg filled ref */
                if (pic->rgb->data[c * n + i] != (float)ref[i * comps + (gray ? 0 : c)] / 255.0f)
                    bad++;
        CHECK_MSG(bad == 0, "%s: %zu values differ from libjpeg", what, bad);
    }
    gh_picture_free(pic);
    free(ref);
}

/* Mean absolute difference, in 8-bit levels, between a decoded picture and
 * interleaved bytes (comps 1 or 3). */
static double mean_abs_levels(const struct gh_picture *pic, const unsigned char *px, int comps)
{
    size_t n = gh_image_plane_size(pic->rgb);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            sum += fabs(pic->rgb->data[c * n + i] * 255.0 - px[i * comps + (comps == 1 ? 0 : c)]);
    return sum / (3.0 * n);
}

static void test_decode_kinds(void)
{
    const int w = 67, h = 45; /* not multiples of the 8/16-pixel MCU */
    unsigned char *px = pattern(w, h);
    unsigned char *jpg;
    size_t size;
    struct gh_picture *pic = NULL;

    test_jpeg_write(w, h, 3, JCS_RGB, px, 92, 0, 0, -1, NULL, 0, &jpg, &size);
    check_same_as_libjpeg(jpg, size, 0, "baseline");
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    if (pic)
        CHECK_MSG(mean_abs_levels(pic, px, 3) < 2.0, "baseline error %.2f",
                  mean_abs_levels(pic, px, 3));
    gh_picture_free(pic);
    free(jpg);

    test_jpeg_write(w, h, 3, JCS_RGB, px, 92, 1, 1, -1, NULL, 0, &jpg, &size);
    check_same_as_libjpeg(jpg, size, 0, "progressive");
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    if (pic)
        CHECK_MSG(mean_abs_levels(pic, px, 3) < 2.0, "progressive error %.2f",
                  mean_abs_levels(pic, px, 3));
    gh_picture_free(pic);
    free(jpg);

    unsigned char *gray = malloc((size_t)w * h);
    for (size_t i = 0; i < (size_t)w * h; i++)
        gray[i] = px[i * 3 + 1];
    test_jpeg_write(w, h, 1, JCS_GRAYSCALE, gray, 92, 0, 0, -1, NULL, 0, &jpg, &size);
    check_same_as_libjpeg(jpg, size, 1, "grayscale");
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    if (pic) {
        CHECK_MSG(mean_abs_levels(pic, gray, 1) < 2.0, "grayscale error %.2f",
                  mean_abs_levels(pic, gray, 1));
        size_t n = gh_image_plane_size(pic->rgb), unequal = 0;
        for (size_t i = 0; i < n; i++)
            if (pic->rgb->data[i] != pic->rgb->data[n + i] ||
                pic->rgb->data[i] != pic->rgb->data[2 * n + i])
                unequal++;
        CHECK_MSG(unequal == 0, "gray planes differ at %zu pixels", unequal);
    }
    gh_picture_free(pic);
    free(jpg);
    free(gray);
    free(px);
}

/* CMYK: flat 16x16 blocks of known ink values. libjpeg writes an Adobe APP14
 * marker for CMYK by default, and by the Photoshop convention that marker means
 * inverted samples (255 = no ink): R = C'K'/255 with C' = 255 - ink. Without the
 * marker the samples are plain ink amounts: R = (255 - C)(255 - K)/255. */
static void test_cmyk(void)
{
    static const unsigned char inks[4][4] = {
        {0, 0, 0, 0}, {255, 0, 0, 0}, {0, 128, 255, 40}, {30, 60, 90, 200},
    };
    const int bs = 16, w = 4 * bs, h = bs;
    for (int adobe = 0; adobe <= 1; adobe++) {
        unsigned char *px = malloc((size_t)w * h * 4);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 4; c++) {
                    unsigned ink = inks[x / bs][c];
                    px[((size_t)y * w + x) * 4 + c] = (unsigned char)(adobe ? 255 - ink : ink);
                }
        unsigned char *jpg;
        size_t size;
        test_jpeg_write(w, h, 4, JCS_CMYK, px, 98, 1, 0, adobe ? -1 : 0, NULL, 0, &jpg, &size);
        /* Make sure the file is what the test claims: APP14 "Adobe" present or not. */
        int has_adobe = 0;
        for (size_t i = 0; i + 9 < size; i++)
            if (jpg[i] == 0xff && jpg[i + 1] == 0xee && !memcmp(jpg + i + 4, "Adobe", 5))
                has_adobe = 1;
        CHECK_MSG(has_adobe == adobe, "Adobe marker %d, wanted %d", has_adobe, adobe);
        struct gh_picture *pic = NULL;
        CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
        if (pic) {
            size_t n = gh_image_plane_size(pic->rgb);
            for (int b = 0; b < 4; b++) {
                size_t i = (size_t)(bs / 2) * w + (size_t)(b * bs + bs / 2);
                double k = 255.0 - inks[b][3];
                for (int c = 0; c < 3; c++) {
                    double want = (255.0 - inks[b][c]) * k / 255.0;
                    double got = pic->rgb->data[c * n + i] * 255.0;
                    CHECK_MSG(fabs(got - want) <= 3.0, "adobe %d block %d channel %d: %.1f vs %.1f",
                              adobe, b, c, got, want);
                }
            }
        }
        gh_picture_free(pic);
        free(jpg);
        free(px);
    }
}

/* Chroma subsampling of a JPEG's first component (1 = 4:4:4, 2 = 4:2:0). */
static int luma_sampling(const unsigned char *jpg, size_t size)
{
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, jpg, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    int s = d.comp_info[0].h_samp_factor * 10 + d.comp_info[0].v_samp_factor;
    jpeg_destroy_decompress(&d);
    return s;
}

/* The quantization and Huffman tables a JPEG's header declares. */
struct tables {
    UINT16 quant[2][DCTSIZE2];
    UINT8 bits[4][17];
    UINT8 values[4][256];
};

static int read_tables(const unsigned char *jpg, size_t size, struct tables *t)
{
    memset(t, 0, sizeof *t);
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    d.err = jpeg_std_error(&err);
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, jpg, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        if (!d.quant_tbl_ptrs[i] || !d.dc_huff_tbl_ptrs[i] || !d.ac_huff_tbl_ptrs[i]) {
            ok = 0;
            break;
        }
        memcpy(t->quant[i], d.quant_tbl_ptrs[i]->quantval, sizeof t->quant[i]);
        memcpy(t->bits[i], d.dc_huff_tbl_ptrs[i]->bits, 17);
        memcpy(t->values[i], d.dc_huff_tbl_ptrs[i]->huffval, 256);
        memcpy(t->bits[2 + i], d.ac_huff_tbl_ptrs[i]->bits, 17);
        memcpy(t->values[2 + i], d.ac_huff_tbl_ptrs[i]->huffval, 256);
    }
    jpeg_destroy_decompress(&d);
    return ok;
}

static void test_encode(void)
{
    const int w = 96, h = 64;
    unsigned char *px = pattern(w, h);
    struct gh_image *rgb = NULL, *alpha = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &rgb));
    CHECK_OK(gh_image_new(w, h, 1, &alpha));
    size_t n = (size_t)w * h;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            rgb->data[c * n + i] = px[i * 3 + c] / 255.0f;

    /* Default chroma 4:2:0 at every quality (4:4:4 was the default at q >= 90 once). */
    unsigned char *jpg = NULL;
    size_t size = 0;
    CHECK_OK(gh_io_encode(rgb, alpha, GH_FORMAT_JPEG, 95, &jpg, &size));
    CHECK(gh_io_sniff(jpg, size) == GH_FORMAT_JPEG);
    CHECK(luma_sampling(jpg, size) == 22);
    struct gh_picture *pic = NULL;
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    if (pic) {
        CHECK(pic->alpha == NULL); /* JPEG drops alpha */
        CHECK(pic->rgb->width == w && pic->rgb->height == h);
    }
    gh_picture_free(pic);
    free(jpg);

    /* --chroma 444: full-resolution color, decoded within a mean of 1.5 levels
     * (max 12) of the source; 4:2:0 of the same saturated pattern is worse. */
    struct gh_encode_options opt;
    gh_io_encode_defaults(&opt);
    CHECK(opt.quality == 92 && opt.chroma == GH_CHROMA_420 && opt.png == GH_PNG_FAST);
    double mean420 = 0;
    for (int chroma = 0; chroma < 2; chroma++) {
        opt.quality = 95;
        opt.chroma = chroma ? GH_CHROMA_444 : GH_CHROMA_420;
        CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_JPEG, &opt, &jpg, &size));
        CHECK(luma_sampling(jpg, size) == (chroma ? 11 : 22));
        CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
        if (pic) {
            double mean = mean_abs_levels(pic, px, 3), worst = 0;
            for (size_t i = 0; i < n; i++)
                for (int c = 0; c < 3; c++)
                    worst = fmax(worst, fabs(pic->rgb->data[c * n + i] * 255.0 - px[i * 3 + c]));
            if (!chroma) {
                mean420 = mean;
            } else {
                CHECK_MSG(mean < 1.5, "q95 4:4:4 mean abs error %.3f levels", mean);
                CHECK_MSG(worst <= 12, "q95 4:4:4 max error %.1f levels", worst);
                CHECK_MSG(mean < mean420, "4:4:4 error %.3f vs 4:2:0 %.3f", mean, mean420);
            }
        }
        gh_picture_free(pic);
        free(jpg);
    }

    /* Quality and chroma are honored and the Huffman tables are libjpeg's standard
     * ones (no optimize_coding pass): the header's quantization and Huffman tables
     * are those libjpeg writes with jpeg_set_defaults + jpeg_set_quality, and the
     * decoded pixels are within a fraction of a level of libjpeg's own encoding
     * of the same 8-bit pixels (ours converts to YCbCr from the floats). The
     * portable and AVX2 conversions give the same bytes. */
    const int qualities[] = {1, 50, 80, 92, 100};
    size_t prev_size = 0;
    for (int qi = 0; qi < 5; qi++)
        for (int chroma = 0; chroma < 2; chroma++) {
            opt.quality = qualities[qi];
            opt.chroma = chroma ? GH_CHROMA_444 : GH_CHROMA_420;
            CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_JPEG, &opt, &jpg, &size));
            int was = gh_ops_simd_enable(0);
            unsigned char *portable = NULL;
            size_t portable_size = 0;
            CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_JPEG, &opt, &portable, &portable_size));
            gh_ops_simd_enable(was);
            CHECK_MSG(jpg && portable && size == portable_size && !memcmp(jpg, portable, size),
                      "q%d chroma %d: SIMD and portable outputs differ", qualities[qi], chroma);
            free(portable);
            unsigned char *plain;
            size_t plain_size;
            test_jpeg_write(w, h, 3, JCS_RGB, px, qualities[qi], chroma, 0, -1, NULL, 0, &plain,
                            &plain_size);
            struct tables ours, theirs;
            CHECK(jpg && read_tables(jpg, size, &ours));
            CHECK(read_tables(plain, plain_size, &theirs));
            CHECK_MSG(!memcmp(&ours, &theirs, sizeof ours), "q%d chroma %d: tables differ",
                      qualities[qi], chroma);
            struct gh_picture *a = NULL, *b = NULL;
            CHECK_OK(gh_io_decode(jpg, size, 0, &a));
            CHECK_OK(gh_io_decode(plain, plain_size, 0, &b));
            if (a && b) {
                double diff = 0;
                for (size_t i = 0; i < 3 * n; i++)
                    diff += fabs(a->rgb->data[i] - b->rgb->data[i]) * 255.0;
                diff /= (double)(3 * n);
                CHECK_MSG(diff < (qualities[qi] >= 50 ? 0.6 : 3.0),
                          "q%d chroma %d: %.3f levels from libjpeg's own encoding",
                          qualities[qi], chroma, diff);
            }
            gh_picture_free(a);
            gh_picture_free(b);
            if (!chroma) {
                CHECK_MSG(size > prev_size, "q%d: %zu bytes, not above %zu", qualities[qi], size,
                          prev_size);
                prev_size = size;
            }
            free(plain);
            free(jpg);
        }

    /* Odd sizes pad the last block row and column and the 4:2:0 chroma edge: the
     * decoded image is as close to the source as libjpeg's own encoding of it. */
    const int sizes[][2] = {{1, 1}, {3, 2}, {17, 9}, {33, 31}};
    for (int k = 0; k < 4; k++)
        for (int chroma = 0; chroma < 2; chroma++) {
            int sw = sizes[k][0], sh = sizes[k][1];
            struct gh_image *small = NULL;
            CHECK_OK(gh_image_new(sw, sh, 3, &small));
            if (!small)
                continue;
            size_t sn = (size_t)sw * sh;
            /* One saturated color at quality 30: libjpeg's own error is a few levels,
             * and padding that differs from the edge rings into the image (at high
             * quality the step would be kept almost exactly and go unnoticed). */
            for (size_t i = 0; i < sn; i++) {
                small->data[i] = 0.9f;
                small->data[sn + i] = 0.2f;
                small->data[2 * sn + i] = 0.6f;
            }
            opt.quality = 30;
            opt.chroma = chroma ? GH_CHROMA_444 : GH_CHROMA_420;
            CHECK_OK(gh_io_encode_with(small, NULL, GH_FORMAT_JPEG, &opt, &jpg, &size));
            unsigned char *spx = malloc(3 * sn), *plain = NULL;
            size_t plain_size = 0;
            for (size_t i = 0; spx && i < sn; i++)
                for (int c = 0; c < 3; c++)
                    spx[i * 3 + (size_t)c] = (unsigned char)(small->data[(size_t)c * sn + i] * 255.0f + 0.5f);
            if (spx)
                test_jpeg_write(sw, sh, 3, JCS_RGB, spx, 30, chroma, 0, -1, NULL, 0, &plain,
                                &plain_size);
            struct gh_picture *ref = NULL;
            CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
            CHECK_OK(gh_io_decode(plain, plain_size, 0, &ref));
            if (pic && ref) {
                CHECK(pic->rgb->width == sw && pic->rgb->height == sh);
                double worst = 0, ref_worst = 0;
                for (size_t i = 0; i < 3 * sn; i++) {
                    worst = fmax(worst, fabs(pic->rgb->data[i] - small->data[i]) * 255.0);
                    ref_worst = fmax(ref_worst, fabs(ref->rgb->data[i] - small->data[i]) * 255.0);
                }
                CHECK_MSG(worst <= ref_worst + 2, "%dx%d chroma %d: max error %.1f levels, libjpeg's %.1f",
                          sw, sh, chroma, worst, ref_worst);
            }
            gh_picture_free(pic);
            gh_picture_free(ref);
            free(plain);
            free(spx);
            free(jpg);
            gh_image_free(small);
        }

    CHECK(gh_io_encode(rgb, NULL, GH_FORMAT_JPEG, 0, &jpg, &size) == GH_ERR_ARGUMENT);
    CHECK(jpg == NULL);
    CHECK(gh_io_encode(rgb, NULL, GH_FORMAT_JPEG, 101, &jpg, &size) == GH_ERR_ARGUMENT);
    CHECK(strstr(gh_error_detail(), "quality") != NULL);
    opt.quality = 90;
    opt.chroma = (enum gh_jpeg_chroma)7;
    CHECK(gh_io_encode_with(rgb, NULL, GH_FORMAT_JPEG, &opt, &jpg, &size) == GH_ERR_ARGUMENT);
    CHECK(strstr(gh_error_detail(), "chroma") != NULL);
    CHECK(jpg == NULL);
    opt.chroma = GH_CHROMA_444;

    /* A large encode grows the output buffer many times over. */
    struct gh_image *big = NULL;
    CHECK_OK(gh_image_new(800, 600, 3, &big));
    for (size_t i = 0; i < (size_t)800 * 600 * 3; i++)
        big->data[i] = (float)((i * 2654435761u) >> 24 & 255) / 255.0f;
    opt.quality = 100;
    CHECK_OK(gh_io_encode_with(big, NULL, GH_FORMAT_JPEG, &opt, &jpg, &size));
    CHECK(size > 1000000); /* noise at q100, 4:4:4, does not compress */
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    gh_picture_free(pic);
    free(jpg);
    gh_image_free(big);

    gh_image_free(rgb);
    gh_image_free(alpha);
    free(px);
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
}

static void test_errors(void)
{
    const int w = 64, h = 48;
    unsigned char *px = pattern(w, h);
    unsigned char *jpg;
    size_t size;
    test_jpeg_write(w, h, 3, JCS_RGB, px, 90, 0, 0, -1, NULL, 0, &jpg, &size);
    expect_fail(jpg, size / 2, 0, GH_ERR_FORMAT, "truncated JPEG data", "cut at half");
    expect_fail(jpg, 3, 0, GH_ERR_FORMAT, "truncated JPEG data", "SOI only");
    expect_fail(jpg, size, 1000, GH_ERR_TOO_LARGE,
                "image is 64x48 (0.0 MP), over the limit of 0.0 MP (--max-pixels)", "max_pixels");
    CHECK(jpg[0] == 0xff && jpg[1] == 0xd8);

    /* Progressive files truncated at half also fail (libjpeg would pad them). */
    free(jpg);
    test_jpeg_write(w, h, 3, JCS_RGB, px, 90, 0, 1, -1, NULL, 0, &jpg, &size);
    expect_fail(jpg, size / 2, 0, GH_ERR_FORMAT, "truncated JPEG data", "progressive cut");

    /* Zero height in SOF0: find the SOF0 marker and zero the height field. */
    size_t at = 2;
    while (at + 4 < size && !(jpg[at] == 0xff && (jpg[at + 1] == 0xc0 || jpg[at + 1] == 0xc2)))
        at += 2 + ((size_t)jpg[at + 2] << 8 | jpg[at + 3]);
    CHECK(at + 9 < size);
    unsigned char *bad = malloc(size);
    memcpy(bad, jpg, size);
    bad[at + 5] = bad[at + 6] = 0;
    expect_fail(bad, size, 0, GH_ERR_FORMAT, "zero width or height", "zero height");
    memcpy(bad, jpg, size);
    bad[at + 7] = bad[at + 8] = 0;
    expect_fail(bad, size, 0, GH_ERR_FORMAT, "zero width or height", "zero width");
    /* 12-bit samples (precision byte of SOF): valid JPEG, but not for this build. */
    memcpy(bad, jpg, size);
    bad[at + 4] = 12;
    expect_fail(bad, size, 0, GH_ERR_UNSUPPORTED, "precision 12", "12-bit");
    /* A JPEG header claiming 60000x60000: refused before any allocation. */
    memcpy(bad, jpg, size);
    bad[at + 5] = bad[at + 7] = 60000 >> 8;
    bad[at + 6] = bad[at + 8] = 60000 & 255;
    expect_fail(bad, size, 0, GH_ERR_TOO_LARGE, "image is 60000x60000 (3600.0 MP)", "60000^2");
    free(bad);

    static const unsigned char hello[] = "hello";
    expect_fail(hello, 5, 0, GH_ERR_FORMAT, "not a PNG, JPEG, WebP, HEIF or AVIF file", "hello");
    expect_fail(hello, 0, 0, GH_ERR_FORMAT, "empty file", "zero bytes");
    static const unsigned char junk[] = {0xff, 0xd8, 0xff, 0x00, 0x12, 0x34, 0x56, 0x78};
    expect_fail(junk, sizeof junk, 0, GH_ERR_FORMAT, "JPEG", "junk after SOI");
    free(jpg);
    free(px);
}

/* libjpeg's warnings and errors never reach stderr: damaged entropy data (a
 * warning; decoding goes on), a bad marker (an error) and truncation. */
static void test_silent(void)
{
    const int w = 64, h = 48;
    unsigned char *px = pattern(w, h);
    unsigned char *jpg;
    size_t size;
    test_jpeg_write(w, h, 3, JCS_RGB, px, 90, 0, 0, -1, NULL, 0, &jpg, &size);
    unsigned char *bad = malloc(size);
    memcpy(bad, jpg, size);
    /* An RST marker in the middle of the scan: "Corrupt JPEG data" warning. */
    bad[size - 200] = 0xff;
    bad[size - 199] = 0xd3;
    struct gh_picture *pic = NULL;
    struct stderr_capture cap = stderr_capture_begin();
    enum gh_status st_warn = gh_io_decode(bad, size, 0, &pic);
    gh_picture_free(pic);
    pic = NULL;
    memcpy(bad, jpg, size);
    size_t sof = 2;
    while (sof + 10 < size && !(bad[sof] == 0xff && bad[sof + 1] == 0xc0))
        sof += 2 + ((size_t)bad[sof + 2] << 8 | bad[sof + 3]);
    CHECK(sof + 10 < size);
    bad[sof + 9] = 2; /* component count disagreeing with the SOF length: fatal */
    enum gh_status st_err = gh_io_decode(bad, size, 0, &pic);
    enum gh_status st_cut = gh_io_decode(jpg, size - 100, 0, &pic);
    long printed = stderr_capture_end(cap);
    CHECK_MSG(st_warn == GH_OK, "damaged scan: %s", gh_strerror(st_warn));
    CHECK_MSG(st_err == GH_ERR_FORMAT, "bad marker: %s", gh_strerror(st_err));
    CHECK_MSG(st_cut == GH_ERR_FORMAT, "cut: %s", gh_strerror(st_cut));
    CHECK_MSG(printed == 0, "%ld bytes printed to stderr", printed);
    free(bad);
    free(jpg);
    free(px);
}

/* A progressive JPEG with more scans than any real encoder writes (one per
 * coefficient band and bit, 1135 in all) is refused rather than decoded scan by
 * scan; the same image with 757 scans still decodes. */
static unsigned char *many_scans_jpeg(int al, size_t *size, int *scans)
{
    const int w = 16, h = 16;
    unsigned char *px = pattern(w, h);
    jpeg_scan_info *script = calloc(1 + 3 * 63 * (size_t)(al + 1), sizeof *script);
    int n = 0;
    script[n].comps_in_scan = 3;
    for (int c = 0; c < 3; c++)
        script[n].component_index[c] = c;
    n++; /* DC of all components, full precision */
    for (int c = 0; c < 3; c++)
        for (int k = 1; k < 64; k++)
            for (int bit = al; bit >= 0; bit--) {
                script[n].comps_in_scan = 1;
                script[n].component_index[0] = c;
                script[n].Ss = script[n].Se = k;
                script[n].Ah = bit == al ? 0 : bit + 1;
                script[n].Al = bit;
                n++;
            }
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_compress(&cinfo);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&cinfo, &buf, &len);
    cinfo.image_width = w;
    cinfo.image_height = h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    cinfo.scan_info = script;
    cinfo.num_scans = n;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = px + (size_t)cinfo.next_scanline * w * 3;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(script);
    free(px);
    *size = len;
    *scans = n;
    return buf;
}

static void test_many_scans(void)
{
    size_t size;
    int scans;
    unsigned char *jpg = many_scans_jpeg(5, &size, &scans);
    CHECK(scans == 1135);
    struct gh_picture *pic = NULL;
    enum gh_status st = gh_io_decode(jpg, size, 0, &pic);
    CHECK_MSG(st == GH_ERR_UNSUPPORTED, "%d scans: %s (%s)", scans, gh_strerror(st),
              gh_error_detail());
    CHECK(strstr(gh_error_detail(), "more than 1000 scans") != NULL);
    CHECK(pic == NULL);
    free(jpg);
    jpg = many_scans_jpeg(3, &size, &scans);
    CHECK(scans == 757);
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    gh_picture_free(pic);
    free(jpg);
}

/* ---- arithmetic coding (SOF9, SOF10) ---- */

/* pattern(w, h) as an arithmetic-coded JPEG (quality 90, 4:2:0), sequential or
 * progressive, with a restart marker every `restart` MCU rows (0: none). The
 * coefficients are those of the Huffman-coded file test_jpeg_write makes with
 * the same settings: only the entropy coding differs. */
static void arith_jpeg(int w, int h, int progressive, int restart, unsigned char **data,
                       size_t *size)
{
    unsigned char *px = pattern(w, h);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned long len = 0;
    *data = NULL;
    jpeg_mem_dest(&c, data, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    c.arith_code = TRUE;
    c.restart_in_rows = restart;
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t)c.next_scanline * (size_t)w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *size = len;
    free(px);
}

/* The frame marker's code (0xc0 baseline ... 0xc9, 0xca arithmetic), or 0. */
static int frame_marker(const unsigned char *d, size_t n)
{
    size_t at = 2;
    while (at + 4 <= n && d[at] == 0xff) {
        int m = d[at + 1];
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
            return m;
        at += 2 + ((size_t)d[at + 2] << 8 | d[at + 3]);
    }
    return 0;
}

/* Offsets of the SOS markers (at most max). */
static int sos_offsets(const unsigned char *d, size_t n, size_t *at, int max)
{
    int k = 0;
    for (size_t i = 2; i + 1 < n && k < max; i++)
        if (d[i] == 0xff && d[i + 1] == 0xda)
            at[k++] = i;
    return k;
}

/* Pixels of two decoded pictures equal, value for value. */
static int same_pixels(const struct gh_picture *a, const struct gh_picture *b)
{
    return a->rgb->width == b->rgb->width && a->rgb->height == b->rgb->height &&
           !memcmp(a->rgb->data, b->rgb->data,
                   3 * gh_image_plane_size(a->rgb) * sizeof *a->rgb->data);
}

/* gh_io_decode with stderr captured: what libjpeg printed (it must print
 * nothing) is added to arith_printed. */
static long arith_printed;

static enum gh_status decode_silently(const unsigned char *data, size_t size,
                                      struct gh_picture **pic)
{
    struct stderr_capture cap = stderr_capture_begin();
    enum gh_status st = gh_io_decode(data, size, 0, pic);
    arith_printed += stderr_capture_end(cap);
    return st;
}

/* Every prefix of the file: refused with a one-line reason (from the first
 * byte of entropy-coded data on: "truncated JPEG data"), no picture. */
static void cut_everywhere(const unsigned char *jpg, size_t size, const char *what)
{
    size_t sos[1] = {0};
    CHECK(sos_offsets(jpg, size, sos, 1) == 1);
    size_t data_from = sos[0] + 2 + ((size_t)jpg[sos[0] + 2] << 8 | jpg[sos[0] + 3]);
    size_t wrong = 0, unclear = 0;
    for (size_t n = 0; n < size; n++) {
        struct gh_picture *pic = NULL;
        gh_error_clear();
        enum gh_status st = decode_silently(jpg, n, &pic);
        const char *detail = gh_error_detail();
        if (st == GH_OK || pic) {
            if (wrong++ < 3)
                fprintf(stderr, "%s: cut at %zu of %zu bytes: decoded\n", what, n, size);
        } else if (!detail[0] || strchr(detail, '\n') ||
                   (n >= data_from &&
                    (st != GH_ERR_FORMAT || !strstr(detail, "truncated JPEG data")))) {
            if (unclear++ < 3)
                fprintf(stderr, "%s: cut at %zu: %s (%s)\n", what, n, gh_strerror(st), detail);
        }
        gh_picture_free(pic);
    }
    CHECK_MSG(wrong == 0, "%s: %zu prefixes decoded as whole images", what, wrong);
    CHECK_MSG(unclear == 0, "%s: %zu prefixes refused without saying truncated", what, unclear);
}

static void test_arithmetic(void)
{
    const int w = 64, h = 48;
    unsigned char *px = pattern(w, h);
    for (int progressive = 0; progressive <= 1; progressive++) {
        const char *what = progressive ? "arithmetic progressive" : "arithmetic sequential";
        unsigned char *arith, *huff;
        size_t asize, hsize;
        arith_jpeg(w, h, progressive, 0, &arith, &asize);
        test_jpeg_write(w, h, 3, JCS_RGB, px, 90, 0, progressive, -1, NULL, 0, &huff, &hsize);
        CHECK_MSG(frame_marker(arith, asize) == (progressive ? 0xca : 0xc9), "%s: SOF %#x", what,
                  frame_marker(arith, asize));
        /* A good one decodes to the Huffman twin's pixels exactly. */
        struct gh_picture *a = NULL, *hp = NULL;
        CHECK_OK(decode_silently(arith, asize, &a));
        CHECK_OK(gh_io_decode(huff, hsize, 0, &hp));
        CHECK_MSG(a && hp && same_pixels(a, hp), "%s: differs from the Huffman-coded twin", what);
        gh_picture_free(hp);

        /* Truncated anywhere: refused, never a gray-padded success. */
        cut_everywhere(arith, asize, what);
        size_t sos[16] = {0};
        int scans = sos_offsets(arith, asize, sos, 16);
        CHECK_MSG(scans == (progressive ? 10 : 1), "%s: %d scans", what, scans);

        /* Damaged entropy data, as for Huffman-coded files (test_silent):
         * bytes flipped mid-scan decode (to wrong pixels) without a word;
         * a marker inside the data ends the scan (arithmetic decoders then
         * read zeros, by the standard), also decoded. Never printed. */
        unsigned char *bad = malloc(asize);
        size_t last_scan = sos[scans - 1];
        size_t mid = last_scan + (asize - last_scan) / 2;
        memcpy(bad, arith, asize);
        for (size_t i = mid; i < mid + 8; i++)
            if (bad[i] != 0xff && (bad[i] ^ 0x5a) != 0xff && (i == 0 || bad[i - 1] != 0xff))
                bad[i] ^= 0x5a;
        struct gh_picture *pic = NULL;
        enum gh_status st = decode_silently(bad, asize, &pic);
        CHECK_MSG(st == GH_OK, "%s, flipped bytes: %s (%s)", what, gh_strerror(st),
                  gh_error_detail());
        CHECK_MSG(pic && !same_pixels(pic, a), "%s: flipped bytes changed nothing", what);
        gh_picture_free(pic);
        pic = NULL;
        memcpy(bad, arith, asize);
        bad[mid] = 0xff;
        bad[mid + 1] = 0xd3; /* RST3 */
        st = decode_silently(bad, asize, &pic);
        CHECK_MSG(st == GH_OK, "%s, RST mid-scan: %s (%s)", what, gh_strerror(st),
                  gh_error_detail());
        gh_picture_free(pic);
        pic = NULL;
        /* One byte in every 7 of the scans, in turn, made 0xff (a marker
         * prefix, the most disruptive value): a decoded picture or a one-line
         * error, never anything else (and under ASan, no memory error). */
        size_t crashes = 0;
        for (size_t i = sos[0]; i + 2 < asize; i += 7) {
            memcpy(bad, arith, asize);
            bad[i] = 0xff;
            gh_error_clear();
            st = decode_silently(bad, asize, &pic);
            if ((st == GH_OK) != (pic != NULL) ||
                (st != GH_OK && (!gh_error_detail()[0] || strchr(gh_error_detail(), '\n'))))
                crashes++;
            gh_picture_free(pic);
            pic = NULL;
        }
        CHECK_MSG(crashes == 0, "%s: %zu damaged files gave an inconsistent result", what, crashes);
        free(bad);
        gh_picture_free(a);
        free(arith);
        free(huff);
    }

    /* Restart markers every MCU row: a file cut right after one (between
     * intervals) is still truncated. */
    unsigned char *rst;
    size_t rsize;
    arith_jpeg(w, h, 0, 1, &rst, &rsize);
    size_t cut = 0;
    for (size_t i = 2; i + 1 < rsize; i++)
        if (rst[i] == 0xff && rst[i + 1] >= 0xd0 && rst[i + 1] <= 0xd7)
            cut = i + 2; /* after the last RST */
    CHECK(cut > 0);
    expect_fail(rst, cut, 0, GH_ERR_FORMAT, "truncated JPEG data", "arithmetic, cut after RST");
    cut_everywhere(rst, rsize, "arithmetic with restarts");
    free(rst);

    /* The committed fixtures (tests/data/make-arith-fixtures.sh: jpegtran's
     * lossless transcoding of the same 256x192 crop) decode alike, as libjpeg
     * decodes them; a progressive one cut mid-scan and at a scan boundary is
     * refused. */
    size_t s1, s2;
    unsigned char *f1 = read_fixture("arith.jpg", &s1), *f2 = read_fixture("arith-prog.jpg", &s2);
    if (f1 && f2) {
        CHECK(frame_marker(f1, s1) == 0xc9 && frame_marker(f2, s2) == 0xca);
        check_same_as_libjpeg(f1, s1, 0, "arith.jpg");
        check_same_as_libjpeg(f2, s2, 0, "arith-prog.jpg");
        struct gh_picture *p1 = NULL, *p2 = NULL;
        CHECK_OK(gh_io_decode(f1, s1, 0, &p1));
        CHECK_OK(gh_io_decode(f2, s2, 0, &p2));
        CHECK(p1 && p2 && p1->rgb->width == 256 && p1->rgb->height == 192 && same_pixels(p1, p2));
        gh_picture_free(p1);
        gh_picture_free(p2);
        size_t sos[16] = {0};
        int scans = sos_offsets(f2, s2, sos, 16);
        CHECK(scans == 10);
        for (int k = 1; k < scans; k++) {
            expect_fail(f2, sos[k], 0, GH_ERR_FORMAT, "truncated JPEG data",
                        "arith-prog.jpg at a scan");
            expect_fail(f2, (sos[k - 1] + sos[k]) / 2, 0, GH_ERR_FORMAT, "truncated JPEG data",
                        "arith-prog.jpg mid-scan");
        }
        expect_fail(f1, s1 / 2, 0, GH_ERR_FORMAT, "truncated JPEG data", "arith.jpg at half");
        expect_fail(f1, s1 - 2, 0, GH_ERR_FORMAT, "truncated JPEG data", "arith.jpg without EOI");
    }
    free(f1);
    free(f2);
    CHECK_MSG(arith_printed == 0, "arithmetic: %ld bytes printed to stderr", arith_printed);
    free(px);
}

int main(void)
{
    test_arithmetic();
    test_many_scans();
    test_silent();
    test_decode_kinds();
    test_cmyk();
    test_encode();
    test_errors();
    return check_finish();
}
