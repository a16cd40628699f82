/* Format names and sniffing, whole-file reading (files, stdin, directories,
 * limits) and gh_io_read_picture's error details. */
#include "check.h"

#include "ghiblify/io.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

static void test_formats(void)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char jpg[3] = {0xff, 0xd8, 0xff};
    CHECK(gh_io_sniff(png, 8) == GH_FORMAT_PNG);
    CHECK(gh_io_sniff(png, 7) == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_sniff(jpg, 3) == GH_FORMAT_JPEG);
    CHECK(gh_io_sniff(jpg, 2) == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_sniff((const unsigned char *)"GIF89a", 6) == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_sniff(NULL, 0) == GH_FORMAT_UNKNOWN);

    CHECK(gh_io_format_from_name("a/b.JPG") == GH_FORMAT_JPEG);
    CHECK(gh_io_format_from_name("x.jpeg") == GH_FORMAT_JPEG);
    CHECK(gh_io_format_from_name("x.Jpe") == GH_FORMAT_JPEG);
    CHECK(gh_io_format_from_name("photo.tar.PNG") == GH_FORMAT_PNG);
    CHECK(gh_io_format_from_name("x.gif") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_from_name("noext") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_from_name("dir.png/file") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_from_name("dir/.png") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_from_name("x.") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_from_name(NULL) == GH_FORMAT_UNKNOWN);

    CHECK(gh_io_format_parse("PNG") == GH_FORMAT_PNG);
    CHECK(gh_io_format_parse("jpg") == GH_FORMAT_JPEG);
    CHECK(gh_io_format_parse("JPEG") == GH_FORMAT_JPEG);
    CHECK(gh_io_format_parse("gif") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_parse("") == GH_FORMAT_UNKNOWN);
    CHECK(gh_io_format_parse(NULL) == GH_FORMAT_UNKNOWN);

    CHECK(!strcmp(gh_io_format_extension(GH_FORMAT_PNG), "png"));
    CHECK(!strcmp(gh_io_format_extension(GH_FORMAT_JPEG), "jpg"));
    CHECK(!strcmp(gh_io_format_extension(GH_FORMAT_UNKNOWN), ""));
    gh_picture_free(NULL);
}

static void expect_read_fail(const char *path, size_t max_bytes, enum gh_status want,
                             const char *needle)
{
    unsigned char *data = (unsigned char *)1;
    size_t size = 1;
    enum gh_status st = gh_io_read_all(path, max_bytes, &data, &size);
    CHECK_MSG(st == want, "%s: got %s (%s)", path, gh_strerror(st), gh_error_detail());
    CHECK_MSG(data == NULL && size == 0, "%s", path);
    CHECK_MSG(strstr(gh_error_detail(), needle) != NULL, "%s: detail '%s' lacks '%s'", path,
              gh_error_detail(), needle);
}

static void test_read_all(void)
{
    char path[512];
    unsigned char content[3000];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (unsigned char)(i * 7);
    snprintf(path, sizeof path, "%s/data.bin", root);
    write_file(path, content, sizeof content);

    unsigned char *data = NULL;
    size_t size = 0;
    CHECK_OK(gh_io_read_all(path, sizeof content, &data, &size));
    CHECK(size == sizeof content && data && !memcmp(data, content, size));
    free(data);
    expect_read_fail(path, sizeof content - 1, GH_ERR_TOO_LARGE, "over the limit of 2999 bytes");

    char want[600];
    snprintf(want, sizeof want, "%s: is a directory", root);
    expect_read_fail(root, 1000, GH_ERR_IO, want);

    snprintf(path, sizeof path, "%s/missing.jpg", root);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    expect_read_fail(path, 1000, GH_ERR_IO, want);

    snprintf(path, sizeof path, "%s/empty.jpg", root);
    write_file(path, "", 0);
    snprintf(want, sizeof want, "%s: empty file", path);
    expect_read_fail(path, 1000, GH_ERR_FORMAT, want);
    unlink(path);

    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/unreadable.bin", root);
        write_file(path, content, 10);
        chmod(path, 0);
        expect_read_fail(path, 1000, GH_ERR_IO, "Permission denied");
        unlink(path);
    }

    /* "-" reads standard input: a pipe (unknown size, the buffer grows). */
    int fds[2];
    CHECK(pipe(fds) == 0);
    static unsigned char piped[60000]; /* fits in the default 64 KiB pipe buffer */
    for (size_t i = 0; i < sizeof piped; i++)
        piped[i] = (unsigned char)(i * 13 + 1);
    CHECK(write(fds[1], piped, sizeof piped) == (ssize_t)sizeof piped);
    close(fds[1]);
    int saved = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    CHECK_OK(gh_io_read_all("-", 1 << 20, &data, &size));
    dup2(saved, STDIN_FILENO);
    CHECK(size == sizeof piped && data && !memcmp(data, piped, size));
    free(data);

    /* A pipe over the limit. */
    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], piped, sizeof piped) == (ssize_t)sizeof piped);
    close(fds[1]);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    expect_read_fail("-", 1000, GH_ERR_TOO_LARGE, "standard input: ");

    /* gh_io_read_picture("-") names standard input in its detail. */
    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], "hello", 5) == 5);
    close(fds[1]);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    struct gh_picture *pic = NULL;
    CHECK(gh_io_read_picture("-", 0, &pic) == GH_ERR_FORMAT);
    CHECK_MSG(!strcmp(gh_error_detail(), "standard input: not a PNG, JPEG, WebP, HEIF or AVIF file"), "detail '%s'",
              gh_error_detail());
    dup2(saved, STDIN_FILENO);
    close(saved);
}

static void test_read_picture(void)
{
    char path[512], want[600];
    struct gh_picture *pic = (struct gh_picture *)1;

    /* "hello" named .jpg: the name does not matter, the bytes do. */
    snprintf(path, sizeof path, "%s/text.jpg", root);
    write_file(path, "hello", 5);
    snprintf(want, sizeof want, "%s: not a PNG, JPEG, WebP, HEIF or AVIF file", path);
    CHECK(gh_io_read_picture(path, 0, &pic) == GH_ERR_FORMAT);
    CHECK_MSG(!strcmp(gh_error_detail(), want), "detail '%s'", gh_error_detail());
    CHECK(pic == NULL);

    /* A real image under a misleading name decodes; cut in half, it fails with
     * the path in front of the decoder's reason. */
    struct gh_image *rgb = NULL;
    CHECK_OK(gh_image_new(40, 30, 3, &rgb));
    for (size_t i = 0; i < 40 * 30 * 3; i++)
        rgb->data[i] = (float)(i % 97) / 96.0f;
    unsigned char *jpg = NULL;
    size_t size = 0;
    CHECK_OK(gh_io_encode(rgb, NULL, GH_FORMAT_JPEG, 90, &jpg, &size));
    gh_image_free(rgb);
    snprintf(path, sizeof path, "%s/photo.png", root);
    write_file(path, jpg, size);
    CHECK_OK(gh_io_read_picture(path, 0, &pic));
    CHECK(pic && pic->format == GH_FORMAT_JPEG && pic->rgb->width == 40);
    gh_picture_free(pic);
    CHECK(gh_io_read_picture(path, 1000, &pic) == GH_ERR_TOO_LARGE);
    snprintf(want, sizeof want, "%s: image is 40x30", path);
    CHECK_MSG(!strncmp(gh_error_detail(), want, strlen(want)), "detail '%s'", gh_error_detail());

    snprintf(path, sizeof path, "%s/cut.jpg", root);
    write_file(path, jpg, size / 2);
    snprintf(want, sizeof want, "%s: truncated JPEG data", path);
    CHECK(gh_io_read_picture(path, 0, &pic) == GH_ERR_FORMAT);
    CHECK_MSG(!strcmp(gh_error_detail(), want), "detail '%s'", gh_error_detail());
    unlink(path);
    free(jpg);
    snprintf(path, sizeof path, "%s/photo.png", root);
    unlink(path);
    snprintf(path, sizeof path, "%s/text.jpg", root);
    unlink(path);

    snprintf(path, sizeof path, "%s/gone.jpg", root);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    CHECK(gh_io_read_picture(path, 0, &pic) == GH_ERR_IO);
    CHECK_MSG(!strcmp(gh_error_detail(), want), "detail '%s'", gh_error_detail());
    CHECK(gh_io_read_picture(root, 0, &pic) == GH_ERR_IO);
    CHECK(strstr(gh_error_detail(), "is a directory") != NULL);
    CHECK(pic == NULL);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/ghiblify_test_io_misc.XXXXXX", tmp && tmp[0] ? tmp : ".");
    if (!mkdtemp(root)) {
        perror(root);
        return 1;
    }
    test_formats();
    test_read_all();
    test_read_picture();
    char path[512];
    snprintf(path, sizeof path, "%s/data.bin", root);
    unlink(path);
    rmdir(root);
    return check_finish();
}
