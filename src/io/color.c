/* Color management: pixels described by an embedded ICC profile other than
 * sRGB (Display P3 from phones, Adobe RGB from cameras) are converted to sRGB
 * with Little CMS 2 right after decoding, because every stage and the model
 * assume sRGB values: left alone, P3 photos come out dull and Adobe RGB ones
 * washed out, and the output's copied profile would then describe pixels the
 * stages have remapped.
 *
 * What the picture's profile becomes:
 *   - an sRGB profile (one whose transform to sRGB moves no probe color by more
 *     than GH_COLOR_SRGB_TOLERANCE): pixels and bytes kept as they are;
 *   - another RGB profile lcms2 can use: pixels converted (perceptual intent,
 *     which for the matrix profiles of phones and Adobe RGB is relative
 *     colorimetric; colors outside sRGB clipped), profile replaced by lcms2's
 *     built-in sRGB profile so the output is tagged sRGB, never with the
 *     original, which no longer describes the pixels;
 *   - a profile lcms2 rejects: pixels and bytes kept (it still describes them). */
#include "io/io_internal.h"

#ifndef GH_HAVE_LCMS2

enum gh_status gh_io_color_to_srgb(struct gh_picture *picture)
{
    (void)picture;
    return GH_OK; /* the profile is kept with the unconverted pixels it describes */
}

enum gh_status gh_io_icc_from_primaries(const float xy[8], unsigned char **icc, size_t *size)
{
    (void)xy;
    *icc = NULL; /* nothing would convert it: the pixels stay as they are */
    *size = 0;
    return GH_OK;
}

#else

#include <lcms2.h>
#include <stdlib.h>
#include <string.h>

/* Largest change of any probe color, in [0, 1] units, for a profile to count
 * as sRGB: a quarter of an 8-bit step, so skipping the conversion changes no
 * 8-bit value by more than rounding would. */
#define GH_COLOR_SRGB_TOLERANCE (0.25f / 255.0f)

/* Planar float RGB, the layout of gh_image. lcms2 evaluates a float
 * transform per pixel, curves and all (0.27 s a megapixel here), so 8-bit
 * pictures, whose samples are exactly k / 255, go through its 8-bit transform
 * instead: optimized to tables and a fixed-point matrix, 10x faster, within a
 * level of the float result, and the very transform of an 8-bit lcms2 user.
 * (Its 16-bit transforms are fast too, but their 3D tables were up to 14
 * levels off on saturated colors.) */
#define GH_TYPE_RGB_FLT_PLANAR (FLOAT_SH(1) | COLORSPACE_SH(PT_RGB) | CHANNELS_SH(3) | BYTES_SH(4) | PLANAR_SH(1))

/* Rows converted per call: bounds the scratch copy, keeps it in cache. */
#define GH_COLOR_CHUNK 16384

/* lcms2 calls this instead of printing; the caller reports the failure. */
static void quiet(cmsContext ctx, cmsUInt32Number code, const char *text)
{
    (void)ctx, (void)code, (void)text;
}

/* 1 when the transform leaves a grid of colors (0, 0.25, .. 1 per channel) within
 * GH_COLOR_SRGB_TOLERANCE. */
static int is_srgb(cmsHTRANSFORM t)
{
    enum { STEPS = 5, N = STEPS * STEPS * STEPS };
    float in[3 * N], out[3 * N];
    for (int i = 0; i < N; i++) {
        int r = i % STEPS, g = i / STEPS % STEPS, b = i / (STEPS * STEPS); /* the grid point's digits */
        in[i] = (float)r / (STEPS - 1);
        in[N + i] = (float)g / (STEPS - 1);
        in[2 * N + i] = (float)b / (STEPS - 1);
    }
    cmsDoTransformLineStride(t, in, out, N, 1, N * sizeof(float), N * sizeof(float),
                             N * sizeof(float), N * sizeof(float));
    for (int i = 0; i < 3 * N; i++) {
        float d = out[i] - in[i];
        if (!(d <= GH_COLOR_SRGB_TOLERANCE && d >= -GH_COLOR_SRGB_TOLERANCE))
            return 0;
    }
    return 1;
}

/* Converts the planes in chunks through a scratch buffer: 8-bit samples as
 * bytes (quantizing recovers them exactly), others as floats clamped to
 * [0, 1] (out-of-gamut colors come out of a float transform unbounded). */
static enum gh_status convert(cmsHTRANSFORM t, struct gh_image *rgb, int eight_bit)
{
    size_t n = gh_image_plane_size(rgb), elem = eight_bit ? 1 : sizeof(float);
    size_t chunk = n < GH_COLOR_CHUNK ? n : GH_COLOR_CHUNK;
    unsigned char *scratch = malloc(3 * chunk * elem);
    if (!scratch)
        return gh_error(GH_ERR_NOMEM, "no memory to convert colors");
    float *plane[3] = {gh_image_plane(rgb, 0), gh_image_plane(rgb, 1), gh_image_plane(rgb, 2)};
    for (size_t at = 0; at < n; at += chunk) {
        size_t m = n - at < chunk ? n - at : chunk;
        for (int c = 0; c < 3; c++) {
            unsigned char *s = scratch + (size_t)c * m * elem;
            if (eight_bit)
                for (size_t i = 0; i < m; i++)
                    s[i] = gh_io_quantize8(plane[c][at + i]);
            else
                memcpy(s, plane[c] + at, m * elem);
        }
        cmsUInt32Number bytes = (cmsUInt32Number)(m * elem);
        cmsDoTransformLineStride(t, scratch, scratch, (cmsUInt32Number)m, 1, 3 * bytes, 3 * bytes, bytes, bytes);
        for (int c = 0; c < 3; c++) {
            const unsigned char *s = scratch + (size_t)c * m * elem;
            float *d = plane[c] + at;
            if (eight_bit) {
                for (size_t i = 0; i < m; i++)
                    d[i] = gh_io_unorm8(s[i]);
            } else {
                const float *f = (const float *)(const void *)s;
                for (size_t i = 0; i < m; i++)
                    d[i] = f[i] > 0.0f ? (f[i] < 1.0f ? f[i] : 1.0f) : 0.0f; /* NaN -> 0 */
            }
        }
    }
    free(scratch);
    return GH_OK;
}

/* lcms2 stamps a profile it saves with the current time (header bytes 24..35);
 * a fixed date keeps outputs byte-identical from run to run, which Makefiles,
 * caches and tests rely on. Profile IDs (MD5) are not written, so nothing else
 * depends on those bytes. */
static void fix_date(unsigned char *icc)
{
    static const unsigned char date[12] = {0x07, 0xea, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0}; /* 2026-01-01 */
    memcpy(icc + 24, date, sizeof date);
}

/* lcms2's built-in sRGB profile as bytes (malloc'd). */
static enum gh_status srgb_bytes(cmsContext ctx, unsigned char **out, size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    cmsHPROFILE p = cmsCreate_sRGBProfileTHR(ctx);
    cmsUInt32Number n = 0;
    enum gh_status st = GH_OK;
    if (!p || !cmsSaveProfileToMem(p, NULL, &n) || n == 0) {
        st = gh_error(GH_ERR_NOMEM, "no memory for an sRGB profile");
        goto out;
    }
    if (!(*out = malloc(n))) {
        st = gh_error(GH_ERR_NOMEM, "no memory for an sRGB profile");
        goto out;
    }
    if (!cmsSaveProfileToMem(p, *out, &n)) {
        free(*out);
        *out = NULL;
        st = gh_error(GH_ERR_NOMEM, "no memory for an sRGB profile");
        goto out;
    }
    fix_date(*out);
    *out_size = n;
out:
    if (p)
        cmsCloseProfile(p);
    return st;
}

enum gh_status gh_io_icc_from_primaries(const float xy[8], unsigned char **icc, size_t *size)
{
    *icc = NULL;
    *size = 0;
    cmsContext ctx = cmsCreateContext(NULL, NULL);
    if (!ctx)
        return gh_error(GH_ERR_NOMEM, "no memory for color management");
    cmsSetLogErrorHandlerTHR(ctx, quiet);
    /* IEC 61966-2-1's curve, as lcms2's own sRGB profile has it (type 4). */
    static const double srgb[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
    cmsToneCurve *curve = cmsBuildParametricToneCurve(ctx, 4, srgb);
    cmsCIExyY white = {xy[6], xy[7], 1.0};
    cmsCIExyYTRIPLE prim = {{xy[0], xy[1], 1.0}, {xy[2], xy[3], 1.0}, {xy[4], xy[5], 1.0}};
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE p = curve ? cmsCreateRGBProfileTHR(ctx, &white, &prim, curves) : NULL;
    cmsUInt32Number n = 0;
    enum gh_status st = GH_OK;
    /* Primaries that make no profile (zero y, collinear) leave the pixels alone. */
    if (p && cmsSaveProfileToMem(p, NULL, &n) && n > 0) {
        if (!(*icc = malloc(n)))
            st = gh_error(GH_ERR_NOMEM, "no memory for an ICC profile");
        else if (!cmsSaveProfileToMem(p, *icc, &n)) {
            free(*icc);
            *icc = NULL;
        } else {
            fix_date(*icc);
            *size = n;
        }
    }
    if (p)
        cmsCloseProfile(p);
    if (curve)
        cmsFreeToneCurve(curve);
    cmsDeleteContext(ctx);
    return st;
}

enum gh_status gh_io_color_to_srgb(struct gh_picture *picture)
{
    if (!picture || !picture->icc)
        return GH_OK;
    /* A context per call: lcms2's global error handler is shared state. */
    cmsContext ctx = cmsCreateContext(NULL, NULL);
    if (!ctx)
        return gh_error(GH_ERR_NOMEM, "no memory for color management");
    cmsSetLogErrorHandlerTHR(ctx, quiet);
    cmsHPROFILE in = cmsOpenProfileFromMemTHR(ctx, picture->icc, (cmsUInt32Number)picture->icc_size);
    cmsHPROFILE srgb = cmsCreate_sRGBProfileTHR(ctx);
    cmsHTRANSFORM t = NULL, t8 = NULL;
    enum gh_status st = GH_OK;
    if (!srgb) {
        st = gh_error(GH_ERR_NOMEM, "no memory for color management");
        goto out;
    }
    if (!in || cmsGetColorSpace(in) != cmsSigRgbData)
        goto out; /* unusable: kept with the pixels it describes */
    t = cmsCreateTransformTHR(ctx, in, GH_TYPE_RGB_FLT_PLANAR, srgb, GH_TYPE_RGB_FLT_PLANAR,
                              INTENT_PERCEPTUAL, 0);
    if (!t || is_srgb(t))
        goto out;
    if (picture->bit_depth == 8)
        t8 = cmsCreateTransformTHR(ctx, in, TYPE_RGB_8_PLANAR, srgb, TYPE_RGB_8_PLANAR,
                                   INTENT_PERCEPTUAL, 0);
    unsigned char *tag;
    size_t tag_size;
    if ((st = convert(t8 ? t8 : t, picture->rgb, t8 != NULL)) != GH_OK ||
        (st = srgb_bytes(ctx, &tag, &tag_size)) != GH_OK)
        goto out;
    free(picture->icc);
    picture->icc = tag;
    picture->icc_size = tag_size;
out:
    if (t8)
        cmsDeleteTransform(t8);
    if (t)
        cmsDeleteTransform(t);
    if (srgb)
        cmsCloseProfile(srgb);
    if (in)
        cmsCloseProfile(in);
    cmsDeleteContext(ctx);
    return st;
}

#endif
