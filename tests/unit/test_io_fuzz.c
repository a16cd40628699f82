/* Mutated files: thousands of small PNGs and JPEGs with random bytes changed or
 * cut short must each decode or fail cleanly: a data status with a non-empty
 * one-line detail, *out NULL, and (under ASan) no bad read and no leak. Seeds
 * are fixed, so a failure reproduces. */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/io.h"

#include <stdint.h>

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void mutate_and_decode(const unsigned char *data, size_t size, int rounds,
                              const char *what)
{
    unsigned char *m = malloc(size);
    uint32_t seed = 0x9e3779b9u;
    int ok = 0, bad_status = 0, bad_detail = 0, bad_out = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(m, data, size);
        size_t len = size;
        int edits = 1 + (int)(rng(&seed) % 6);
        for (int k = 0; k < edits; k++)
            m[rng(&seed) % size] = (unsigned char)rng(&seed);
        if (rng(&seed) % 4 == 0)
            len = 1 + rng(&seed) % size;
        /* Exact-size copy so ASan sees any read past the end. */
        unsigned char *exact = malloc(len);
        memcpy(exact, m, len);
        struct gh_picture *pic = (struct gh_picture *)1;
        gh_error_clear();
        enum gh_status st = gh_io_decode(exact, len, 1000000, &pic);
        if (st == GH_OK) {
            ok++;
            if (!pic || !pic->rgb || pic->rgb->channels != 3)
                bad_out++;
            gh_picture_free(pic);
        } else {
            if (st != GH_ERR_FORMAT && st != GH_ERR_UNSUPPORTED && st != GH_ERR_TOO_LARGE)
                bad_status++;
            const char *d = gh_error_detail();
            if (!d[0] || strchr(d, '\n'))
                bad_detail++;
            if (pic != NULL)
                bad_out++;
        }
        free(exact);
    }
    CHECK_MSG(bad_status == 0, "%s: %d unexpected statuses", what, bad_status);
    CHECK_MSG(bad_detail == 0, "%s: %d empty or multi-line details", what, bad_detail);
    CHECK_MSG(bad_out == 0, "%s: %d bad outputs", what, bad_out);
    CHECK_MSG(ok < rounds, "%s: every mutation decoded (%d)", what, ok);
    printf("%s: %d of %d mutations decoded\n", what, ok, rounds);
    free(m);
}

int main(void)
{
    const int w = 23, h = 17;
    unsigned char px[23 * 17 * 4];
    for (int i = 0; i < w * h * 4; i++)
        px[i] = (unsigned char)(i * 37 + (i / 50) * 11);

    struct gh_image *rgb = NULL, *alpha = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &rgb));
    CHECK_OK(gh_image_new(w, h, 1, &alpha));
    for (int i = 0; i < w * h; i++) {
        for (int c = 0; c < 3; c++)
            rgb->data[c * w * h + i] = px[i * 4 + c] / 255.0f;
        alpha->data[i] = px[i * 4 + 3] / 255.0f;
    }
    unsigned char *data;
    size_t size;
    CHECK_OK(gh_io_encode(rgb, alpha, GH_FORMAT_PNG, 0, &data, &size));
    mutate_and_decode(data, size, 1500, "PNG RGBA");
    free(data);
    gh_image_free(rgb);
    gh_image_free(alpha);

    /* Interlaced 4-bit palette with tRNS: the most transform-heavy PNG path. */
    png_color pal[16];
    png_byte trns[5] = {0, 50, 100, 150, 200};
    for (int k = 0; k < 16; k++) {
        pal[k].red = (png_byte)(k * 16);
        pal[k].green = (png_byte)(255 - k * 16);
        pal[k].blue = (png_byte)(k * 7);
    }
    unsigned char rows_data[17][12];
    unsigned char *rows[17];
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < 12; x++)
            rows_data[y][x] = (unsigned char)(x * 31 + y * 17);
        rows[y] = rows_data[y];
    }
    struct tpng p = {w, h, 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_ADAM7, pal, 16, trns, 5,
                     NULL, rows};
    struct tbuf b = {0};
    test_png_write(&p, &b);
    mutate_and_decode(b.data, b.size, 1000, "PNG Adam7 palette");
    free(b.data);

    unsigned char rgb_px[23 * 17 * 3];
    for (int i = 0; i < w * h * 3; i++)
        rgb_px[i] = px[i];
    test_jpeg_write(w, h, 3, JCS_RGB, rgb_px, 85, 0, 0, -1, NULL, 0, &data, &size);
    mutate_and_decode(data, size, 1500, "JPEG baseline");
    free(data);
    test_jpeg_write(w, h, 3, JCS_RGB, rgb_px, 85, 0, 1, -1, NULL, 0, &data, &size);
    mutate_and_decode(data, size, 1000, "JPEG progressive");
    free(data);
    test_jpeg_write(w, h, 4, JCS_CMYK, px, 85, 0, 0, -1, NULL, 0, &data, &size);
    mutate_and_decode(data, size, 500, "JPEG CMYK");
    free(data);
    return check_finish();
}
