/* WebP, HEIC and AVIF decoding, WebP encoding, and ICC profiles converted to
 * sRGB (issue 14), against the fixtures of tests/data/make-format-fixtures.py:
 * the references there are each file's pixels put through Little CMS by
 * PIL.ImageCms (8-bit, perceptual), so they check our float transform against
 * lcms2's own. The measured differences are printed. Builds without libwebp,
 * libheif or lcms2 check the errors and the unconverted pixels instead. */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/io.h"
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

static enum gh_status decode_fixture(const char *name, struct gh_picture **pic)
{
    size_t size = 0;
    unsigned char *data = read_fixture(name, &size);
    *pic = NULL;
    enum gh_status st = data ? gh_io_decode(data, size, 0, pic) : GH_ERR_IO;
    free(data);
    return st;
}

static int contains(const unsigned char *data, size_t size, const char *needle, size_t n)
{
    for (size_t i = 0; data && i + n <= size; i++)
        if (!memcmp(data + i, needle, n))
            return 1;
    return 0;
}

/* Largest and mean difference, in 8-bit levels, between two pictures' RGB (and
 * alpha, when both have it). */
static void diff8(const struct gh_picture *a, const struct gh_picture *b, int *max, double *mean)
{
    *max = 999;
    *mean = 999.0;
    if (a->rgb->width != b->rgb->width || a->rgb->height != b->rgb->height)
        return;
    size_t n = gh_image_plane_size(a->rgb), count = 0;
    long sum = 0;
    *max = 0;
    for (int c = 0; c < 4; c++) {
        const struct gh_image *ia = c < 3 ? a->rgb : a->alpha, *ib = c < 3 ? b->rgb : b->alpha;
        if (!ia || !ib)
            continue;
        const float *pa = gh_image_plane(ia, c < 3 ? c : 0), *pb = gh_image_plane(ib, c < 3 ? c : 0);
        for (size_t i = 0; i < n; i++) {
            int d = abs((int)gh_io_quantize8(pa[i]) - (int)gh_io_quantize8(pb[i]));
            *max = d > *max ? d : *max;
            sum += d;
            count++;
        }
    }
    *mean = (double)sum / (double)count;
}

/* The file's pixels against the lcms2 reference: within tolerance levels, and
 * tagged sRGB afterwards, never with the file's own profile. */
static void check_colors(const char *file, const char *ref_name, const char *icc_name,
                         int have_codec, int tolerance)
{
    struct gh_picture *pic = NULL, *ref = NULL, *raw = NULL;
    enum gh_status st = decode_fixture(file, &pic);
    if (!have_codec) {
        CHECK_MSG(st == GH_ERR_UNSUPPORTED && strstr(gh_error_detail(), "built without"),
                  "%s: %s", file, gh_error_detail());
        printf("%s: decoder not in this build: %s\n", file, gh_error_detail());
        gh_picture_free(pic);
        return;
    }
    CHECK_MSG(st == GH_OK, "%s: %s", file, gh_error_detail());
    CHECK_OK(decode_fixture(ref_name, &ref));
    size_t icc_n = 0;
    unsigned char *icc = read_fixture(icc_name, &icc_n);
    if (!pic || !ref || !icc)
        goto out;
    int max;
    double mean;
    diff8(pic, ref, &max, &mean);
#ifdef GH_HAVE_LCMS2
    printf("%s: vs lcms2 (PIL.ImageCms) %s: max %d, mean %.3f levels (tolerance %d)\n", file,
           ref_name, max, mean, tolerance);
    CHECK_MSG(max <= tolerance, "%s: max difference %d levels over %d", file, max, tolerance);
    CHECK_MSG(pic->icc && !(pic->icc_size == icc_n && !memcmp(pic->icc, icc, icc_n)),
              "%s: still carries its own profile", file);
    CHECK_MSG(pic->icc && contains(pic->icc, pic->icc_size, "s\0R\0G\0B", 8) &&
                  memcmp(pic->icc + 16, "RGB ", 4) == 0,
              "%s: the profile is not lcms2's sRGB", file);
    /* The same pixels unconverted are far off: the check above would see a
     * skipped conversion. */
    CHECK_MSG(max + 8 < 255, "%s", file);
    if (!strcmp(file, "fmt-p3.jpg") && decode_fixture("fmt-p3-raw.png", &raw) == GH_OK) {
        int raw_max;
        double raw_mean;
        diff8(raw, ref, &raw_max, &raw_mean);
        printf("%s: unconverted pixels vs the reference: max %d, mean %.3f levels\n", file,
               raw_max, raw_mean);
        CHECK(raw_max > 8 * tolerance);
    }
#else
    (void)tolerance;
    printf("%s: no lcms2 in this build: profile kept, pixels unconverted\n", file);
    if (strstr(file, "nclx"))
        CHECK(!pic->icc); /* no profile is made when nothing would convert with it */
    else
        CHECK(pic->icc && pic->icc_size == icc_n && !memcmp(pic->icc, icc, icc_n));
    CHECK(max > 8);
#endif
out:
    free(icc);
    gh_picture_free(pic);
    gh_picture_free(ref);
    gh_picture_free(raw);
}

/* Both transforms of color.c, on the same pixels: lcms2's 8-bit one for 8-bit
 * sources, its float one for 16-bit sources (16-bit PNG, 10/12-bit HEIF). */
static void test_transform_paths(void)
{
#ifdef GH_HAVE_LCMS2
    for (int depth = 8; depth <= 16; depth += 8) {
        struct gh_picture *pic = NULL, *ref = NULL;
        CHECK_OK(decode_fixture("fmt-p3-raw.png", &pic));
        CHECK_OK(decode_fixture("fmt-p3-ref.png", &ref));
        size_t n = 0;
        unsigned char *icc = read_fixture("fmt-display-p3.icc", &n);
        if (pic && ref && icc && !pic->icc) {
            pic->icc = icc;
            pic->icc_size = n;
            icc = NULL;
            pic->bit_depth = depth;
            CHECK_OK(gh_io_color_to_srgb(pic));
            int max;
            double mean;
            diff8(pic, ref, &max, &mean);
            printf("%d-bit path vs lcms2 (PIL.ImageCms, 8-bit): max %d, mean %.3f levels\n", depth,
                   max, mean);
            CHECK_MSG(max <= 1, "%d-bit path: %d levels off", depth, max);
            CHECK(pic->icc && contains(pic->icc, pic->icc_size, "s\0R\0G\0B", 8));
            /* The tag is the same bytes every time: a fixed creation date
             * (2026-01-01), not lcms2's clock. */
            CHECK(pic->icc && pic->icc_size > 36 && !memcmp(pic->icc + 24, "\x07\xea\0\x01\0\x01\0\0\0\0\0\0", 12));
            struct gh_picture *again = NULL;
            CHECK_OK(decode_fixture("fmt-p3.jpg", &again));
            CHECK(again && again->icc && pic->icc && again->icc_size == pic->icc_size &&
                  !memcmp(again->icc, pic->icc, pic->icc_size));
            gh_picture_free(again);
            /* Converting again finds sRGB and changes nothing. */
            float before = pic->rgb->data[1000];
            CHECK_OK(gh_io_color_to_srgb(pic));
            CHECK(pic->rgb->data[1000] == before);
        }
        free(icc);
        gh_picture_free(pic);
        gh_picture_free(ref);
    }
    /* A profile lcms2 rejects stays, with the pixels it describes. */
    struct gh_picture *pic = NULL;
    CHECK_OK(decode_fixture("fmt-p3-raw.png", &pic));
    if (pic && (pic->icc = calloc(1, 200))) {
        pic->icc_size = 200;
        memcpy(pic->icc + 16, "RGB ", 4);
        float before = pic->rgb->data[0];
        CHECK_OK(gh_io_color_to_srgb(pic));
        CHECK(pic->icc && pic->icc_size == 200 && pic->rgb->data[0] == before);
    }
    gh_picture_free(pic);
#endif
}

static void test_sniff_and_names(void)
{
    static const struct {
        const char *file;
        enum gh_format format;
    } files[] = {{"fmt-p3.heic", GH_FORMAT_HEIF}, {"fmt-p3.avif", GH_FORMAT_AVIF},
                 {"fmt-p3-alpha.webp", GH_FORMAT_WEBP}, {"fmt-huge.webp", GH_FORMAT_WEBP},
                 {"fmt-p3.jpg", GH_FORMAT_JPEG}, {"fmt-adobe.png", GH_FORMAT_PNG}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = 0;
        unsigned char *d = read_fixture(files[i].file, &n);
        CHECK_MSG(gh_io_sniff(d, n) == files[i].format, "%s", files[i].file);
        /* The first 16 bytes are enough, also for HEIF (ftyp's major brand). */
        CHECK_MSG(!d || n < 16 || gh_io_sniff(d, 16) == files[i].format, "%s: 16 bytes",
                  files[i].file);
        free(d);
    }
    /* An MP4 video is ISO BMFF too, but no image. */
    static const unsigned char mp4[24] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm',
                                          0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'};
    CHECK(gh_io_sniff(mp4, sizeof mp4) == GH_FORMAT_UNKNOWN);
    static const unsigned char wav[12] = {'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'A', 'V', 'E'};
    CHECK(gh_io_sniff(wav, sizeof wav) == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_from_name("a/IMG_0001.HEIC") == GH_FORMAT_HEIF);
    CHECK(gh_io_format_from_name("x.heif") == GH_FORMAT_HEIF);
    CHECK(gh_io_format_from_name("x.hif") == GH_FORMAT_HEIF);
    CHECK(gh_io_format_from_name("x.avif") == GH_FORMAT_AVIF);
    CHECK(gh_io_format_from_name("x.WebP") == GH_FORMAT_WEBP);
    CHECK(!strcmp(gh_io_format_extension(GH_FORMAT_WEBP), "webp"));
    CHECK(!strcmp(gh_io_format_extension(GH_FORMAT_HEIF), "heic"));
    CHECK(!strcmp(gh_io_format_extension(GH_FORMAT_AVIF), "avif"));
    CHECK(gh_io_format_readable(GH_FORMAT_HEIF) == GH_IO_HAVE_HEIF);
    CHECK(gh_io_format_readable(GH_FORMAT_AVIF) == GH_IO_HAVE_HEIF);
    CHECK(gh_io_format_readable(GH_FORMAT_WEBP) == GH_IO_HAVE_WEBP);
    CHECK(gh_io_format_writable(GH_FORMAT_WEBP) == GH_IO_HAVE_WEBP);
    CHECK(!gh_io_format_writable(GH_FORMAT_HEIF) && !gh_io_format_writable(GH_FORMAT_AVIF));
    CHECK(gh_io_format_writable(GH_FORMAT_PNG) && gh_io_format_writable(GH_FORMAT_JPEG));
}

/* Lossless fixtures with alpha: the alpha comes through exactly. */
static void check_alpha(const char *file, const char *ref_name, int have_codec)
{
    struct gh_picture *pic = NULL, *ref = NULL;
    if (!have_codec || decode_fixture(file, &pic) != GH_OK) {
        CHECK(!have_codec);
        return;
    }
    CHECK_OK(decode_fixture(ref_name, &ref));
    CHECK_MSG(pic->alpha && ref && ref->alpha, "%s: no alpha", file);
    if (pic->alpha && ref && ref->alpha) {
        size_t n = gh_image_plane_size(pic->alpha), bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += pic->alpha->data[i] != ref->alpha->data[i];
        CHECK_MSG(bad == 0, "%s: %zu alpha values differ", file, bad);
        /* Column 0 is transparent, column 63 opaque. */
        CHECK(pic->alpha->data[0] == 0.0f && pic->alpha->data[63] == 1.0f);
    }
    gh_picture_free(pic);
    gh_picture_free(ref);
}

static void test_webp_orientation(void)
{
    struct gh_picture *pic = NULL;
    enum gh_status st = decode_fixture("fmt-orient6.webp", &pic);
    if (!GH_IO_HAVE_WEBP) {
        CHECK(st == GH_ERR_UNSUPPORTED);
        return;
    }
    CHECK_OK(st);
    if (!pic)
        return;
    /* Stored 64x48; orientation 6 turns it a quarter clockwise for display, so
     * the displayed top-left is the stored bottom-left: patch (row 5, col 0),
     * (220, 100, 180); the displayed top-right the stored top-left, (255, 0, 0). */
    CHECK(pic->rgb->width == 48 && pic->rgb->height == 64 && pic->orientation == 6);
    const float *r = gh_image_plane(pic->rgb, 0), *g = gh_image_plane(pic->rgb, 1);
    CHECK(gh_io_quantize8(r[0]) == 220 && gh_io_quantize8(g[0]) == 100);
    CHECK(gh_io_quantize8(r[47]) == 255 && gh_io_quantize8(g[47]) == 0);
    CHECK_MSG(pic->exif && gh_io_exif_tiff_orientation(pic->exif, pic->exif_size) == 1,
              "EXIF kept with orientation 1");
    gh_picture_free(pic);
}

/* HEIF is turned by irot/imir (libheif), never by its EXIF orientation, which
 * is reset to 1 in the kept EXIF all the same. */
static void test_heif_exif(void)
{
    struct gh_picture *pic = NULL;
    enum gh_status st = decode_fixture("fmt-exif6.heic", &pic);
    if (!GH_IO_HAVE_HEIF) {
        CHECK(st == GH_ERR_UNSUPPORTED);
        return;
    }
    CHECK_OK(st);
    if (!pic)
        return;
    CHECK(pic->rgb->width == 64 && pic->rgb->height == 48 && pic->orientation == 1);
    CHECK_MSG(pic->exif && gh_io_exif_tiff_orientation(pic->exif, pic->exif_size) == 1 &&
                  contains(pic->exif, pic->exif_size, "GhibliCam", 9),
              "HEIF EXIF kept, orientation 1");
    /* Stored top-left patch, (255, 0, 0), lossy. */
    CHECK(gh_io_quantize8(pic->rgb->data[64 * 2 + 2]) > 200);
    gh_picture_free(pic);
}

/* WebP out and back in: sizes, alpha, colors close, EXIF and ICC muxed in. */
static void test_webp_encode(void)
{
    struct gh_image *rgb = NULL, *alpha = NULL;
    CHECK_OK(gh_image_new(40, 30, 3, &rgb));
    CHECK_OK(gh_image_new(40, 30, 1, &alpha));
    if (!rgb || !alpha)
        goto out;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 40; x++) {
            size_t i = (size_t)y * 40 + (size_t)x;
            gh_image_plane(rgb, 0)[i] = (float)x / 39.0f;
            gh_image_plane(rgb, 1)[i] = (float)y / 29.0f;
            gh_image_plane(rgb, 2)[i] = 0.4f;
            alpha->data[i] = x < 20 ? 0.0f : (float)(x - 20) / 19.0f;
        }
    struct gh_picture *meta = NULL;
    unsigned char *data = NULL;
    size_t size = 0;
    struct gh_encode_options opt;
    gh_io_encode_defaults(&opt);
    if (GH_IO_HAVE_WEBP && decode_fixture("fmt-orient6.webp", &meta) == GH_OK) {
        opt.exif = meta->exif;
        opt.exif_size = meta->exif_size;
    }
    size_t icc_n = 0;
    unsigned char *icc = read_fixture("meta.icc", &icc_n); /* lcms2's sRGB, kept as is */
    opt.icc = icc;
    opt.icc_size = icc_n;
    enum gh_status st = gh_io_encode_with(rgb, alpha, GH_FORMAT_WEBP, &opt, &data, &size);
    if (!GH_IO_HAVE_WEBP) {
        CHECK(st == GH_ERR_UNSUPPORTED && strstr(gh_error_detail(), "without libwebp"));
        goto done;
    }
    CHECK_OK(st);
    struct gh_picture *back = NULL;
    if (st == GH_OK)
        CHECK_OK(gh_io_decode(data, size, 0, &back));
    if (back) {
        CHECK(back->format == GH_FORMAT_WEBP && back->rgb->width == 40 && back->rgb->height == 30);
        CHECK(back->alpha != NULL);
        float worst_a = 0, worst_rgb = 0;
        for (size_t i = 0; back->alpha && i < 1200; i++) {
            float d = back->alpha->data[i] - alpha->data[i];
            worst_a = d > worst_a ? d : -d > worst_a ? -d : worst_a;
            if (alpha->data[i] > 0.5f)
                for (int c = 0; c < 3; c++) {
                    float e = gh_image_plane(back->rgb, c)[i] - gh_image_plane(rgb, c)[i];
                    worst_rgb = e > worst_rgb ? e : -e > worst_rgb ? -e : worst_rgb;
                }
        }
        printf("WebP q%d round trip: alpha max error %.1f levels, RGB (opaque half) %.1f levels\n",
               opt.quality, worst_a * 255, worst_rgb * 255);
        CHECK_MSG(worst_a <= 0.5f / 255.0f, "alpha is lossless");
        CHECK_MSG(worst_rgb <= 12.0f / 255.0f, "lossy RGB close");
        CHECK(back->exif && back->exif_size == opt.exif_size &&
              !memcmp(back->exif, opt.exif, opt.exif_size));
        CHECK(back->icc && back->icc_size == icc_n && !memcmp(back->icc, icc, icc_n));
    }
    gh_picture_free(back);
    free(data);
    data = NULL;
    /* No metadata: a plain file. */
    gh_io_encode_defaults(&opt);
    CHECK_OK(gh_io_encode_with(rgb, NULL, GH_FORMAT_WEBP, &opt, &data, &size));
    CHECK(data && size > 12 && !memcmp(data + 12, "VP8 ", 4));
    free(data);
    data = NULL;
    /* WebP's 16383-pixel side. */
    struct gh_image *wide = NULL;
    CHECK_OK(gh_image_new(16384, 1, 3, &wide));
    st = gh_io_encode_with(wide, NULL, GH_FORMAT_WEBP, &opt, &data, &size);
    CHECK(st == GH_ERR_UNSUPPORTED && strstr(gh_error_detail(), "16383"));
    gh_image_free(wide);
done:
    /* Nobody writes HEIF or AVIF. */
    st = gh_io_encode_with(rgb, NULL, GH_FORMAT_HEIF, NULL, &data, &size);
    CHECK(st == GH_ERR_UNSUPPORTED && strstr(gh_error_detail(), "does not write"));
    free(data);
    free(icc);
    gh_picture_free(meta);
out:
    gh_image_free(rgb);
    gh_image_free(alpha);
}

/* Truncated, corrupt and huge-declared files: a clear error, nothing else. */
static void test_bad_files(void)
{
    static const struct {
        const char *file;
        int have;
    } files[] = {{"fmt-p3-alpha.webp", GH_IO_HAVE_WEBP}, {"fmt-p3.heic", GH_IO_HAVE_HEIF},
                 {"fmt-p3.avif", GH_IO_HAVE_HEIF}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = 0;
        unsigned char *d = read_fixture(files[i].file, &n);
        if (!d)
            continue;
        struct gh_picture *pic = NULL;
        /* Every cut: the box or chunk structure, then the compressed data. */
        for (size_t cut = 16; cut < n; cut += cut < 64 ? 8 : 97) {
            enum gh_status st = gh_io_decode(d, cut, 0, &pic);
            CHECK_MSG(st != GH_OK && !pic, "%s cut at %zu decoded", files[i].file, cut);
            CHECK_MSG(!files[i].have || st == GH_ERR_FORMAT, "%s cut at %zu: %s", files[i].file,
                      cut, gh_error_detail());
            gh_picture_free(pic);
            pic = NULL;
        }
        enum gh_status st = gh_io_decode(d, n / 2, 0, &pic);
        printf("%s, first half: %s\n", files[i].file, gh_error_detail());
        CHECK(st != GH_OK && (!files[i].have || strstr(gh_error_detail(), "truncated") ||
                              strstr(gh_error_detail(), "corrupt")));
        /* Flipped bits all through: an error or a picture, never a crash or leak
         * (the sanitizer build checks); coded data can decode to other pixels. */
        for (size_t at = 12; at < n; at += 29) {
            d[at] ^= 0x5a;
            if (gh_io_decode(d, n, 0, &pic) == GH_OK)
                CHECK(pic && pic->rgb);
            gh_picture_free(pic);
            pic = NULL;
            d[at] ^= 0x5a;
        }
        free(d);
    }
    static const struct {
        const char *file;
        int have;
    } huge[] = {{"fmt-huge.webp", GH_IO_HAVE_WEBP}, {"fmt-huge.heic", GH_IO_HAVE_HEIF},
                {"fmt-huge.avif", GH_IO_HAVE_HEIF}};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        struct gh_picture *pic = NULL;
        enum gh_status st = decode_fixture(huge[i].file, &pic);
        printf("%s: %s\n", huge[i].file, gh_error_detail());
        CHECK_MSG(huge[i].have ? st == GH_ERR_TOO_LARGE && strstr(gh_error_detail(), "over the limit")
                               : st == GH_ERR_UNSUPPORTED,
                  "%s: %s", huge[i].file, gh_error_detail());
        gh_picture_free(pic);
    }
    struct gh_picture *anim = NULL;
    enum gh_status ast = decode_fixture("fmt-anim.webp", &anim);
    CHECK_MSG(!anim && ast == GH_ERR_UNSUPPORTED &&
                  strstr(gh_error_detail(), GH_IO_HAVE_WEBP ? "animated WebP" : "without libwebp"),
              "%s", gh_error_detail());
    /* A small --max-pixels refuses the real fixtures the same way. */
    size_t n = 0;
    unsigned char *d = read_fixture("fmt-p3.heic", &n);
    struct gh_picture *pic = NULL;
    if (d && GH_IO_HAVE_HEIF) {
        CHECK(gh_io_decode(d, n, 1000, &pic) == GH_ERR_TOO_LARGE);
        CHECK(strstr(gh_error_detail(), "64x48"));
    }
    free(d);
    gh_picture_free(pic);
}

int main(void)
{
    test_sniff_and_names();
    /* Tolerances: one level for 8-bit rounding (the reference rounds lcms2's
     * 8-bit transform, we round a float one); JPEG's pixels are the same
     * libjpeg-turbo output in both. */
    check_colors("fmt-p3.jpg", "fmt-p3-ref.png", "fmt-display-p3.icc", 1, 1);
    check_colors("fmt-adobe.png", "fmt-adobe-ref.png", "fmt-adobe-rgb.icc", 1, 1);
    check_colors("fmt-p3-alpha.webp", "fmt-p3-alpha-ref.png", "fmt-display-p3.icc",
                 GH_IO_HAVE_WEBP, 1);
    check_colors("fmt-p3.heic", "fmt-p3-heic-ref.png", "fmt-display-p3.icc", GH_IO_HAVE_HEIF, 1);
    check_colors("fmt-p3.avif", "fmt-p3-avif-ref.png", "fmt-display-p3.icc", GH_IO_HAVE_HEIF, 1);
    /* Coded (nclx) Display P3: a profile made from the primaries, converted the
     * same way; the tagged profile check compares with the P3 file's bytes,
     * which the built one never equals anyway. */
    check_colors("fmt-nclx-p3.avif", "fmt-nclx-p3-ref.png", "fmt-display-p3.icc", GH_IO_HAVE_HEIF, 1);
    test_transform_paths();
    check_alpha("fmt-p3-alpha.webp", "fmt-p3-alpha-ref.png", GH_IO_HAVE_WEBP);
    check_alpha("fmt-p3.heic", "fmt-p3-heic-ref.png", GH_IO_HAVE_HEIF);
    check_alpha("fmt-p3.avif", "fmt-p3-avif-ref.png", GH_IO_HAVE_HEIF);
    test_webp_orientation();
    test_heif_exif();
    test_webp_encode();
    test_bad_files();
    return check_finish();
}
