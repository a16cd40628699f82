/* EXIF and ICC kept through decode -> encode: the fixtures of
 * tests/data/make-meta-fixtures.py (Pillow + exiftool), round trips between JPEG
 * and both PNG encoders, what the prepared EXIF looks like (orientation 1, no
 * thumbnail, everything else byte for byte), ICC chunk reassembly, hostile
 * EXIF and ICC chunk sets, and, when exiftool is installed, another reader's
 * view of our outputs (libjpeg-turbo's own ICC reader too). */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/io.h"
#include "io/io_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct gh_picture *decode_fixture(const char *name)
{
    size_t size;
    unsigned char *data = read_fixture(name, &size);
    struct gh_picture *pic = NULL;
    if (data)
        CHECK_OK(gh_io_decode(data, size, 0, &pic));
    free(data);
    return pic;
}

/* Little TIFF reader for the checks (independent of src/io/exif.c). */
static unsigned rd16(const unsigned char *t, size_t at)
{
    return t[0] == 'I' ? (unsigned)t[at] | (unsigned)t[at + 1] << 8
                       : (unsigned)t[at] << 8 | (unsigned)t[at + 1];
}

static uint32_t rd32(const unsigned char *t, size_t at)
{
    return t[0] == 'I' ? (uint32_t)rd16(t, at) | (uint32_t)rd16(t, at + 2) << 16
                       : (uint32_t)rd16(t, at) << 16 | (uint32_t)rd16(t, at + 2);
}

/* Offset of the 12-byte entry for tag in the IFD at ifd, or 0. */
static size_t find_entry(const unsigned char *t, size_t n, uint32_t ifd, unsigned tag)
{
    if (ifd + 2 > n)
        return 0;
    unsigned count = rd16(t, ifd);
    for (unsigned i = 0; i < count && ifd + 2 + 12 * (size_t)(i + 1) <= n; i++)
        if (rd16(t, ifd + 2 + 12 * (size_t)i) == tag)
            return ifd + 2 + 12 * (size_t)i;
    return 0;
}

/* The ASCII value of tag in IFD0 (sub == 0) or in the sub-IFD IFD0's tag sub
 * points to, or NULL. */
static const char *ascii_tag(const unsigned char *t, size_t n, unsigned sub, unsigned tag)
{
    uint32_t ifd = rd32(t, 4);
    if (sub) {
        size_t e = find_entry(t, n, ifd, sub);
        if (!e)
            return NULL;
        ifd = rd32(t, e + 8);
    }
    size_t e = find_entry(t, n, ifd, tag);
    if (!e || rd16(t, e + 2) != 2)
        return NULL;
    uint32_t count = rd32(t, e + 4), at = count <= 4 ? (uint32_t)(e + 8) : rd32(t, e + 8);
    if (at >= n || count > n - at || count == 0 || t[at + count - 1] != 0)
        return NULL;
    return (const char *)t + at;
}

/* The EXIF TIFF of a JPEG file's first APP1 "Exif" segment (pointer into data). */
static const unsigned char *jpeg_exif(const unsigned char *data, size_t size, size_t *n)
{
    size_t at = 2;
    while (at + 4 <= size && data[at] == 0xff && data[at + 1] != 0xda) {
        size_t len = (size_t)data[at + 2] << 8 | data[at + 3];
        if (data[at + 1] == 0xe1 && len >= 8 && !memcmp(data + at + 4, "Exif\0\0", 6)) {
            *n = len - 8;
            return data + at + 10;
        }
        at += 2 + len;
    }
    *n = 0;
    return NULL;
}

static int has_jpeg_soi(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == 0xff && p[i + 1] == 0xd8)
            return 1;
    return 0;
}

/* Checks a prepared EXIF against the fixtures' tags. */
static void check_fixture_exif(const char *what, const unsigned char *t, size_t n, unsigned char order)
{
    CHECK_MSG(t && n >= 8, "%s: no EXIF", what);
    if (!t || n < 8)
        return;
    CHECK_MSG(t[0] == order && t[1] == order, "%s: byte order %c", what, t[0]);
    CHECK_MSG(gh_io_exif_tiff_orientation(t, n) == 1, "%s: orientation %d", what,
              gh_io_exif_tiff_orientation(t, n));
    size_t e = find_entry(t, n, rd32(t, 4), 0x0112);
    CHECK_MSG(e && rd16(t, e + 2) == 3 && rd32(t, e + 4) == 1 && rd16(t, e + 8) == 1,
              "%s: orientation entry", what);
    const char *make = ascii_tag(t, n, 0, 0x010f), *model = ascii_tag(t, n, 0, 0x0110);
    const char *date = ascii_tag(t, n, 0x8769, 0x9003), *lat = ascii_tag(t, n, 0x8825, 1);
    CHECK_MSG(make && !strcmp(make, "GhibliCam"), "%s: Make", what);
    CHECK_MSG(model && !strcmp(model, "Test Model 1"), "%s: Model", what);
    CHECK_MSG(date && !strcmp(date, "2024:05:06 07:08:09"), "%s: DateTimeOriginal", what);
    CHECK_MSG(lat && !strcmp(lat, "N"), "%s: GPSLatitudeRef", what);
    uint32_t ifd0 = rd32(t, 4);
    CHECK_MSG(rd32(t, ifd0 + 2 + 12 * (size_t)rd16(t, ifd0)) == 0, "%s: IFD1 still linked", what);
    CHECK_MSG(!has_jpeg_soi(t, n), "%s: thumbnail bytes left", what);
}

static unsigned char *icc_fixture(size_t *n)
{
    return read_fixture("meta.icc", n);
}

static int same(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    return a && b && an == bn && memcmp(a, b, an) == 0;
}

/* meta.jpg: the prepared EXIF is the file's byte for byte up to the
 * thumbnail, but for the orientation entry's value and IFD0's next offset. */
static void test_jpeg_fixture(void)
{
    size_t size, icc_n;
    unsigned char *data = read_fixture("meta.jpg", &size), *icc = icc_fixture(&icc_n);
    struct gh_picture *pic = NULL;
    if (data)
        CHECK_OK(gh_io_decode(data, size, 0, &pic));
    if (!pic || !data || !icc) {
        free(data);
        free(icc);
        gh_picture_free(pic);
        return;
    }
    CHECK(pic->orientation == 6 && pic->rgb->width == 48 && pic->rgb->height == 64);
    check_fixture_exif("meta.jpg", pic->exif, pic->exif_size, 'M');
    size_t n;
    const unsigned char *orig = jpeg_exif(data, size, &n);
    CHECK(orig && has_jpeg_soi(orig, n) && pic->exif_size < n);
    if (orig && pic->exif && pic->exif_size < n) {
        size_t ifd0 = rd32(orig, 4), next = ifd0 + 2 + 12 * (size_t)rd16(orig, ifd0);
        size_t eo = find_entry(orig, n, (uint32_t)ifd0, 0x0112), diff = 0;
        for (size_t i = 0; i < pic->exif_size; i++) {
            int allowed = (i >= eo + 8 && i < eo + 12) || (i >= next && i < next + 4);
            if (!allowed && orig[i] != pic->exif[i])
                diff++;
        }
        CHECK_MSG(diff == 0, "%zu bytes changed", diff);
        /* Cut where IFD1 starts: right after the IFDs and values it keeps. */
        CHECK_MSG(pic->exif_size == rd32(orig, next), "cut at %zu, IFD1 at %u", pic->exif_size,
                  rd32(orig, next));
    }
    CHECK(same(pic->icc, pic->icc_size, icc, icc_n));
    gh_picture_free(pic);
    free(data);
    free(icc);
}

static void test_png_fixture(void)
{
    size_t icc_n;
    unsigned char *icc = icc_fixture(&icc_n);
    struct gh_picture *pic = decode_fixture("meta.png");
    if (pic) {
        /* PNG eXIf orientation is applied like JPEG's. */
        CHECK(pic->orientation == 6 && pic->rgb->width == 48 && pic->rgb->height == 64);
        check_fixture_exif("meta.png", pic->exif, pic->exif_size, 'I');
        CHECK(same(pic->icc, pic->icc_size, icc, icc_n));
    }
    gh_picture_free(pic);
    /* The profile in three APP2 chunks stored out of order. */
    pic = decode_fixture("meta-icc3.jpg");
    if (pic) {
        CHECK(same(pic->icc, pic->icc_size, icc, icc_n));
        CHECK(!pic->exif && pic->exif_size == 0 && pic->orientation == 1);
    }
    gh_picture_free(pic);
    /* exif6.jpg (orientation only, no thumbnail): applied, stored as 1. */
    pic = decode_fixture("exif6.jpg");
    if (pic) {
        CHECK(pic->orientation == 6 && pic->exif && pic->exif_size == 26);
        CHECK(pic->exif && gh_io_exif_tiff_orientation(pic->exif, pic->exif_size) == 1);
        CHECK(!pic->icc);
    }
    gh_picture_free(pic);
    free(icc);
}

/* Chunk types of a PNG in order, as "IHDR iCCP eXIf IDAT IEND". */
static void png_chunks(const unsigned char *d, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t at = 8; at + 12 <= n;) {
        size_t len = (size_t)d[at] << 24 | (size_t)d[at + 1] << 16 | (size_t)d[at + 2] << 8 |
                     d[at + 3];
        size_t used = strlen(out);
        if (used + 6 < cap && (used == 0 || strcmp(out + used - 4, "IDAT") ||
                               memcmp(d + at + 4, "IDAT", 4)))
            snprintf(out + used, cap - used, "%s%.4s", used ? " " : "", (const char *)d + at + 4);
        at += 12 + len;
    }
}

/* JPEG markers up to SOS, as "E0 E1 E2". */
static void jpeg_markers(const unsigned char *d, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t at = 2; at + 4 <= n && d[at] == 0xff && d[at + 1] != 0xda;) {
        size_t used = strlen(out);
        if (d[at + 1] >= 0xe0 && d[at + 1] <= 0xef && used + 4 < cap)
            snprintf(out + used, cap - used, "%s%02X", used ? " " : "", d[at + 1]);
        at += 2 + ((size_t)d[at + 2] << 8 | d[at + 3]);
    }
}

/* exiftool's view of a file, when it is installed: its tags and warnings
 * (-s -s -n: "Name: value" lines) and its ICC profile bytes. */
static int have_exiftool(void)
{
    return access("/usr/bin/exiftool", X_OK) == 0;
}

static unsigned char *run_capture(const char *cmd, size_t *n)
{
    FILE *p = popen(cmd, "r");
    struct tbuf b = {0};
    *n = 0;
    if (!p)
        return NULL;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0)
        tbuf_append(&b, chunk, got);
    pclose(p);
    tbuf_append(&b, "", 1);
    *n = b.size - 1;
    return b.data;
}

static void check_with_exiftool(const char *what, const unsigned char *data, size_t size,
                                const char *ext, const unsigned char *icc, size_t icc_n)
{
    if (!have_exiftool())
        return;
    char path[64];
    snprintf(path, sizeof path, "/tmp/gh_meta_XXXXXX.%s", ext);
    int fd = mkstemps(path, (int)strlen(ext) + 1);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, data, size) == (ssize_t)size);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "exiftool -s -s -n -Orientation -Make -DateTimeOriginal -GPSLatitude "
             "-GPSLongitude -ThumbnailLength -Warning -Error %s", path);
    size_t n;
    char *text = (char *)run_capture(cmd, &n);
    CHECK_MSG(text && strstr(text, "Orientation: 1\n") && strstr(text, "Make: GhibliCam\n") &&
                  strstr(text, "DateTimeOriginal: 2024:05:06 07:08:09\n") &&
                  strstr(text, "GPSLatitude: 35.6762\n") &&
                  strstr(text, "GPSLongitude: 139.6503\n") && !strstr(text, "Thumbnail") &&
                  !strstr(text, "Warning") && !strstr(text, "Error"),
              "%s: exiftool says:\n%s", what, text ? text : "(nothing)");
    free(text);
    snprintf(cmd, sizeof cmd, "exiftool -b -ICC_Profile %s", path);
    unsigned char *got = run_capture(cmd, &n);
    CHECK_MSG(same(got, n, icc, icc_n), "%s: exiftool's ICC profile is %zu bytes", what, n);
    free(got);
    unlink(path);
}

/* Every source through every encoder and back: EXIF and ICC unchanged (the
 * prepared EXIF prepares to itself), chunks and segments where they belong. */
static void test_round_trips(void)
{
    size_t icc_n;
    unsigned char *icc = icc_fixture(&icc_n);
    const char *sources[] = {"meta.jpg", "meta.png"};
    for (int s = 0; s < 2; s++) {
        struct gh_picture *pic = decode_fixture(sources[s]);
        if (!pic || !pic->exif || !icc)
            continue;
        for (int k = 0; k < 3; k++) {
            struct gh_encode_options opt;
            gh_io_encode_defaults(&opt);
            CHECK(!opt.exif && !opt.exif_size && !opt.icc && !opt.icc_size);
            enum gh_format fmt = k == 0 ? GH_FORMAT_JPEG : GH_FORMAT_PNG;
            opt.png = k == 2 ? GH_PNG_SMALL : GH_PNG_FAST;
            opt.exif = pic->exif;
            opt.exif_size = pic->exif_size;
            opt.icc = pic->icc;
            opt.icc_size = pic->icc_size;
            char what[64];
            snprintf(what, sizeof what, "%s -> %s", sources[s],
                     k == 0 ? "JPEG" : k == 1 ? "PNG fast" : "PNG small");
            unsigned char *out = NULL;
            size_t out_n = 0;
            CHECK_OK(gh_io_encode_with(pic->rgb, NULL, fmt, &opt, &out, &out_n));
            if (!out)
                continue;
            char order[128];
            if (fmt == GH_FORMAT_PNG) {
                png_chunks(out, out_n, order, sizeof order);
                CHECK_MSG(!strcmp(order, "IHDR iCCP eXIf IDAT IEND"), "%s: %s", what, order);
            } else {
                jpeg_markers(out, out_n, order, sizeof order);
                CHECK_MSG(!strcmp(order, "E0 E1 E2"), "%s: %s", what, order);
            }
            struct gh_picture *back = NULL;
            CHECK_OK(gh_io_decode(out, out_n, 0, &back));
            if (back) {
                CHECK_MSG(same(back->exif, back->exif_size, pic->exif, pic->exif_size),
                          "%s: EXIF differs", what);
                CHECK_MSG(same(back->icc, back->icc_size, icc, icc_n), "%s: ICC differs", what);
                CHECK_MSG(back->orientation == 1 && back->rgb->width == pic->rgb->width &&
                              back->rgb->height == pic->rgb->height,
                          "%s: orientation %d", what, back->orientation);
            }
            gh_picture_free(back);
            check_with_exiftool(what, out, out_n, fmt == GH_FORMAT_PNG ? "png" : "jpg", icc,
                                icc_n);
            free(out);
        }
        /* Without metadata options, none is written. */
        unsigned char *out = NULL;
        size_t out_n = 0;
        for (int f = 0; f < 2; f++) {
            CHECK_OK(gh_io_encode(pic->rgb, NULL, f ? GH_FORMAT_PNG : GH_FORMAT_JPEG, 90, &out,
                                  &out_n));
            struct gh_picture *back = NULL;
            if (out)
                CHECK_OK(gh_io_decode(out, out_n, 0, &back));
            CHECK(back && !back->exif && !back->icc);
            gh_picture_free(back);
            free(out);
        }
        gh_picture_free(pic);
    }
    free(icc);
}

/* A profile over one APP2 chunk: split into 65519-byte chunks, which
 * libjpeg-turbo's own reader and ours put back together; PNG keeps it too. */
static void test_large_icc(void)
{
    size_t icc_n;
    unsigned char *icc = icc_fixture(&icc_n);
    if (!icc)
        return;
    const size_t big_n = 150000; /* 3 chunks */
    unsigned char *big = malloc(big_n);
    memcpy(big, icc, icc_n);
    for (size_t i = icc_n; i < big_n; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    struct gh_image *rgb = NULL;
    CHECK_OK(gh_image_new(20, 10, 3, &rgb));
    for (int fmt = 0; fmt < 2 && rgb; fmt++) {
        struct gh_encode_options opt;
        gh_io_encode_defaults(&opt);
        opt.icc = big;
        opt.icc_size = big_n;
        unsigned char *out = NULL;
        size_t out_n = 0;
        CHECK_OK(gh_io_encode_with(rgb, NULL, fmt ? GH_FORMAT_PNG : GH_FORMAT_JPEG, &opt, &out,
                                   &out_n));
        if (!out)
            continue;
        if (!fmt) {
            char order[128];
            jpeg_markers(out, out_n, order, sizeof order);
            CHECK_MSG(!strcmp(order, "E0 E2 E2 E2"), "%s", order);
            struct jpeg_decompress_struct d;
            struct jpeg_error_mgr err;
            d.err = jpeg_std_error(&err);
            jpeg_create_decompress(&d);
            jpeg_mem_src(&d, out, (unsigned long)out_n);
            jpeg_save_markers(&d, JPEG_APP0 + 2, 0xffff);
            jpeg_read_header(&d, TRUE);
            JOCTET *p = NULL;
            unsigned int pn = 0;
            CHECK(jpeg_read_icc_profile(&d, &p, &pn) && same(p, pn, big, big_n));
            free(p);
            jpeg_destroy_decompress(&d);
        }
        struct gh_picture *back = NULL;
        CHECK_OK(gh_io_decode(out, out_n, 0, &back));
        /* libpng takes the profile's length from its header, so PNG gives
         * back the real profile without our padding. */
        if (back && !fmt)
            CHECK(same(back->icc, back->icc_size, big, big_n));
        else if (back)
            CHECK(same(back->icc, back->icc_size, icc, icc_n));
        gh_picture_free(back);
        free(out);
    }
    gh_image_free(rgb);
    free(big);
    free(icc);
}

/* A JPEG with the given APP2 ICC chunks (seq, count, data bytes each). */
struct chunk {
    int seq, count;
    size_t from, len; /* slice of the profile */
};

static unsigned char *jpeg_with_chunks(const unsigned char *icc, const struct chunk *c, int n,
                                       size_t *size)
{
    unsigned char px[16 * 8 * 3] = {0};
    struct jpeg_compress_struct cj;
    struct jpeg_error_mgr err;
    cj.err = jpeg_std_error(&err);
    jpeg_create_compress(&cj);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&cj, &buf, &len);
    cj.image_width = 16;
    cj.image_height = 8;
    cj.input_components = 3;
    cj.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cj);
    jpeg_start_compress(&cj, TRUE);
    for (int i = 0; i < n; i++) {
        jpeg_write_m_header(&cj, JPEG_APP0 + 2, (unsigned)(14 + c[i].len));
        for (int k = 0; k < 12; k++)
            jpeg_write_m_byte(&cj, "ICC_PROFILE"[k]);
        jpeg_write_m_byte(&cj, c[i].seq);
        jpeg_write_m_byte(&cj, c[i].count);
        for (size_t k = 0; k < c[i].len; k++)
            jpeg_write_m_byte(&cj, icc[c[i].from + k]);
    }
    while (cj.next_scanline < cj.image_height) {
        JSAMPROW row = px;
        jpeg_write_scanlines(&cj, &row, 1);
    }
    jpeg_finish_compress(&cj);
    jpeg_destroy_compress(&cj);
    *size = len;
    return buf;
}

static void test_icc_chunk_sets(void)
{
    size_t n;
    unsigned char *icc = icc_fixture(&n);
    if (!icc || n < 300)
        return;
    size_t a = 200, b = n - 200;
    struct {
        const char *name;
        int ok;
        struct chunk c[4];
        int count;
    } cases[] = {
        {"in order", 1, {{1, 2, 0, a}, {2, 2, a, b}}, 2},
        {"reversed", 1, {{2, 2, a, b}, {1, 2, 0, a}}, 2},
        {"with an empty chunk", 1, {{1, 3, 0, a}, {2, 3, a, 0}, {3, 3, a, b}}, 3},
        {"missing chunk", 0, {{1, 3, 0, a}, {3, 3, a, b}}, 2},
        {"duplicate sequence number", 0, {{1, 2, 0, a}, {1, 2, a, b}}, 2},
        {"counts disagree", 0, {{1, 2, 0, a}, {2, 3, a, b}}, 2},
        {"sequence number 0", 0, {{0, 2, 0, a}, {2, 2, a, b}}, 2},
        {"sequence number over the count", 0, {{1, 2, 0, a}, {3, 2, a, b}}, 2},
        {"count 0", 0, {{1, 0, 0, n}}, 1},
        {"extra chunk", 0, {{1, 2, 0, a}, {2, 2, a, b}, {2, 2, a, b}}, 3},
        {"too short to be a profile", 0, {{1, 1, 0, 100}}, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t size;
        unsigned char *jpg = jpeg_with_chunks(icc, cases[k].c, cases[k].count, &size);
        struct gh_picture *pic = NULL;
        enum gh_status st = gh_io_decode(jpg, size, 0, &pic);
        CHECK_MSG(st == GH_OK, "%s: %s", cases[k].name, gh_error_detail());
        if (pic && cases[k].ok)
            CHECK_MSG(same(pic->icc, pic->icc_size, icc, n), "%s: profile lost", cases[k].name);
        else if (pic)
            CHECK_MSG(!pic->icc && !pic->icc_size, "%s: profile kept", cases[k].name);
        gh_picture_free(pic);
        free(jpg);
    }
    /* A gray (or CMYK) profile does not describe the decoded RGB pixels. */
    memcpy(icc + 16, "GRAY", 4);
    struct chunk one = {1, 1, 0, n};
    size_t size;
    unsigned char *jpg = jpeg_with_chunks(icc, &one, 1, &size);
    struct gh_picture *pic = NULL;
    CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    CHECK(pic && !pic->icc);
    gh_picture_free(pic);
    free(jpg);
    free(icc);
}

/* gh_io_exif_prepare on an exact-size heap copy, so ASan sees any overread. */
static int prepare_copy(const unsigned char *p, size_t n, unsigned char **out, size_t *out_n)
{
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    enum gh_status st = gh_io_exif_prepare(copy, n, out, out_n);
    free(copy);
    CHECK(st == GH_OK);
    return *out != NULL;
}

static void put16le(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32le(unsigned char *p, uint32_t v)
{
    put16le(p, v & 0xffff);
    put16le(p + 2, v >> 16);
}

static void entry(unsigned char *e, unsigned tag, unsigned type, uint32_t count, uint32_t value)
{
    put16le(e, tag);
    put16le(e + 2, type);
    put32le(e + 4, count);
    put32le(e + 8, value);
}

/* A little-endian TIFF whose thumbnail (IFD1 at 38, JPEG at 56) lies before
 * the Exif IFD (60) and its DateTimeOriginal (78..98): it cannot be cut, only
 * unlinked. */
static size_t thumb_in_middle(unsigned char *t)
{
    memset(t, 0, 98);
    memcpy(t, "II*\0", 4);
    put32le(t + 4, 8);
    put16le(t + 8, 2);
    entry(t + 10, 0x0112, 3, 1, 8);
    entry(t + 22, 0x8769, 4, 1, 60);
    put32le(t + 34, 38);
    put16le(t + 38, 1);
    entry(t + 40, 0x0201, 4, 1, 56);
    memcpy(t + 56, "\xff\xd8\xff\xd9", 4);
    put16le(t + 60, 1);
    entry(t + 62, 0x9003, 2, 20, 78);
    memcpy(t + 78, "2024:05:06 07:08:09", 20);
    return 98;
}

static void test_hostile_exif(void)
{
    unsigned char t[98], *out = NULL;
    size_t n = thumb_in_middle(t), out_n = 0;
    CHECK(gh_io_exif_tiff_orientation(t, n) == 8);
    CHECK(prepare_copy(t, n, &out, &out_n) && out_n == n);
    if (out && out_n == n) {
        CHECK(rd32(out, 34) == 0 && gh_io_exif_tiff_orientation(out, n) == 1);
        CHECK(memcmp(out, t, 18) == 0 && memcmp(out + 22, t + 22, 12) == 0);
        CHECK(memcmp(out + 38, t + 38, n - 38) == 0);
    }
    free(out);
    out = NULL;
    /* Orientation with a wrong type becomes a proper SHORT 1. */
    entry(t + 10, 0x0112, 2, 4, 0x00333231);
    CHECK(prepare_copy(t, n, &out, &out_n));
    if (out)
        CHECK(rd16(out, 12) == 3 && rd32(out, 14) == 1 && rd32(out, 18) == 1);
    free(out);
    out = NULL;
    /* Loops: IFD1 = IFD0, Exif IFD = IFD0, Exif IFD = itself. Finite, kept. */
    uint32_t loops[][2] = {{34, 8}, {30, 8}, {30, 60}};
    for (int k = 0; k < 3; k++) {
        thumb_in_middle(t);
        if (k == 2)
            entry(t + 62, 0x8769, 4, 1, 60);
        put32le(t + loops[k][0], loops[k][1]);
        CHECK_MSG(prepare_copy(t, n, &out, &out_n), "loop %d", k);
        free(out);
        out = NULL;
    }
    /* Malformed: nothing kept. */
    thumb_in_middle(t);
    struct {
        const char *name;
        size_t at;
        uint32_t value;
        int width;
    } bad[] = {
        {"byte order", 0, 'X', 1},
        {"magic", 2, 43, 2},
        {"IFD0 offset past the end", 4, 0xfffffff0u, 4},
        {"IFD0 offset inside the header", 4, 2, 4},
        {"IFD0 count past the end", 8, 9, 2},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        unsigned char c[98];
        memcpy(c, t, n);
        for (int i = 0; i < bad[k].width; i++)
            c[bad[k].at + (size_t)i] = (unsigned char)(bad[k].value >> (8 * i));
        CHECK_MSG(!prepare_copy(c, n, &out, &out_n) && out_n == 0, "%s", bad[k].name);
        free(out);
        out = NULL;
    }
    /* Every prefix: kept exactly when IFD0 and its next offset are whole. */
    for (size_t len = 0; len <= n; len++) {
        int kept = prepare_copy(t, len, &out, &out_n);
        CHECK_MSG(kept == (len >= 38), "prefix %zu: %d", len, kept);
        free(out);
        out = NULL;
    }
    /* The fixtures' EXIF, every prefix and many corruptions (for ASan). */
    size_t size;
    unsigned char *data = read_fixture("meta.jpg", &size);
    size_t en = 0;
    const unsigned char *exif = data ? jpeg_exif(data, size, &en) : NULL;
    for (size_t len = 0; exif && len <= en; len++) {
        prepare_copy(exif, len, &out, &out_n);
        free(out);
        out = NULL;
    }
    uint32_t rng = 12345;
    unsigned char *c = exif ? malloc(en) : NULL;
    for (int k = 0; c && k < 3000; k++) {
        memcpy(c, exif, en);
        for (int f = 0; f < 1 + k % 4; f++) {
            rng = rng * 1103515245u + 12345u;
            size_t at = (rng >> 8) % (en < 200 ? en : 200); /* the IFDs are up front */
            rng = rng * 1103515245u + 12345u;
            c[at] = (unsigned char)(rng >> 16);
        }
        if (prepare_copy(c, en, &out, &out_n))
            CHECK(out_n <= en && gh_io_exif_tiff_orientation(out, out_n) != 6);
        free(out);
        out = NULL;
    }
    free(c);
    /* Through the decoder: a JPEG with a truncated EXIF decodes, without it. */
    if (exif) {
        unsigned char app1[64];
        memcpy(app1, "Exif\0\0", 6);
        memcpy(app1 + 6, exif, 20);
        unsigned char px[32 * 16 * 3] = {0}, *jpg;
        size_t jn;
        test_jpeg_write(32, 16, 3, JCS_RGB, px, 90, 0, 0, -1, app1, 26, &jpg, &jn);
        struct gh_picture *pic = NULL;
        CHECK_OK(gh_io_decode(jpg, jn, 0, &pic));
        CHECK(pic && !pic->exif && pic->exif_size == 0);
        gh_picture_free(pic);
        free(jpg);
    }
    free(data);
}

/* EXIF sizes and arguments the encoders refuse or leave out. */
static void test_encode_limits(void)
{
    struct gh_image *rgb = NULL;
    CHECK_OK(gh_image_new(8, 8, 3, &rgb));
    if (!rgb)
        return;
    /* A valid 70000-byte EXIF: one UNDEFINED value of 69974 bytes. */
    const size_t big_n = 70000;
    unsigned char *big = calloc(1, big_n);
    memcpy(big, "II*\0", 4);
    put32le(big + 4, 8);
    put16le(big + 8, 1);
    entry(big + 10, 0x927c, 7, (uint32_t)(big_n - 26), 26);
    struct gh_encode_options opt;
    unsigned char *out = NULL;
    size_t out_n = 0;
    for (int fmt = 0; fmt < 2; fmt++) {
        gh_io_encode_defaults(&opt);
        opt.exif = big;
        opt.exif_size = big_n;
        CHECK_OK(gh_io_encode_with(rgb, NULL, fmt ? GH_FORMAT_PNG : GH_FORMAT_JPEG, &opt, &out,
                                   &out_n));
        struct gh_picture *pic = NULL;
        if (out)
            CHECK_OK(gh_io_decode(out, out_n, 0, &pic));
        /* JPEG: over one segment, left out; PNG: kept. */
        if (pic && fmt)
            CHECK(same(pic->exif, pic->exif_size, big, big_n));
        else if (pic)
            CHECK(!pic->exif);
        gh_picture_free(pic);
        free(out);
        out = NULL;
    }
    gh_io_encode_defaults(&opt);
    opt.exif_size = 10;
    CHECK(gh_io_encode_with(rgb, NULL, GH_FORMAT_JPEG, &opt, &out, &out_n) == GH_ERR_ARGUMENT);
    opt.exif_size = 0;
    opt.icc_size = 10;
    CHECK(gh_io_encode_with(rgb, NULL, GH_FORMAT_PNG, &opt, &out, &out_n) == GH_ERR_ARGUMENT);
    opt.icc_size = 0;
    opt.exif = (const unsigned char *)"Exif\0\0II*\0\x08\0\0\0";
    opt.exif_size = 14;
    CHECK(gh_io_encode_with(rgb, NULL, GH_FORMAT_PNG, &opt, &out, &out_n) == GH_ERR_ARGUMENT);
    CHECK(!out);
    free(big);
    gh_image_free(rgb);
}

/* eXIf after IDAT is neither applied nor kept (libpng reads chunks up to
 * IDAT; browsers ignore a late eXIf too). */
static void test_png_late_exif(void)
{
    size_t size;
    unsigned char *data = read_fixture("meta.jpg", &size);
    size_t en = 0;
    const unsigned char *exif = data ? jpeg_exif(data, size, &en) : NULL;
    if (!exif) {
        free(data);
        return;
    }
    unsigned char row[4 * 3] = {0}, *rows[2] = {row, row};
    for (int late = 0; late < 2; late++) {
        png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        png_infop info = png_create_info_struct(png);
        struct tbuf b = {0};
        png_set_write_fn(png, &b, tbuf_png_write, tbuf_png_flush);
        png_set_IHDR(png, info, 4, 2, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        if (!late)
            png_set_eXIf_1(png, info, (png_uint_32)en, (png_bytep)exif);
        png_write_info(png, info);
        png_write_image(png, rows);
        if (late)
            png_set_eXIf_1(png, info, (png_uint_32)en, (png_bytep)exif);
        /* libpng 1.6.39 writes an eXIf set before IDAT again at the end. */
        png_write_end(png, late ? info : NULL);
        png_destroy_write_struct(&png, &info);
        char order[128];
        png_chunks(b.data, b.size, order, sizeof order);
        CHECK_MSG(!strcmp(order, late ? "IHDR IDAT eXIf IEND" : "IHDR eXIf IDAT IEND"), "%s",
                  order);
        struct gh_picture *pic = NULL;
        CHECK_OK(gh_io_decode(b.data, b.size, 0, &pic));
        if (pic && late)
            CHECK(!pic->exif && pic->orientation == 1 && pic->rgb->width == 4);
        else if (pic)
            CHECK(pic->exif && pic->orientation == 6 && pic->rgb->width == 2);
        gh_picture_free(pic);
        free(b.data);
    }
    free(data);
}

int main(void)
{
    test_jpeg_fixture();
    test_png_fixture();
    test_round_trips();
    test_large_icc();
    test_icc_chunk_sets();
    test_hostile_exif();
    test_encode_limits();
    test_png_late_exif();
    return check_finish();
}
