/* Atomic writes: content and mode, refusing or replacing existing files, and
 * failures (missing or read-only directory, full disk) that leave the target
 * untouched and no temporary file behind. Both the O_TMPFILE path and the
 * mkstemp fallback are run. */
#include "check.h"

#include "ghiblify/io.h"
#include "io/io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum gh_status (*write_fn)(const char *, const unsigned char *, size_t, int);

static char root[256];

/* Names in dir (hidden ones included, "." and ".." not), joined by spaces. */
static void list_dir(const char *dir, char *out, size_t cap)
{
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(out, cap, "<cannot open %s>", dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (out[0])
            strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, e->d_name, cap - strlen(out) - 1);
    }
    closedir(d);
}

/* 1 if path holds exactly size bytes equal to data. */
static int file_is(const char *path, const unsigned char *data, size_t size)
{
    unsigned char *got = NULL;
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    got = malloc(size + 2);
    n = fread(got, 1, size + 1, f);
    (void)fclose(f);
    int same = n == size && (size == 0 || memcmp(got, data, size) == 0);
    free(got);
    return same;
}

static void test_basic(write_fn wr, const char *label)
{
    char dir[512], path[600], names[1024];
    snprintf(dir, sizeof dir, "%s/%s", root, label);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/out.png", dir);
    const unsigned char a[] = "first version", b[] = "second, longer version";

    umask(022);
    CHECK_OK(wr(path, a, sizeof a, 0));
    CHECK_MSG(file_is(path, a, sizeof a), "%s: content", label);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644);

    /* Refused without overwrite; the file keeps its content. */
    enum gh_status st = wr(path, b, sizeof b, 0);
    CHECK_MSG(st == GH_ERR_EXISTS, "%s: %s", label, gh_strerror(st));
    char want[700];
    snprintf(want, sizeof want, "%s exists (use --overwrite or --skip-existing)", path);
    CHECK_MSG(!strcmp(gh_error_detail(), want), "%s: detail '%s'", label, gh_error_detail());
    CHECK_MSG(file_is(path, a, sizeof a), "%s: content kept", label);

    /* Replaced with overwrite, with the mode from the current umask. */
    umask(027);
    CHECK_OK(wr(path, b, sizeof b, 1));
    CHECK_MSG(file_is(path, b, sizeof b), "%s: replaced", label);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640);
    umask(022);

    /* Empty data makes an empty file. */
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty.bin", dir);
    CHECK_OK(wr(empty, NULL, 0, 0));
    CHECK(stat(empty, &sb) == 0 && sb.st_size == 0);

    /* Only the targets exist: no temporary files. */
    list_dir(dir, names, sizeof names);
    CHECK_MSG(!strcmp(names, "out.png empty.bin") || !strcmp(names, "empty.bin out.png"),
              "%s: directory holds '%s'", label, names);

    /* Missing directory. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.png", dir);
    st = wr(missing, a, sizeof a, 0);
    CHECK_MSG(st == GH_ERR_IO, "%s: missing dir gave %s", label, gh_strerror(st));
    CHECK_MSG(strstr(gh_error_detail(), missing) && strstr(gh_error_detail(), "No such file"),
              "%s: detail '%s'", label, gh_error_detail());

    /* Read-only directory. Root ignores permission bits, so it gets /proc. */
    char ro_dir[560], ro[600];
    if (geteuid() == 0) {
        snprintf(ro_dir, sizeof ro_dir, "/proc");
        snprintf(ro, sizeof ro, "/proc/ghiblify_test.png");
    } else {
        snprintf(ro_dir, sizeof ro_dir, "%s/ro", dir);
        mkdir(ro_dir, 0777);
        chmod(ro_dir, 0555);
        snprintf(ro, sizeof ro, "%s/x.png", ro_dir);
    }
    st = wr(ro, a, sizeof a, 0);
    CHECK_MSG(st == GH_ERR_IO, "%s: read-only dir gave %s", label, gh_strerror(st));
    CHECK_MSG(strstr(gh_error_detail(), ro) != NULL, "%s: detail '%s'", label, gh_error_detail());
    CHECK_MSG(access(ro, F_OK) != 0, "%s: %s exists", label, ro);
    if (geteuid() != 0) {
        list_dir(ro_dir, names, sizeof names);
        CHECK_MSG(names[0] == '\0', "%s: read-only dir holds '%s'", label, names);
        chmod(ro_dir, 0755);
        rmdir(ro_dir);
    }

    /* An existing directory in the target's place is neither refused as "exists"
     * with overwrite nor replaced. */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0777);
    st = wr(sub, a, sizeof a, 1);
    CHECK_MSG(st == GH_ERR_IO, "%s: over a directory gave %s", label, gh_strerror(st));
    CHECK(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK(wr(sub, a, sizeof a, 0) == GH_ERR_EXISTS);
    rmdir(sub);
    list_dir(dir, names, sizeof names);
    CHECK_MSG(!strcmp(names, "out.png empty.bin") || !strcmp(names, "empty.bin out.png"),
              "%s: directory holds '%s'", label, names);

    /* Not a file name. */
    char slash[600];
    snprintf(slash, sizeof slash, "%s/", dir);
    CHECK(wr(slash, a, sizeof a, 1) == GH_ERR_ARGUMENT);
    CHECK(wr("", a, sizeof a, 1) == GH_ERR_ARGUMENT);

    unlink(path);
    unlink(empty);
    rmdir(dir);
}

/* A full disk: a 64 KiB tmpfs (mounting needs root; skipped otherwise). */
static void test_full_disk(void)
{
    char dir[512], path[600], names[1024];
    snprintf(dir, sizeof dir, "%s/full", root);
    mkdir(dir, 0777);
    if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
        printf("full disk check skipped: cannot mount a tmpfs (%s)\n", strerror(errno));
        rmdir(dir);
        return;
    }
    size_t size = 1 << 20;
    unsigned char *big = malloc(size);
    for (size_t i = 0; i < size; i++)
        big[i] = (unsigned char)(i * 131);
    const unsigned char small[] = "kept";
    snprintf(path, sizeof path, "%s/big.png", dir);
    /* cppcheck-suppress uninitvar ; an initialized array of function pointers (cppcheck 2.10 misreads it) */
    write_fn fns[2] = {gh_io_write_all, gh_io_write_all_named_temp};
    for (int k = 0; k < 2; k++) {
        const char *label = k ? "named temp" : "O_TMPFILE";
        enum gh_status st = fns[k](path, big, size, 0);
        CHECK_MSG(st == GH_ERR_IO, "%s: full disk gave %s", label, gh_strerror(st));
        CHECK_MSG(strstr(gh_error_detail(), "No space left on device") &&
                      strstr(gh_error_detail(), path),
                  "%s: detail '%s'", label, gh_error_detail());
        list_dir(dir, names, sizeof names);
        CHECK_MSG(names[0] == '\0', "%s: full tmpfs holds '%s'", label, names);

        /* With overwrite, an existing target survives the failure intact. */
        CHECK_OK(fns[k](path, small, sizeof small, 0));
        st = fns[k](path, big, size, 1);
        CHECK_MSG(st == GH_ERR_IO, "%s: full disk overwrite gave %s", label, gh_strerror(st));
        CHECK_MSG(file_is(path, small, sizeof small), "%s: target changed", label);
        list_dir(dir, names, sizeof names);
        CHECK_MSG(!strcmp(names, "big.png"), "%s: full tmpfs holds '%s'", label, names);
        unlink(path);
    }
    free(big);
    umount2(dir, MNT_DETACH);
    rmdir(dir);
}

/* "-" goes to standard output, here redirected into a file. */
static void test_stdout(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stdout.bin", root);
    const unsigned char data[] = "bytes for stdout";
    (void)fflush(stdout); /* before the dup: nothing of ours is pending */
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    enum gh_status st = gh_io_write_all("-", data, sizeof data, 0);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CHECK_OK(st);
    CHECK(file_is(path, data, sizeof data));
    unlink(path);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/ghiblify_test_io_write.XXXXXX", tmp && tmp[0] ? tmp : ".");
    if (!mkdtemp(root)) {
        perror(root);
        return 1;
    }
    test_basic(gh_io_write_all, "tmpfile");
    test_basic(gh_io_write_all_named_temp, "named");
    test_full_disk();
    /* A bare file name lands in the current directory. */
    char rel[64];
    snprintf(rel, sizeof rel, "ghiblify_io_rel_%d.bin", (int)getpid());
    CHECK_OK(gh_io_write_all(rel, (const unsigned char *)"rel", 3, 0));
    CHECK(file_is(rel, (const unsigned char *)"rel", 3));
    CHECK(gh_io_write_all(rel, (const unsigned char *)"x", 1, 0) == GH_ERR_EXISTS);
    CHECK_OK(gh_io_write_all_named_temp(rel, (const unsigned char *)"relative", 8, 1));
    CHECK(file_is(rel, (const unsigned char *)"relative", 8));
    unlink(rel);
    /* GH_IO_WRITE_SYNC (fsync before the rename; the CLI test checks the calls with
     * strace): same results on both paths, new file and replacement. */
    /* cppcheck-suppress uninitvar ; an initialized array of function pointers (cppcheck 2.10 misreads it) */
    write_fn fns[2] = {gh_io_write_all, gh_io_write_all_named_temp};
    for (int k = 0; k < 2; k++) {
        char synced[700], names[256];
        snprintf(synced, sizeof synced, "%s/synced.bin", root);
        CHECK_OK(fns[k](synced, (const unsigned char *)"one", 3, GH_IO_WRITE_SYNC));
        CHECK(file_is(synced, (const unsigned char *)"one", 3));
        CHECK(fns[k](synced, (const unsigned char *)"x", 1, GH_IO_WRITE_SYNC) == GH_ERR_EXISTS);
        CHECK_OK(fns[k](synced, (const unsigned char *)"second", 6,
                        GH_IO_WRITE_SYNC | GH_IO_WRITE_OVERWRITE));
        CHECK(file_is(synced, (const unsigned char *)"second", 6));
        list_dir(root, names, sizeof names);
        CHECK_MSG(!strcmp(names, "synced.bin"), "after synced writes the directory holds '%s'",
                  names);
        unlink(synced);
    }
    test_stdout();
    rmdir(root);
    return check_finish();
}
