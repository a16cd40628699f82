/* EXIF orientation: all eight values in both TIFF byte orders applied on JPEG
 * decode, the same transforms on alpha, and hostile EXIF data. */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/io.h"
#include "io/io_internal.h"

#include <math.h>
#include <stdint.h>

static void put16(unsigned char *p, unsigned v, int little)
{
    p[little ? 0 : 1] = (unsigned char)v;
    p[little ? 1 : 0] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v, int little)
{
    for (int i = 0; i < 4; i++)
        p[little ? i : 3 - i] = (unsigned char)(v >> (8 * i));
}

/* An APP1 payload: "Exif\0\0", TIFF header, IFD0 = {Make (ASCII at an offset),
 * Orientation (SHORT)}, next-IFD 0, then the Make string. 50 bytes; the
 * orientation entry ends at byte 40. */
static size_t exif_payload(unsigned char *out, int little, unsigned orientation)
{
    memset(out, 0, 64);
    memcpy(out, "Exif\0\0", 6);
    unsigned char *t = out + 6;
    t[0] = t[1] = little ? 'I' : 'M';
    put16(t + 2, 42, little);
    put32(t + 4, 8, little);
    put16(t + 8, 2, little);
    unsigned char *e = t + 10;
    put16(e, 0x010f, little);
    put16(e + 2, 2, little);
    put32(e + 4, 6, little);
    put32(e + 8, 38, little);
    e += 12;
    put16(e, 0x0112, little);
    put16(e + 2, 3, little);
    put32(e + 4, 1, little);
    put16(e + 8, orientation, little);
    put32(t + 34, 0, little);
    memcpy(t + 38, "Canon", 6);
    return 50;
}

/* Where stored pixel (sx, sy) of a w x h image appears when displayed, straight
 * from the EXIF specification's words: which side the stored 0th row and 0th
 * column are on. */
static void display_pos(int orientation, int w, int h, int sx, int sy, int *dx, int *dy)
{
    switch (orientation) {
    case 1: *dx = sx; *dy = sy; break;                 /* row top, column left */
    case 2: *dx = w - 1 - sx; *dy = sy; break;         /* row top, column right */
    case 3: *dx = w - 1 - sx; *dy = h - 1 - sy; break; /* row bottom, column right */
    case 4: *dx = sx; *dy = h - 1 - sy; break;         /* row bottom, column left */
    case 5: *dx = sy; *dy = sx; break;                 /* row left, column top */
    case 6: *dx = h - 1 - sy; *dy = sx; break;         /* row right, column top */
    case 7: *dx = h - 1 - sy; *dy = w - 1 - sx; break; /* row right, column bottom */
    default: *dx = sy; *dy = w - 1 - sx; break;        /* 8: row left, column bottom */
    }
}

#define BS 16
#define GW 4
#define GH 2
static const unsigned char block_colors[GH][GW][3] = {
    {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}},
    {{255, 0, 255}, {0, 255, 255}, {255, 255, 255}, {0, 0, 0}},
};

static unsigned char *block_image(void)
{
    const int w = GW * BS, h = GH * BS;
    unsigned char *px = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            memcpy(px + ((size_t)y * w + x) * 3, block_colors[y / BS][x / BS], 3);
    return px;
}

static void test_orientations(void)
{
    const int w = GW * BS, h = GH * BS;
    unsigned char *px = block_image();
    for (int little = 0; little <= 1; little++) {
        for (int o = 1; o <= 8; o++) {
            unsigned char app1[64];
            size_t n = exif_payload(app1, little, (unsigned)o);
            unsigned char *jpg;
            size_t size;
            test_jpeg_write(w, h, 3, JCS_RGB, px, 95, 1, 0, -1, app1, n, &jpg, &size);
            struct gh_picture *pic = NULL;
            CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
            free(jpg);
            if (!pic)
                continue;
            int swap = o >= 5;
            CHECK_MSG(pic->orientation == o, "%s %d: orientation %d", little ? "II" : "MM", o,
                      pic->orientation);
            CHECK_MSG(pic->rgb->width == (swap ? h : w) && pic->rgb->height == (swap ? w : h),
                      "%d: %dx%d", o, pic->rgb->width, pic->rgb->height);
            if (pic->rgb->width != (swap ? h : w)) {
                gh_picture_free(pic);
                continue;
            }
            /* Every stored pixel at least 3 pixels inside its block lands where the
             * spec puts it, with its block's color (JPEG loss: within 10 levels). */
            size_t plane = gh_image_plane_size(pic->rgb), bad = 0;
            for (int sy = 0; sy < h; sy++)
                for (int sx = 0; sx < w; sx++) {
                    if (sx % BS < 3 || sx % BS > BS - 4 || sy % BS < 3 || sy % BS > BS - 4)
                        continue;
                    int dx, dy;
                    display_pos(o, w, h, sx, sy, &dx, &dy);
                    size_t i = (size_t)dy * pic->rgb->width + dx;
                    int by = sy / BS, bx = sx / BS;
                    for (int c = 0; c < 3; c++)
                        if (fabs(pic->rgb->data[c * plane + i] * 255.0 - block_colors[by][bx][c]) > 10)
                            bad++;
                }
            CHECK_MSG(bad == 0, "%s orientation %d: %zu values off", little ? "II" : "MM", o, bad);
            gh_picture_free(pic);
        }
    }
    free(px);
}

/* gh_io_apply_orientation moves alpha exactly like rgb (PNG has no EXIF here, so
 * this is checked directly). */
static void test_alpha_orientation(void)
{
    const int w = 3, h = 2;
    for (int o = 1; o <= 8; o++) {
        struct gh_picture *pic = calloc(1, sizeof *pic);
        pic->orientation = 1;
        CHECK_OK(gh_image_new(w, h, 3, &pic->rgb));
        CHECK_OK(gh_image_new(w, h, 1, &pic->alpha));
        for (int i = 0; i < w * h * 3; i++)
            pic->rgb->data[i] = (float)i;
        for (int i = 0; i < w * h; i++)
            pic->alpha->data[i] = 100.0f + (float)i;
        CHECK_OK(gh_io_apply_orientation(pic, o));
        CHECK(pic->orientation == o);
        int dw = o >= 5 ? h : w;
        CHECK(pic->rgb->width == dw && pic->alpha->width == dw);
        size_t bad = 0;
        for (int sy = 0; sy < h; sy++)
            for (int sx = 0; sx < w; sx++) {
                int dx, dy;
                display_pos(o, w, h, sx, sy, &dx, &dy);
                int si = sy * w + sx, di = dy * dw + dx;
                if (pic->alpha->data[di] != 100.0f + (float)si)
                    bad++;
                for (int c = 0; c < 3; c++)
                    if (pic->rgb->data[c * w * h + di] != (float)(c * w * h + si))
                        bad++;
            }
        CHECK_MSG(bad == 0, "orientation %d: %zu values misplaced", o, bad);
        gh_picture_free(pic);
    }
}

/* The parser on exact-size heap copies, so ASan flags any read past the end. */
static int parse_copy(const unsigned char *p, size_t n)
{
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    int o = gh_io_exif_orientation(copy, n);
    free(copy);
    return o;
}

static void test_hostile(void)
{
    unsigned char good[64];
    for (int little = 0; little <= 1; little++) {
        size_t n = exif_payload(good, little, 6);
        CHECK(parse_copy(good, n) == 6);
        /* Every truncation: no orientation until the whole entry is there. */
        for (size_t len = 0; len <= n; len++) {
            int o = parse_copy(good, len);
            CHECK_MSG(o == (len >= 40 ? 6 : 0), "prefix %zu: %d", len, o);
        }
    }
    struct {
        const char *name;
        size_t at;      /* offset into the payload */
        uint32_t value; /* written there (little-endian payload) */
        int width;      /* 1, 2 or 4 bytes */
        size_t size;    /* payload size to keep (0: whole) */
    } cases[] = {
        {"IFD offset past the end", 10, 0xfffffff0u, 4, 0},
        {"IFD offset at the last byte", 10, 43, 4, 0},
        {"IFD offset overflowing", 10, 0xffffffffu, 4, 0},
        {"huge entry count, IFD cut after one entry", 14, 0xffff, 2, 6 + 10 + 12 + 5},
        {"truncated IFD", 0, 0, 0, 6 + 10 + 12 + 9},
        {"bad byte order", 6, 'X', 1, 0},
        {"bad TIFF magic", 8, 43, 2, 0},
        {"orientation 0", 6 + 10 + 12 + 8, 0, 2, 0},
        {"orientation 9", 6 + 10 + 12 + 8, 9, 2, 0},
        {"orientation as ASCII", 6 + 10 + 12 + 2, 2, 2, 0},
        {"orientation with count 0", 6 + 10 + 12 + 4, 0, 4, 0},
        {"not Exif", 0, 'X', 1, 0},
    };
    unsigned char *px = block_image();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char p[64];
        size_t n = exif_payload(p, 1, 6);
        for (int i = 0; i < cases[k].width; i++)
            p[cases[k].at + (size_t)i] = (unsigned char)(cases[k].value >> (8 * i));
        if (cases[k].size)
            n = cases[k].size;
        CHECK_MSG(parse_copy(p, n) == 0, "%s", cases[k].name);
        unsigned char *jpg;
        size_t size;
        test_jpeg_write(GW * BS, GH * BS, 3, JCS_RGB, px, 90, 0, 0, -1, p, n, &jpg, &size);
        struct gh_picture *pic = NULL;
        enum gh_status st = gh_io_decode(jpg, size, 0, &pic);
        CHECK_MSG(st == GH_OK, "%s: %s", cases[k].name, gh_error_detail());
        if (pic)
            CHECK_MSG(pic->orientation == 1 && pic->rgb->width == GW * BS, "%s", cases[k].name);
        gh_picture_free(pic);
        free(jpg);
    }
    free(px);
    /* Big-endian with a LONG orientation (not per spec, but unambiguous). */
    unsigned char p[64];
    size_t n = exif_payload(p, 0, 0);
    put16(p + 6 + 10 + 12 + 2, 4, 0);
    put32(p + 6 + 10 + 12 + 8, 8, 0);
    CHECK(parse_copy(p, n) == 8);
    CHECK(gh_io_exif_orientation(NULL, 0) == 0);
}

int main(void)
{
    test_orientations();
    test_alpha_orientation();
    test_hostile();
    return check_finish();
}
