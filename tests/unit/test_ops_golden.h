/* Readers for the golden files of tests/data/ops/ (written by tools/make-goldens)
 * and comparison helpers shared by the test_ops_*.c tests. Header-only because
 * every test is one .c file plus check.c. */
#ifndef GH_TEST_OPS_GOLDEN_H
#define GH_TEST_OPS_GOLDEN_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ghiblify/image.h"

static inline const char *golden_path(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", check_source_path("tests/data/ops/"));
    strncat(buf, name, sizeof buf - strlen(buf) - 1);
    return buf;
}

/* Reads a binary PGM/PPM (8 or 16 bit) into a [0,1] float image (planar).
 * With raw16 set, 16-bit values are returned unscaled (label maps). NULL on error. */
static inline struct gh_image *golden_read_pnm_ex(const char *name, int raw16)
{
    const char *path = golden_path(name);
    FILE *f = fopen(path, "rb");
    struct gh_image *img = NULL;
    unsigned char *bytes = NULL;
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    char magic[3] = {0};
    int w, h, maxval;
    if (fscanf(f, "%2s %d %d %d", magic, &w, &h, &maxval) != 4 || fgetc(f) == EOF ||
        (strcmp(magic, "P5") && strcmp(magic, "P6")) || (maxval != 255 && maxval != 65535))
        goto out;
    int c = magic[1] == '6' ? 3 : 1, bpv = maxval == 255 ? 1 : 2;
    size_t n = (size_t)w * (size_t)h * (size_t)c;
    bytes = malloc(n * (size_t)bpv);
    if (!bytes || fread(bytes, (size_t)bpv, n, f) != n)
        goto out;
    if (gh_image_new(w, h, c, &img) != GH_OK)
        goto out;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        for (int k = 0; k < c; k++) {
            size_t at = i * (size_t)c + (size_t)k;
            double v = bpv == 1 ? bytes[at] : (double)(bytes[2 * at] << 8 | bytes[2 * at + 1]);
            gh_image_plane(img, k)[i] = (float)(raw16 && bpv == 2 ? v : v / maxval);
        }
out:
    if (!img)
        fprintf(stderr, "bad PNM file %s\n", path);
    free(bytes);
    (void)fclose(f);
    return img;
}

static inline struct gh_image *golden_read_pnm(const char *name)
{
    return golden_read_pnm_ex(name, 0);
}

/* Reads a GHF float file ("GHF1 w h c\n" + planar float32 little-endian). */
static inline struct gh_image *golden_read_ghf(const char *name)
{
    const char *path = golden_path(name);
    FILE *f = fopen(path, "rb");
    struct gh_image *img = NULL;
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    int w, h, c;
    if (fscanf(f, "GHF1 %d %d %d", &w, &h, &c) == 3 && fgetc(f) == '\n' &&
        gh_image_new(w, h, c, &img) == GH_OK) {
        size_t n = (size_t)w * (size_t)h * (size_t)c;
        if (fread(img->data, sizeof(float), n, f) != n) {
            gh_image_free(img);
            img = NULL;
        }
    }
    if (!img)
        fprintf(stderr, "bad GHF file %s\n", path);
    (void)fclose(f);
    return img;
}

/* Value of `key` in a golden "key v1 v2 ..." text file; fills up to n values. */
static inline int golden_read_values(const char *name, const char *key, double *v, int n)
{
    FILE *f = fopen(golden_path(name), "r");
    char line[512];
    int got = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(key);
        if (strncmp(line, key, len) || line[len] != ' ')
            continue;
        char *p = line + len;
        for (got = 0; got < n; got++) {
            char *end;
            v[got] = strtod(p, &end);
            if (end == p)
                break;
            p = end;
        }
        break;
    }
    (void)fclose(f);
    return got;
}

/* Largest difference in 8-bit levels between ours (clamped to [0,1], rounded as
 * an 8-bit writer would) and a golden image already holding k/255 values. */
static inline int max_level_diff(const struct gh_image *ours, const struct gh_image *golden)
{
    if (!ours || !golden || ours->width != golden->width || ours->height != golden->height ||
        ours->channels != golden->channels)
        return 9999;
    int worst = 0;
    size_t n = gh_image_plane_size(ours) * (size_t)ours->channels;
    for (size_t i = 0; i < n; i++) {
        float v = ours->data[i] < 0 ? 0 : ours->data[i] > 1 ? 1 : ours->data[i];
        int a = (int)lrintf(v * 255), b = (int)lrintf(golden->data[i] * 255);
        int d = abs(a - b);
        if (d > worst)
            worst = d;
    }
    return worst;
}

/* Share of the samples (0..1) whose 8-bit level differs from the golden's at
 * all (ours rounded as an 8-bit writer would): a check that "at most 1 level"
 * lets through a kernel that is slightly wrong everywhere. */
static inline double level_diff_share(const struct gh_image *ours, const struct gh_image *golden)
{
    if (!ours || !golden || ours->width != golden->width || ours->height != golden->height ||
        ours->channels != golden->channels)
        return 1;
    size_t n = gh_image_plane_size(ours) * (size_t)ours->channels, differ = 0;
    for (size_t i = 0; i < n; i++) {
        float v = ours->data[i] < 0 ? 0 : ours->data[i] > 1 ? 1 : ours->data[i];
        differ += lrintf(v * 255) != lrintf(golden->data[i] * 255);
    }
    return n ? (double)differ / (double)n : 0;
}

/* Largest absolute difference between two float images of the same shape. */
static inline double max_abs_diff(const struct gh_image *a, const struct gh_image *b)
{
    if (!a || !b || a->width != b->width || a->height != b->height || a->channels != b->channels)
        return INFINITY;
    double worst = 0;
    size_t n = gh_image_plane_size(a) * (size_t)a->channels;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a->data[i] - b->data[i]);
        if (!(d <= worst))
            worst = d;
    }
    return worst;
}

/* PSNR in dB on the 8-bit scale (ours clamped and rounded like a writer). */
static inline double psnr_8bit(const struct gh_image *ours, const struct gh_image *golden)
{
    if (!ours || !golden || ours->width != golden->width || ours->height != golden->height ||
        ours->channels != golden->channels)
        return 0;
    double se = 0;
    size_t n = gh_image_plane_size(ours) * (size_t)ours->channels;
    for (size_t i = 0; i < n; i++) {
        float v = ours->data[i] < 0 ? 0 : ours->data[i] > 1 ? 1 : ours->data[i];
        double d = lrintf(v * 255) - (double)lrintf(golden->data[i] * 255);
        se += d * d;
    }
    if (se == 0)
        return INFINITY;
    return 10 * log10(255.0 * 255.0 / (se / (double)n));
}

/* A width x height x channels image filled with a deterministic pseudo-random pattern. */
static inline struct gh_image *noise_image(int width, int height, int channels, unsigned seed)
{
    struct gh_image *img = NULL;
    if (gh_image_new(width, height, channels, &img) != GH_OK)
        return NULL;
    unsigned s = seed * 2654435761u + 1;
    size_t n = gh_image_plane_size(img) * (size_t)channels;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        img->data[i] = (float)(s >> 8) / (float)(1u << 24);
    }
    return img;
}

/* Copy of a sub-rectangle. */
static inline struct gh_image *crop_image(const struct gh_image *in, int x0, int y0, int w, int h)
{
    struct gh_image *out = NULL;
    if (gh_image_new(w, h, in->channels, &out) != GH_OK)
        return NULL;
    for (int c = 0; c < in->channels; c++)
        for (int y = 0; y < h; y++)
            memcpy(gh_image_plane(out, c) + (size_t)y * (size_t)w,
                   gh_image_plane(in, c) + (size_t)(y0 + y) * (size_t)in->width + (size_t)x0,
                   (size_t)w * sizeof(float));
    return out;
}

#endif
