/* Atomic file output.
 *
 * The bytes go to a file with no name (O_TMPFILE) or a hidden temporary name in
 * the target's directory and only then get the target's name, by linkat (which
 * fails atomically if the name exists) or rename (which replaces atomically). A
 * crash or kill of the process or a full disk therefore never leaves a
 * half-written target: the written data lives in the kernel's page cache whatever
 * happens to the process, and every failure path removes its temporary file.
 *
 * fsync only matters for a power loss or kernel crash before the kernel has
 * written the data back; it costs a device flush per file (a few ms on an SSD,
 * tens on a disk, more on network filesystems), so it is opt-in
 * (GH_IO_WRITE_SYNC, the CLI's --sync): the file is fsync'ed before it gets its
 * name and the directory after, so the name never points at data that is not
 * on the disk. */
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Longest part of the target's name kept in a temporary name, so ".name.XXXXXX"
 * stays under NAME_MAX. */
#define TEMP_BASE_MAX 200

static gh_io_write_hook test_hook;
static void *test_hook_user;

void gh_io_write_set_hook(gh_io_write_hook hook, void *user)
{
    test_hook = hook;
    test_hook_user = user;
}

/* The test hook's verdict (0: go on). */
static int stopped_by_hook(const char *path, const char *temp)
{
    return test_hook && test_hook(test_hook_user, path, temp) != 0;
}

/* 0 or the errno of the first failing write. */
static int write_full(int fd, const unsigned char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

/* The process umask without changing it (umask() would race other threads
 * creating files); /proc/self/status has it since Linux 4.7. */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "Umask:", 6)) {
                (void)fclose(f); /* read-only: nothing to lose */
                return (mode_t)(strtoul(line + 6, NULL, 8) & 0777);
            }
        }
        (void)fclose(f);
    }
    mode_t mask = umask(022);
    umask(mask);
    return mask;
}

/* Best effort: makes the new directory entry itself durable. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* "<dir>/.<base>.<6 random characters>", in a fresh malloc'd string. */
static char *temp_name(const char *dir, const char *base, int fill_random)
{
    size_t need = strlen(dir) + TEMP_BASE_MAX + 16;
    char *name = malloc(need);
    if (!name)
        return NULL;
    snprintf(name, need, "%s/.%.*s.XXXXXX", dir, TEMP_BASE_MAX, base);
    if (fill_random) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        static _Thread_local unsigned long counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long v = (unsigned long long)ts.tv_nsec * 2654435761ULL ^
                               (unsigned long long)getpid() << 20 ^ ++counter * 40503ULL ^
                               (unsigned long long)(uintptr_t)&counter;
        char *x = name + strlen(name) - 6;
        for (int i = 0; i < 6; i++, v /= 62)
            x[i] = chars[v % 62];
    }
    return name;
}

/* With O_TMPFILE. Sets *fallback (and returns GH_OK) when the filesystem or
 * system cannot do it, before anything was written. */
static enum gh_status write_tmpfile(const char *path, const char *dir, const char *base,
                                    const unsigned char *data, size_t size, int overwrite,
                                    int durable, int *fallback)
{
    *fallback = 0;
    /* linkat of an O_TMPFILE file without CAP_DAC_READ_SEARCH needs /proc. */
    if (access("/proc/self/fd", X_OK) != 0) {
        *fallback = 1;
        return GH_OK;
    }
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666); /* umask applies */
    if (fd < 0) {
        if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOTSUP) {
            *fallback = 1;
            return GH_OK;
        }
        return gh_error(GH_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
    }
    enum gh_status st = GH_OK;
    char *temp = NULL;
    int err = write_full(fd, data, size);
    if (!err && durable && fsync(fd) != 0)
        err = errno;
    if (err) {
        st = gh_error(GH_ERR_IO, "%s: write failed: %s", path, strerror(err));
        goto out;
    }
    if (stopped_by_hook(path, NULL)) {
        st = gh_error(GH_ERR_IO, "%s: write stopped before linking", path);
        goto out;
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (!overwrite) {
        if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) {
            if (errno == EEXIST)
                st = gh_error(GH_ERR_EXISTS, "%s exists (use --overwrite or --skip-existing)",
                              path);
            else
                st = gh_error(GH_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
        }
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        free(temp);
        temp = temp_name(dir, base, 1);
        if (!temp) {
            st = gh_error(GH_ERR_NOMEM, "%s: no memory for a file name", path);
            goto out;
        }
        if (linkat(AT_FDCWD, proc, AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0)
            break;
        if (errno != EEXIST || attempt == 100) {
            st = gh_error(GH_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
            goto out;
        }
    }
    if (rename(temp, path) != 0) {
        st = gh_error(GH_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
        unlink(temp);
    }
out:
    /* close's result is ignored as before: with GH_IO_WRITE_SYNC fsync already
     * reported any write-back error; without it, local filesystems reserve the
     * space at write time, so close has nothing left to fail on. */
    close(fd);
    free(temp);
    return st;
}

/* With a hidden named temporary file (mkstemp), for filesystems without O_TMPFILE. */
static enum gh_status write_named_temp(const char *path, const char *dir, const char *base,
                                       const unsigned char *data, size_t size, int overwrite,
                                       int durable)
{
    char *temp = temp_name(dir, base, 0);
    if (!temp)
        return gh_error(GH_ERR_NOMEM, "%s: no memory for a file name", path);
    enum gh_status st = GH_OK;
    int fd = mkostemp(temp, O_CLOEXEC);
    if (fd < 0) {
        st = gh_error(GH_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
        free(temp);
        return st;
    }
    int err = 0;
    if (fchmod(fd, 0666 & ~current_umask()) != 0) /* mkstemp creates 0600 */
        err = errno;
    if (!err)
        err = write_full(fd, data, size);
    if (!err && durable && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (err) {
        st = gh_error(GH_ERR_IO, "%s: write failed: %s", path, strerror(err));
        goto out;
    }
    if (stopped_by_hook(path, temp)) {
        st = gh_error(GH_ERR_IO, "%s: write stopped before linking", path);
        goto out;
    }
    if (overwrite) {
        if (rename(temp, path) != 0)
            st = gh_error(GH_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
        goto out;
    }
    int linked = link(temp, path) == 0;
    if (!linked && (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS || errno == EMLINK)) {
        /* No hard links here (FAT, some FUSE): a non-replacing rename is just as atomic. */
        if (renameat2(AT_FDCWD, temp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
            free(temp);
            return GH_OK;
        }
    }
    if (!linked) {
        if (errno == EEXIST)
            st = gh_error(GH_ERR_EXISTS, "%s exists (use --overwrite or --skip-existing)", path);
        else
            st = gh_error(GH_ERR_IO, "%s: cannot create file: %s", path, strerror(errno));
    }
out:
    unlink(temp); /* after a rename this name is already gone, which is fine */
    free(temp);
    return st;
}

static enum gh_status write_all(const char *path, const unsigned char *data, size_t size,
                                int flags, int force_named)
{
    int overwrite = (flags & GH_IO_WRITE_OVERWRITE) != 0, durable = (flags & GH_IO_WRITE_SYNC) != 0;
    if (!path || !path[0])
        return gh_error(GH_ERR_ARGUMENT, "empty file name");
    if (!data && size > 0)
        return gh_error(GH_ERR_ARGUMENT, "%s: no data", path);
    if (!strcmp(path, "-")) {
        if (fflush(stdout) != 0) /* keep anything the program printed before the image first */
            return gh_error(GH_ERR_IO, "standard output: %s", strerror(errno));
        int err = write_full(STDOUT_FILENO, data, size);
        if (err)
            return gh_error(GH_ERR_IO, "standard output: %s", strerror(err));
        return GH_OK;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
        return gh_error(GH_ERR_ARGUMENT, "%s: not a file name", path);
    char *dir;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return gh_error(GH_ERR_NOMEM, "%s: no memory for a file name", path);
    int fallback = 1;
    enum gh_status st = GH_OK;
    if (!force_named)
        st = write_tmpfile(path, dir, base, data, size, overwrite, durable, &fallback);
    if (st == GH_OK && fallback)
        st = write_named_temp(path, dir, base, data, size, overwrite, durable);
    if (st == GH_OK && durable)
        sync_dir(dir);
    free(dir);
    return st;
}

enum gh_status gh_io_write_all(const char *path, const unsigned char *data, size_t size,
                               int flags)
{
    return write_all(path, data, size, flags, 0);
}

enum gh_status gh_io_write_all_named_temp(const char *path, const unsigned char *data,
                                          size_t size, int flags)
{
    return write_all(path, data, size, flags, 1);
}
