/* ICC profiles: which ones the decoders keep, reassembling JPEG APP2 chunks,
 * and the PNG iCCP chunk body. (EXIF is in exif.c.)
 *
 * The chunks come straight from the file, so their sequence numbers and counts
 * are checked before anything is copied, and the total is bounded by
 * GH_IO_ICC_MAX_BYTES before any allocation. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int gh_io_icc_usable(const unsigned char *icc, size_t size)
{
    return icc && size >= 128 && size <= GH_IO_ICC_MAX_BYTES && memcmp(icc + 16, "RGB ", 4) == 0;
}

enum gh_status gh_io_icc_assemble(const unsigned char *const *payloads, const size_t *sizes,
                                  size_t n, unsigned char **out, size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    if (n == 0 || n > 255)
        return GH_OK;
    /* slot[s - 1] is the index of the chunk with sequence number s. */
    size_t slot[255], total = 0;
    unsigned char seen[255] = {0};
    for (size_t i = 0; i < n; i++) {
        if (sizes[i] < 2 || payloads[i][1] != n)
            return GH_OK;
        unsigned seq = payloads[i][0];
        if (seq < 1 || seq > n || seen[seq - 1])
            return GH_OK;
        seen[seq - 1] = 1;
        slot[seq - 1] = i;
        total += sizes[i] - 2; /* n <= 255 chunks of < 64 KiB: no overflow */
    }
    if (total < 128 || total > GH_IO_ICC_MAX_BYTES)
        return GH_OK;
    unsigned char *icc = malloc(total);
    if (!icc)
        return gh_error(GH_ERR_NOMEM, "no memory for a %zu-byte ICC profile", total);
    size_t at = 0;
    for (size_t s = 0; s < n; s++) {
        size_t i = slot[s];
        memcpy(icc + at, payloads[i] + 2, sizes[i] - 2);
        at += sizes[i] - 2;
    }
    if (!gh_io_icc_usable(icc, total)) {
        free(icc);
        return GH_OK;
    }
    *out = icc;
    *out_size = total;
    return GH_OK;
}

enum gh_status gh_io_png_iccp_body(const unsigned char *icc, size_t size, unsigned char **body,
                                   size_t *body_size)
{
    static const char name[] = "ICC profile"; /* 1..79 Latin-1 characters */
    size_t head = sizeof name + 1;            /* name, its NUL, compression method 0 */
    *body = NULL;
    *body_size = 0;
    uLong bound = compressBound((uLong)size);
    unsigned char *b = malloc(head + bound);
    if (!b)
        return gh_error(GH_ERR_NOMEM, "no memory for a %zu-byte ICC profile", size);
    memcpy(b, name, sizeof name);
    b[sizeof name] = 0;
    uLongf zlen = bound;
    if (compress2(b + head, &zlen, icc, (uLong)size, Z_BEST_COMPRESSION) != Z_OK) {
        free(b);
        return gh_error(GH_ERR_NOMEM, "cannot compress a %zu-byte ICC profile", size);
    }
    *body = b;
    *body_size = head + zlen;
    return GH_OK;
}
