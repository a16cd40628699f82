/* Format names, sniffing, decode and encode dispatch, whole-file reading. */
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* gh_io_read_picture's cap on a file's size: far above any 100 MP photo. */
#define READ_PICTURE_MAX_BYTES ((size_t)1 << 30)

void gh_picture_free(struct gh_picture *picture)
{
    if (!picture)
        return;
    gh_image_free(picture->rgb);
    gh_image_free(picture->alpha);
    free(picture->exif);
    free(picture->icc);
    free(picture);
}

enum gh_format gh_io_sniff(const unsigned char *data, size_t size)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (data && size >= 8 && memcmp(data, png_sig, 8) == 0)
        return GH_FORMAT_PNG;
    if (data && size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return GH_FORMAT_JPEG;
    if (data && size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0)
        return GH_FORMAT_WEBP;
    return gh_io_sniff_heif(data, size);
}

enum gh_format gh_io_format_parse(const char *name)
{
    if (!name)
        return GH_FORMAT_UNKNOWN;
    if (!strcasecmp(name, "png"))
        return GH_FORMAT_PNG;
    if (!strcasecmp(name, "jpg") || !strcasecmp(name, "jpeg") || !strcasecmp(name, "jpe"))
        return GH_FORMAT_JPEG;
    if (!strcasecmp(name, "webp"))
        return GH_FORMAT_WEBP;
    if (!strcasecmp(name, "heic") || !strcasecmp(name, "heif") || !strcasecmp(name, "hif"))
        return GH_FORMAT_HEIF;
    if (!strcasecmp(name, "avif"))
        return GH_FORMAT_AVIF;
    return GH_FORMAT_UNKNOWN;
}

enum gh_format gh_io_format_from_name(const char *path)
{
    if (!path)
        return GH_FORMAT_UNKNOWN;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    /* A leading dot names a hidden file (".png"), not an extension. */
    if (!dot || dot == base)
        return GH_FORMAT_UNKNOWN;
    return gh_io_format_parse(dot + 1);
}

const char *gh_io_format_extension(enum gh_format format)
{
    switch (format) {
    case GH_FORMAT_PNG:
        return "png";
    case GH_FORMAT_JPEG:
        return "jpg";
    case GH_FORMAT_WEBP:
        return "webp";
    case GH_FORMAT_HEIF:
        return "heic";
    case GH_FORMAT_AVIF:
        return "avif";
    default:
        return "";
    }
}

int gh_io_format_readable(enum gh_format format)
{
    switch (format) {
    /* The optional codecs' branches equal the built-in ones only in a build
     * that has them (GH_IO_HAVE_* is 0 or 1). */
    /* NOLINTNEXTLINE(bugprone-branch-clone) */
    case GH_FORMAT_PNG:
    case GH_FORMAT_JPEG:
        return 1;
    case GH_FORMAT_WEBP:
        return GH_IO_HAVE_WEBP;
    case GH_FORMAT_HEIF:
    case GH_FORMAT_AVIF:
        return GH_IO_HAVE_HEIF;
    default:
        return 0;
    }
}

int gh_io_format_writable(enum gh_format format)
{
    return format == GH_FORMAT_PNG || format == GH_FORMAT_JPEG ||
           (format == GH_FORMAT_WEBP && GH_IO_HAVE_WEBP);
}

enum gh_status gh_io_check_size(uint64_t width, uint64_t height, uint64_t max_pixels)
{
    if (max_pixels == 0)
        max_pixels = GH_IO_DEFAULT_MAX_PIXELS;
    if (width == 0 || height == 0)
        return gh_error(GH_ERR_FORMAT, "image is %llux%llu: a side of zero pixels",
                        (unsigned long long)width, (unsigned long long)height);
    if (width > GH_IMAGE_MAX_SIDE || height > GH_IMAGE_MAX_SIDE)
        return gh_error(GH_ERR_TOO_LARGE, "image is %llux%llu, over the limit of %d pixels a side",
                        (unsigned long long)width, (unsigned long long)height, GH_IMAGE_MAX_SIDE);
    uint64_t pixels = width * height; /* both <= 65535: no overflow */
    if (pixels > max_pixels)
        return gh_error(GH_ERR_TOO_LARGE,
                        "image is %llux%llu (%.1f MP), over the limit of %.1f MP (--max-pixels)",
                        (unsigned long long)width, (unsigned long long)height, (double)pixels / 1e6,
                        (double)max_pixels / 1e6);
    return GH_OK;
}

enum gh_status gh_io_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                            struct gh_picture **out)
{
    *out = NULL;
    if (!data || size == 0)
        return gh_error(GH_ERR_FORMAT, "empty file");
    enum gh_status st;
    switch (gh_io_sniff(data, size)) {
    case GH_FORMAT_PNG:
        st = gh_io_png_decode(data, size, max_pixels, out);
        break;
    case GH_FORMAT_JPEG:
        st = gh_io_jpeg_decode(data, size, max_pixels, out);
        break;
    case GH_FORMAT_WEBP:
        st = gh_io_webp_decode(data, size, max_pixels, out);
        break;
    case GH_FORMAT_HEIF:
    case GH_FORMAT_AVIF:
        st = gh_io_heif_decode(data, size, max_pixels, out);
        break;
    default:
        return gh_error(GH_ERR_FORMAT, "not a PNG, JPEG, WebP, HEIF or AVIF file");
    }
    if (st == GH_OK && (st = gh_io_color_to_srgb(*out)) != GH_OK) {
        gh_picture_free(*out);
        *out = NULL;
    }
    return st;
}

void gh_io_encode_defaults(struct gh_encode_options *options)
{
    *options = (struct gh_encode_options){
        .quality = GH_IO_DEFAULT_QUALITY,
        .chroma = GH_CHROMA_420,
        .png = GH_PNG_FAST,
    };
}

enum gh_status gh_io_encode_with(const struct gh_image *rgb, const struct gh_image *alpha,
                                 enum gh_format format, const struct gh_encode_options *options,
                                 unsigned char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    struct gh_encode_options defaults;
    if (!options) {
        gh_io_encode_defaults(&defaults);
        options = &defaults;
    }
    if (!rgb || rgb->channels != 3 || !rgb->data)
        return gh_error(GH_ERR_ARGUMENT, "encoding needs a 3-channel RGB image");
    if (alpha && (alpha->channels != 1 || alpha->width != rgb->width ||
                  alpha->height != rgb->height || !alpha->data))
        return gh_error(GH_ERR_ARGUMENT, "alpha plane is %dx%dx%d, image is %dx%d",
                        alpha->width, alpha->height, alpha->channels, rgb->width, rgb->height);
    if ((options->exif_size && !options->exif) || (options->icc_size && !options->icc))
        return gh_error(GH_ERR_ARGUMENT, "metadata of nonzero size without data");
    if (options->exif_size > GH_IO_ENCODE_META_MAX || options->icc_size > GH_IO_ENCODE_META_MAX)
        return gh_error(GH_ERR_ARGUMENT, "metadata over the limit of %zu bytes",
                        (size_t)GH_IO_ENCODE_META_MAX);
    if (options->exif_size &&
        (options->exif_size < 8 || (memcmp(options->exif, "II*\0", 4) != 0 &&
                                    memcmp(options->exif, "MM\0*", 4) != 0)))
        return gh_error(GH_ERR_ARGUMENT, "EXIF data does not start with a TIFF header");
    switch (format) {
    case GH_FORMAT_PNG:
        if (options->png != GH_PNG_FAST && options->png != GH_PNG_SMALL)
            return gh_error(GH_ERR_ARGUMENT, "unknown PNG compression %d", (int)options->png);
        return gh_io_png_encode(rgb, alpha, options, data, size);
    case GH_FORMAT_JPEG:
        if (options->quality < 1 || options->quality > 100)
            return gh_error(GH_ERR_ARGUMENT, "JPEG quality %d is not in 1..100", options->quality);
        if (options->chroma != GH_CHROMA_420 && options->chroma != GH_CHROMA_444)
            return gh_error(GH_ERR_ARGUMENT, "unknown JPEG chroma mode %d", (int)options->chroma);
        return gh_io_jpeg_encode(rgb, options, data, size);
    case GH_FORMAT_WEBP:
        if (options->quality < 1 || options->quality > 100)
            return gh_error(GH_ERR_ARGUMENT, "WebP quality %d is not in 1..100", options->quality);
        return gh_io_webp_encode(rgb, alpha, options, data, size);
    case GH_FORMAT_HEIF:
    case GH_FORMAT_AVIF:
        return gh_error(GH_ERR_UNSUPPORTED, "ghiblify reads %s but does not write it (use png, jpg "
                        "or webp)", format == GH_FORMAT_AVIF ? "AVIF" : "HEIF");
    default:
        return gh_error(GH_ERR_ARGUMENT, "cannot encode format %d", (int)format);
    }
}

enum gh_status gh_io_encode(const struct gh_image *rgb, const struct gh_image *alpha,
                            enum gh_format format, int quality, unsigned char **data,
                            size_t *size)
{
    struct gh_encode_options options;
    gh_io_encode_defaults(&options);
    options.quality = quality;
    return gh_io_encode_with(rgb, alpha, format, &options, data, size);
}

/* Reads fd to its end; size_hint (from fstat, 0 if unknown) sizes the first
 * allocation. One byte past max_bytes is enough to know the limit is exceeded. */
static enum gh_status read_fd(int fd, const char *name, size_t max_bytes, size_t size_hint,
                              unsigned char **data, size_t *size)
{
    size_t limit = max_bytes < SIZE_MAX ? max_bytes + 1 : SIZE_MAX;
    size_t cap = size_hint && size_hint < SIZE_MAX ? size_hint + 1 : 65536, len = 0;
    if (cap > limit)
        cap = limit;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return gh_error(GH_ERR_NOMEM, "%s: no memory for %zu bytes", name, cap);
    for (;;) {
        if (len == cap) {
            if (len > max_bytes || cap == SIZE_MAX)
                break;
            size_t grown_cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
            if (grown_cap > limit)
                grown_cap = limit;
            unsigned char *grown = realloc(buf, grown_cap);
            if (!grown) {
                free(buf);
                return gh_error(GH_ERR_NOMEM, "%s: no memory for %zu bytes", name, grown_cap);
            }
            buf = grown;
            cap = grown_cap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            free(buf);
            return gh_error(GH_ERR_IO, "%s: %s", name, strerror(err));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > max_bytes) {
        free(buf);
        return gh_error(GH_ERR_TOO_LARGE, "%s: file is over the limit of %zu bytes", name,
                        max_bytes);
    }
    if (len == 0) {
        free(buf);
        return gh_error(GH_ERR_FORMAT, "%s: empty file", name);
    }
    *data = buf;
    *size = len;
    return GH_OK;
}

enum gh_status gh_io_read_all(const char *path, size_t max_bytes, unsigned char **data,
                              size_t *size)
{
    *data = NULL;
    *size = 0;
    if (!path || !path[0])
        return gh_error(GH_ERR_ARGUMENT, "empty file name");
    if (!strcmp(path, "-"))
        return read_fd(STDIN_FILENO, "standard input", max_bytes, 0, data, size);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gh_error(GH_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    enum gh_status st;
    if (fstat(fd, &sb) != 0) {
        st = gh_error(GH_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        st = gh_error(GH_ERR_IO, "%s: is a directory", path);
    } else if (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > (uint64_t)max_bytes) {
        st = gh_error(GH_ERR_TOO_LARGE, "%s: file is %lld bytes, over the limit of %zu bytes",
                      path, (long long)sb.st_size, max_bytes);
    } else {
        size_t hint = S_ISREG(sb.st_mode) ? (size_t)sb.st_size : 0;
        st = read_fd(fd, path, max_bytes, hint, data, size);
    }
    close(fd);
    return st;
}

enum gh_status gh_io_read_picture(const char *path, uint64_t max_pixels, struct gh_picture **out)
{
    *out = NULL;
    unsigned char *data = NULL;
    size_t size = 0;
    enum gh_status st = gh_io_read_all(path, READ_PICTURE_MAX_BYTES, &data, &size);
    if (st != GH_OK)
        return st; /* the detail already names the file */
    st = gh_io_decode(data, size, max_pixels, out);
    free(data);
    if (st != GH_OK)
        return gh_error_prefix(st, strcmp(path, "-") ? path : "standard input");
    return GH_OK;
}
