/* Which optional codecs this build has, with their run-time versions, for
 * --version: a bug report then says whether a HEIC failed for want of libheif
 * or inside it. */
#include "io/io_internal.h"

#include <stdio.h>

#ifdef GH_HAVE_WEBP
#include <webp/decode.h>
#endif
#ifdef GH_HAVE_HEIF
#include <libheif/heif.h>
#endif
#ifdef GH_HAVE_LCMS2
#include <lcms2.h>
#endif

void gh_io_codec_versions(char *buf, size_t size)
{
    char webp[32] = "no", heif[32] = "no", lcms[32] = "no";
#ifdef GH_HAVE_WEBP
    int v = WebPGetDecoderVersion();
    snprintf(webp, sizeof webp, "libwebp %d.%d.%d", v >> 16, (v >> 8) & 0xff, v & 0xff);
#endif
#ifdef GH_HAVE_HEIF
    snprintf(heif, sizeof heif, "libheif %s", heif_get_version());
#endif
#ifdef GH_HAVE_LCMS2
    int l = cmsGetEncodedCMMversion();
    snprintf(lcms, sizeof lcms, "lcms2 %d.%d", l / 1000, l % 1000 / 10);
#endif
    snprintf(buf, size, "WebP: %s; HEIC/HEIF and AVIF: %s; ICC profiles to sRGB: %s", webp, heif,
             lcms);
}
