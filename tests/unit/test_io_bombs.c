/* Decompression bombs (issue 15): small files that declare or inflate to huge
 * amounts of data. Every input is generated here; each is written to a file and
 * read with gh_io_read_picture in a forked child, so the child's peak RSS
 * and CPU time (wait4's rusage) measure that one decode alone. Each case is
 * refused or decoded within the bound it states, and a refusal is one line
 * starting with the file's name.
 *
 * Outside ASan the child also runs under RLIMIT_AS (its address space at fork
 * plus the case's bound plus slack), so a bomb that escapes its bound fails
 * this test with an allocation failure instead of taking the machine's memory.
 * ASan reserves terabytes of address space, so there only the RSS is checked,
 * with room for its shadow memory and quarantine. */
#include "check.h"
#include "test_io_util.h"

#include "ghiblify/ghiblify.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <zlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define GH_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GH_TEST_ASAN 1
#endif
#endif
#ifndef GH_TEST_ASAN
#define GH_TEST_ASAN 0
#endif

#define MB (1024.0 * 1024.0)
/* ASan: shadow memory, redzones and its quarantine (which keeps freed blocks
 * resident) on top of what the decoder itself touches; and slower code. */
#define ASAN_RSS_SLACK_MB 96.0
#define ASAN_TIME_FACTOR 5.0

/* ---- building files ---- */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void png_chunk(struct tbuf *b, const char *type, const unsigned char *body, size_t len)
{
    unsigned char head[8];
    put32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    tbuf_append(b, head, 8);
    tbuf_append(b, body, len);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32_z(crc, body, len);
    unsigned char tail[4];
    put32(tail, (uint32_t)crc);
    tbuf_append(b, tail, 4);
}

/* zlib stream of n zero bytes, built in pieces so it never needs n bytes of input. */
static void zeros_deflated(size_t n, unsigned char **out, size_t *out_size)
{
    z_stream z = {0};
    if (deflateInit(&z, 9) != Z_OK)
        abort();
    static unsigned char zero[1 << 16];
    struct tbuf b = {0};
    unsigned char obuf[1 << 16];
    size_t left = n;
    int flush;
    do {
        size_t take = left < sizeof zero ? left : sizeof zero;
        z.next_in = zero;
        z.avail_in = (uInt)take;
        left -= take;
        flush = left ? Z_NO_FLUSH : Z_FINISH;
        do {
            z.next_out = obuf;
            z.avail_out = sizeof obuf;
            deflate(&z, flush);
            tbuf_append(&b, obuf, sizeof obuf - z.avail_out);
        } while (z.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&z);
    *out = b.data;
    *out_size = b.size;
}

/* A zlib stream of mib MiB of zeros made of one self-contained piece repeated:
 * 1 MiB of zeros compressed and fully flushed (byte-aligned, no reference
 * before it), then an empty final block and the Adler-32 of the whole. Cheap
 * to build for gigabytes, unlike deflating them. */
static void zeros_deflated_repeat(size_t mib, unsigned char **out, size_t *out_size)
{
    static unsigned char zero[1 << 20];
    unsigned char piece[1 << 16];
    z_stream z = {0};
    if (deflateInit(&z, 9) != Z_OK)
        abort();
    struct tbuf b = {0};
    z.next_in = zero;
    z.avail_in = sizeof zero;
    z.next_out = piece;
    z.avail_out = sizeof piece;
    if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_out == 0)
        abort();
    size_t first = sizeof piece - z.avail_out; /* 2-byte header + the blocks */
    tbuf_append(&b, piece, first);
    for (size_t i = 1; i < mib; i++)
        tbuf_append(&b, piece + 2, first - 2);
    unsigned char tail[16] = {0}; /* filled by deflate */
    z.next_out = tail;
    z.avail_out = sizeof tail;
    deflate(&z, Z_FINISH);
    size_t tail_len = sizeof tail - z.avail_out; /* final empty block + Adler-32 */
    deflateEnd(&z);
    uLong one = adler32(1L, zero, sizeof zero), all = one;
    for (size_t i = 1; i < mib; i++)
        all = adler32_combine(all, one, (z_off_t)sizeof zero);
    put32(tail + tail_len - 4, (uint32_t)all);
    tbuf_append(&b, tail, tail_len);
    *out = b.data;
    *out_size = b.size;
}

/* A PNG: IHDR (8-bit, color 0 gray or 2 RGB), the given extra chunk (may be
 * NULL) before IDAT, and an IDAT inflating to idat_raw zero bytes. */
static void png_build(uint32_t w, uint32_t h, int color, const char *extra_type,
                      const unsigned char *extra, size_t extra_len, size_t idat_raw,
                      struct tbuf *out)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    *out = (struct tbuf){0};
    tbuf_append(out, sig, 8);
    unsigned char ihdr[13] = {0};
    put32(ihdr, w);
    put32(ihdr + 4, h);
    ihdr[8] = 8;
    ihdr[9] = (unsigned char)color;
    png_chunk(out, "IHDR", ihdr, 13);
    if (extra_type)
        png_chunk(out, extra_type, extra, extra_len);
    unsigned char *z;
    size_t zlen;
    zeros_deflated(idat_raw, &z, &zlen);
    png_chunk(out, "IDAT", z, zlen);
    free(z);
    png_chunk(out, "IEND", NULL, 0);
}

/* A JPEG of a flat color, RGB or (comps 1) gray, baseline or progressive
 * (libjpeg's simple progression: 10 scans for RGB, 6 for gray). */
static void jpeg_flat_n(int w, int h, int comps, int progressive, const unsigned char *app1,
                        size_t app1_size, unsigned char **data, size_t *size)
{
    size_t n = (size_t)w * (size_t)h * (size_t)comps;
    unsigned char *px = malloc(n);
    for (size_t i = 0; i < n; i++)
        px[i] = (unsigned char)(comps == 1 ? 120 : i % 3 == 0 ? 180 : 90);
    test_jpeg_write(w, h, comps, comps == 1 ? JCS_GRAYSCALE : JCS_RGB, px, 90, 0, progressive, -1,
                    app1, app1_size, data, size);
    free(px);
}

static void jpeg_flat(int w, int h, int progressive, const unsigned char *app1, size_t app1_size,
                      unsigned char **data, size_t *size)
{
    jpeg_flat_n(w, h, 3, progressive, app1, app1_size, data, size);
}

/* jpeg_flat_n arithmetic-coded (SOF9 or SOF10). */
static void jpeg_flat_arith(int w, int h, int comps, int progressive, unsigned char **data,
                            size_t *size)
{
    unsigned char *huff;
    size_t hsize;
    jpeg_flat_n(w, h, comps, progressive, NULL, 0, &huff, &hsize);
    test_jpeg_to_arith(huff, hsize, data, size);
    free(huff);
}

/* Offset of the first marker 0xFF m at or after from (markers are unescaped). */
static size_t jpeg_find(const unsigned char *d, size_t n, size_t from, unsigned char m)
{
    for (size_t i = from; i + 1 < n; i++)
        if (d[i] == 0xff && d[i + 1] == m)
            return i;
    return n;
}

/* Rewrites the frame header's (SOF0 or SOF2, or arithmetic SOF9 or SOF10)
 * height and width. */
static void jpeg_set_size(unsigned char *d, size_t n, unsigned w, unsigned h)
{
    static const unsigned char sofs[] = {0xc0, 0xc2, 0xc9, 0xca};
    size_t sof = n;
    for (size_t i = 0; i < sizeof sofs && sof == n; i++)
        sof = jpeg_find(d, n, 2, sofs[i]);
    if (sof == n)
        abort();
    d[sof + 5] = (unsigned char)(h >> 8);
    d[sof + 6] = (unsigned char)h;
    d[sof + 7] = (unsigned char)(w >> 8);
    d[sof + 8] = (unsigned char)w;
}

/* The progressive JPEG with its last scan (SOS segment and entropy data, up to
 * EOI) repeated `copies` more times. libjpeg only warns about such a
 * progression, so each copy is a scan the decoder runs. */
static void jpeg_repeat_last_scan(const unsigned char *d, size_t n, int copies, struct tbuf *out)
{
    size_t last = 0;
    for (size_t at = jpeg_find(d, n, 2, 0xda); at < n; at = jpeg_find(d, n, at + 2, 0xda))
        last = at;
    size_t eoi = jpeg_find(d, n, last + 2, 0xd9);
    if (!last || eoi == n)
        abort();
    *out = (struct tbuf){0};
    tbuf_append(out, d, eoi);
    for (int i = 0; i < copies; i++)
        tbuf_append(out, d + last, eoi - last);
    tbuf_append(out, d + eoi, n - eoi);
}

/* A little-endian TIFF whose IFDs loop: IFD0 at 8 holds an Orientation (6),
 * an Exif IFD pointer and a GPS IFD pointer both back to IFD0, and its next-IFD
 * offset is IFD0 again; a second IFD at 50 claims 65535 entries. */
static size_t exif_loop(unsigned char *t)
{
    memset(t, 0, 64);
    memcpy(t, "II*\0", 4);
    t[4] = 8;
    unsigned char *ifd = t + 8;
    ifd[0] = 3; /* entries */
    unsigned char *e = ifd + 2;
    /* tag, type, count, value */
    const unsigned entries[3][4] = {{0x0112, 3, 1, 6}, {0x8769, 4, 1, 8}, {0x8825, 4, 1, 50}};
    for (int i = 0; i < 3; i++, e += 12) {
        e[0] = (unsigned char)entries[i][0];
        e[1] = (unsigned char)(entries[i][0] >> 8);
        e[2] = (unsigned char)entries[i][1];
        e[4] = (unsigned char)entries[i][2];
        e[8] = (unsigned char)entries[i][3];
    }
    e[0] = 8; /* next IFD: IFD0 itself */
    t[50] = 0xff;
    t[51] = 0xff;
    t[52 + 8] = 50; /* its first entry's value points back at it */
    return 64;
}

/* ---- running a decode in a child ---- */

struct bound {
    double rss_mb;  /* peak RSS above the parent's resident set at fork */
    double seconds; /* CPU time (user + system): wall time depends on the machine's load */
};

struct outcome {
    enum gh_status status;
    char detail[512];
    double rss_mb, seconds, cpu;
    int signaled;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* This process's address space and resident set, in bytes. */
static void statm(long *vm, long *rss)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            pages = resident = 0;
        (void)fclose(f);
    }
    *vm = pages * sysconf(_SC_PAGESIZE);
    *rss = resident * sysconf(_SC_PAGESIZE);
}

/* Decodes path in a child under an address-space cap of limit_mb above what
 * it already maps. The child starts with this process's resident pages (fork
 * shares them), so its peak is reported above that. */
static struct outcome run_child(const char *path, uint64_t max_pixels, double limit_mb)
{
    struct outcome o = {0};
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    (void)fflush(NULL);
    malloc_trim(0);
    long vm, resident;
    statm(&vm, &resident);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        struct gh_picture *pic = NULL;
        enum gh_status st = GH_OK;
        if (!GH_TEST_ASAN) {
            rlim_t cap = (rlim_t)vm + (rlim_t)(limit_mb * MB);
            struct rlimit rl = {cap, cap};
            setrlimit(RLIMIT_AS, &rl);
        }
        st = gh_io_read_picture(path, max_pixels, &pic);
        gh_picture_free(pic);
        char msg[512];
        int n = snprintf(msg, sizeof msg, "%d %s", (int)st, st == GH_OK ? "" : gh_error_detail());
        if (write(fds[1], msg, (size_t)(n < (int)sizeof msg ? n : (int)sizeof msg - 1)) < 0)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    char msg[512] = {0};
    size_t got = 0;
    ssize_t r;
    while (got < sizeof msg - 1 && (r = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    int wst = 0;
    struct rusage ru;
    while (wait4(pid, &wst, 0, &ru) < 0 && errno == EINTR)
        ;
    o.seconds = now() - t0;
    o.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    o.signaled = WIFSIGNALED(wst) || !WIFEXITED(wst) || WEXITSTATUS(wst) != 0;
    o.rss_mb = (double)ru.ru_maxrss / 1024.0 - (double)resident / MB;
    int status = -1, off = 0;
    if (sscanf(msg, "%d %n", &status, &off) >= 1) {
        o.status = (enum gh_status)status;
        snprintf(o.detail, sizeof o.detail, "%s", msg + off);
    } else {
        o.status = GH_STATUS_COUNT;
    }
    return o;
}

/* Writes bytes to name, decodes it in a child, checks the outcome (want) and
 * the bounds; a refusal's detail must start with the path and be one line
 * mentioning `says`. Prints the measured numbers. Frees data. */
static void bomb(const char *name, unsigned char *data, size_t size, uint64_t max_pixels,
                 enum gh_status want, const char *says, struct bound b)
{
    char path[256];
    snprintf(path, sizeof path, "bomb-%s", name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, size, f) == size);
    if (f)
        CHECK(fclose(f) == 0);
    free(data);
    double rss_bound = b.rss_mb + (GH_TEST_ASAN ? ASAN_RSS_SLACK_MB : 0.0);
    double time_bound = b.seconds * (GH_TEST_ASAN ? ASAN_TIME_FACTOR : 1.0);
    struct outcome o = run_child(path, max_pixels, rss_bound + 64.0);
    double rss = o.rss_mb;
    printf("%-26s %9zu bytes  %-16s peak RSS +%6.1f MB (bound %5.0f)  CPU %6.3f s (bound %4.1f), "
           "wall %6.3f s  %s\n",
           name, size, gh_strerror(o.status), rss, rss_bound, o.cpu, time_bound, o.seconds,
           o.detail);
    CHECK_MSG(!o.signaled, "%s: the decoding child crashed or was killed", name);
    CHECK_MSG(o.status == want, "%s: status %s, expected %s (%s)", name, gh_strerror(o.status),
              gh_strerror(want), o.detail);
    CHECK_MSG(rss <= rss_bound, "%s: peak RSS %.1f MB over the bound of %.0f MB", name, rss,
              rss_bound);
    CHECK_MSG(o.cpu <= time_bound, "%s: %.3f s of CPU over the bound of %.1f s", name, o.cpu,
              time_bound);
    if (want != GH_OK) {
        size_t plen = strlen(path);
        CHECK_MSG(!strncmp(o.detail, path, plen) && o.detail[plen] == ':',
                  "%s: detail does not start with the file name: %s", name, o.detail);
        CHECK_MSG(!strchr(o.detail, '\n'), "%s: detail is more than one line", name);
        CHECK_MSG(strstr(o.detail, says) != NULL, "%s: detail lacks '%s': %s", name, says,
                  o.detail);
    }
    unlink(path);
}

static unsigned char *take(struct tbuf *b, size_t *size)
{
    *size = b->size;
    return b->data;
}

int main(void)
{
    printf("peak RSS of each decoding child above this process's%s\n",
           GH_TEST_ASAN ? " (ASan)" : "");
    const struct bound small = {24.0, 1.0};
    struct tbuf b;
    size_t size;
    unsigned char *data;

    /* Headers declaring huge sizes: refused from the header alone. */
    png_build(65535, 65535, 2, NULL, NULL, 0, 1024, &b);
    data = take(&b, &size);
    bomb("png-65535x65535.png", data, size, 0, GH_ERR_TOO_LARGE, "over the limit", small);
    png_build(0x7fffffff, 1, 2, NULL, NULL, 0, 1024, &b);
    data = take(&b, &size);
    bomb("png-2g-wide.png", data, size, 0, GH_ERR_TOO_LARGE, "over the limit", small);
    png_build(20000, 20000, 2, NULL, NULL, 0, 1024, &b);
    data = take(&b, &size);
    bomb("png-400mp.png", data, size, 0, GH_ERR_TOO_LARGE, "400.0 MP", small);
    jpeg_flat(16, 16, 0, NULL, 0, &data, &size);
    jpeg_set_size(data, size, 65500, 65500);
    bomb("jpeg-65500x65500.jpg", data, size, 0, GH_ERR_TOO_LARGE, "over the limit", small);
    jpeg_flat(16, 16, 1, NULL, 0, &data, &size);
    jpeg_set_size(data, size, 30000, 30000);
    bomb("jpeg-prog-900mp.jpg", data, size, 0, GH_ERR_TOO_LARGE, "900.0 MP", small);

    /* Within the pixel limit (100 MP) but with almost no data: the decoder must
     * fail on the missing data before it allocates (or touches) memory for the
     * declared size. A progressive JPEG needs its whole coefficient array
     * (300 MB for 100 MP at 4:2:0) before the first scan is read. */
    png_build(10000, 10000, 2, NULL, NULL, 0, 4096, &b);
    data = take(&b, &size);
    bomb("png-100mp-no-data.png", data, size, 0, GH_ERR_FORMAT, "truncated", small);
    jpeg_flat(16, 16, 0, NULL, 0, &data, &size);
    jpeg_set_size(data, size, 10000, 10000);
    bomb("jpeg-100mp-no-data.jpg", data, size, 0, GH_ERR_FORMAT, "truncated", small);
    jpeg_flat(16, 16, 1, NULL, 0, &data, &size);
    jpeg_set_size(data, size, 10000, 10000);
    bomb("jpeg-prog-100mp-no-data.jpg", data, size, 0, GH_ERR_FORMAT, "truncated", small);

    /* The same, arithmetic-coded. Arithmetic coding can spend far less than a
     * bit on a block, so the header's size cannot be refused for a small file:
     * a flat 16 MP image fits in 200 bytes and is decoded, within the bound of
     * any 16 MP image (three float planes, 192 MB). But a file cut short (no
     * EOI) is refused before the 1.2 GB of planes, or a progressive file's
     * 300 MB of coefficients, of 100 MP are allocated. */
    jpeg_flat_arith(16, 16, 3, 0, &data, &size);
    jpeg_set_size(data, size, 65500, 65500);
    bomb("jpeg-arith-65500x65500.jpg", data, size, 0, GH_ERR_TOO_LARGE, "over the limit", small);
    jpeg_flat_arith(16, 16, 3, 0, &data, &size);
    jpeg_set_size(data, size, 10000, 10000);
    bomb("jpeg-arith-100mp-cut.jpg", data, size - 2, 0, GH_ERR_FORMAT, "truncated", small);
    jpeg_flat_arith(16, 16, 3, 1, &data, &size);
    jpeg_set_size(data, size, 10000, 10000);
    bomb("jpeg-arith-prog-100mp-cut.jpg", data, size - 2, 0, GH_ERR_FORMAT, "truncated", small);
    jpeg_flat_arith(16, 16, 3, 0, &data, &size);
    jpeg_set_size(data, size, 4000, 4000);
    bomb("jpeg-arith-16mp-flat.jpg", data, size, 0, GH_OK, "", (struct bound){192.0 + 32.0, 4.0});

    /* Metadata chunks that inflate (zTXt, iCCP: 256 MB of zeros in about 250 KB)
     * or are simply huge (eXIf, 24 MB): skipped or bounded by libpng's chunk
     * limit; the image itself decodes. */
    unsigned char *z;
    size_t zlen;
    zeros_deflated((size_t)256 << 20, &z, &zlen);
    unsigned char *body = malloc(zlen + 16);
    memcpy(body, "Comment\0\0", 9);
    memcpy(body + 9, z, zlen);
    png_build(16, 16, 2, "zTXt", body, zlen + 9, 16 * 49, &b);
    data = take(&b, &size);
    bomb("png-ztxt-256mb.png", data, size, 0, GH_OK, "", small);
    memcpy(body, "ICC profile\0\0", 13);
    memcpy(body + 13, z, zlen);
    png_build(16, 16, 2, "iCCP", body, zlen + 13, 16 * 49, &b);
    data = take(&b, &size);
    bomb("png-iccp-256mb.png", data, size, 0, GH_OK, "", small);
    free(body);
    free(z);
    size_t exif_len = (size_t)24 << 20;
    unsigned char *exif = calloc(1, exif_len);
    exif_loop(exif);
    png_build(16, 16, 2, "eXIf", exif, exif_len, 16 * 49, &b);
    data = take(&b, &size);
    /* The file itself is 24 MB, read whole into memory; the chunk is skipped. */
    bomb("png-exif-24mb.png", data, size, 0, GH_OK, "", (struct bound){24.0 + 16.0, 1.0});
    png_build(16, 16, 2, "tEXt", exif, exif_len, 16 * 49, &b);
    free(exif);
    data = take(&b, &size);
    bomb("png-text-24mb.png", data, size, 0, GH_OK, "", (struct bound){24.0 + 16.0, 1.0});

    /* IDAT streams at deflate's ~1000x ratio. Beyond the image's rows the rest
     * of the stream (4 GB here, 8 s of inflating) is never inflated. */
    {
        static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        unsigned char ihdr[13] = {0};
        put32(ihdr, 64);
        put32(ihdr + 4, 64);
        ihdr[8] = 8;
        b = (struct tbuf){0};
        tbuf_append(&b, sig, 8);
        png_chunk(&b, "IHDR", ihdr, 13);
        unsigned char *z4;
        size_t z4len;
        zeros_deflated_repeat(4096, &z4, &z4len);
        png_chunk(&b, "IDAT", z4, z4len);
        free(z4);
        png_chunk(&b, "IEND", NULL, 0);
    }
    data = take(&b, &size);
    bomb("png-idat-4gb-extra.png", data, size, 0, GH_OK, "", small);
    /* 4000x4000 gray whose 16 MB of rows come from 16 KB: a real image, decoded
     * into 3 float planes (192 MB) and nothing much besides... */
    png_build(4000, 4000, 0, NULL, NULL, 0, (size_t)4001 * 4000, &b);
    data = take(&b, &size);
    unsigned char *copy = malloc(size);
    memcpy(copy, data, size);
    size_t copy_size = size;
    bomb("png-idat-1000x.png", data, size, 0, GH_OK, "", (struct bound){192.0 + 32.0, 4.0});
    /* ... and refused before any of that under a pixel limit. */
    bomb("png-idat-1000x-limit.png", copy, copy_size, 1000000, GH_ERR_TOO_LARGE, "--max-pixels",
         small);

    /* A progressive JPEG whose last scan repeats: 5000 scans are refused after
     * the first 1000, 990 are decoded on a small image. A large one gets fewer:
     * 4096x4096 gray has 262144 blocks, so 50M block passes (about 2 s) allow
     * 190 scans. */
    unsigned char *prog;
    size_t prog_size;
    jpeg_flat(64, 64, 1, NULL, 0, &prog, &prog_size);
    jpeg_repeat_last_scan(prog, prog_size, 5000, &b);
    data = take(&b, &size);
    bomb("jpeg-5000-scans.jpg", data, size, 0, GH_ERR_UNSUPPORTED, "more than 1000 scans", small);
    jpeg_repeat_last_scan(prog, prog_size, 980, &b);
    data = take(&b, &size);
    bomb("jpeg-990-scans.jpg", data, size, 0, GH_OK, "", small);
    free(prog);
    jpeg_flat_arith(64, 64, 1, 1, &prog, &prog_size);
    jpeg_repeat_last_scan(prog, prog_size, 5000, &b);
    data = take(&b, &size);
    bomb("jpeg-arith-5000-scans.jpg", data, size, 0, GH_ERR_UNSUPPORTED, "more than 1000 scans",
         small);
    free(prog);
    jpeg_flat_n(4096, 4096, 1, 1, NULL, 0, &prog, &prog_size);
    jpeg_repeat_last_scan(prog, prog_size, 300, &b);
    data = take(&b, &size);
    bomb("jpeg-306-scans-16mp.jpg", data, size, 0, GH_ERR_UNSUPPORTED, "more than 190 scans",
         (struct bound){64.0, 5.0});
    free(prog);

    /* EXIF whose IFD offsets loop (next-IFD, Exif and GPS pointers back to IFD0)
     * and an IFD claiming 65535 entries, in JPEG APP1 and PNG eXIf: decoded, the
     * orientation (6) applied, nothing followed forever. */
    unsigned char app1[6 + 64];
    memcpy(app1, "Exif\0\0", 6);
    exif_loop(app1 + 6);
    jpeg_flat(32, 16, 0, app1, sizeof app1, &data, &size);
    bomb("jpeg-exif-loop.jpg", data, size, 0, GH_OK, "", small);
    png_build(32, 16, 2, "eXIf", app1 + 6, 64, 16 * 97, &b);
    data = take(&b, &size);
    bomb("png-exif-loop.png", data, size, 0, GH_OK, "", small);
    struct gh_picture *pic = NULL;
    jpeg_flat(32, 16, 0, app1, sizeof app1, &data, &size);
    CHECK_OK(gh_io_decode(data, size, 0, &pic));
    CHECK(pic && pic->rgb->width == 16 && pic->rgb->height == 32 && pic->orientation == 6);
    gh_picture_free(pic);
    free(data);
    return check_finish();
}
