/* Atomic output, deterministically (issue 15): gh_io_write_set_hook stops
 * gh_io_write_all between writing the temporary file and linking it to the
 * target. At that moment the target must not exist (or still hold the old
 * file, when replacing) and the whole data must already sit in the temporary
 * file; when the hook fails the write, the target stays absent (or old) and no
 * temporary file remains; when the process dies there (the O_TMPFILE path),
 * nothing at all remains. Code that wrote straight to the final name would
 * show the target early (or never reach the hook) and fail here. Both the
 * O_TMPFILE path and the named-temporary fallback are run. */
#include "check.h"

#include "ghiblify/io.h"
#include "io/io_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum gh_status (*write_fn)(const char *, const unsigned char *, size_t, int);

static char root[256];

/* What the hook saw, and what it does. */
struct probe {
    int calls;
    int fail;         /* return nonzero: the write fails before linking */
    int die;          /* _exit the process before linking */
    int target_state; /* 0 absent, 1 old content, 2 anything else */
    int temp_whole;   /* the named temporary file held all the data (1), none named (-1) */
    const unsigned char *data, *old;
    size_t size, old_size;
};

static int file_is(const char *path, const unsigned char *data, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char *got = malloc(size + 2);
    size_t n = fread(got, 1, size + 1, f);
    (void)fclose(f);
    int same = n == size && (size == 0 || memcmp(got, data, size) == 0);
    free(got);
    return same;
}

static int hook(void *user, const char *path, const char *temp)
{
    struct probe *p = user;
    p->calls++;
    struct stat sb;
    if (stat(path, &sb) != 0)
        p->target_state = 0;
    else
        p->target_state = p->old && file_is(path, p->old, p->old_size) ? 1 : 2;
    p->temp_whole = temp ? file_is(temp, p->data, p->size) : -1;
    if (p->die)
        _exit(0);
    return p->fail;
}

/* Entries of dir other than keep (NULL: none), "." and "..". */
static int others_in(const char *dir, const char *keep, char *names, size_t cap)
{
    names[0] = 0;
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || (keep && !strcmp(e->d_name, keep)))
            continue;
        n++;
        strncat(names, e->d_name, cap - strlen(names) - 2);
        strncat(names, " ", cap - strlen(names) - 1);
    }
    if (d)
        closedir(d);
    return n;
}

static void run(write_fn wr, const char *label, int overwrite, int fail)
{
    char dir[400], path[500], names[512];
    snprintf(dir, sizeof dir, "%s/%s-%d-%d", root, label, overwrite, fail);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/out.png", dir);
    size_t size = 3 << 20; /* several write() calls' worth */
    unsigned char *data = malloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    static const unsigned char old[] = "the previous output";
    if (overwrite) {
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(old, 1, sizeof old, f) == sizeof old);
        if (f)
            CHECK(fclose(f) == 0);
    }
    struct probe p = {.fail = fail, .data = data, .size = size, .old = overwrite ? old : NULL,
                      .old_size = sizeof old};
    gh_io_write_set_hook(hook, &p);
    enum gh_status st = wr(path, data, size, overwrite ? GH_IO_WRITE_OVERWRITE : 0);
    gh_io_write_set_hook(NULL, NULL);
    CHECK_MSG(p.calls == 1, "%s: the hook ran %d times (the data never went through a "
                            "temporary file?)", label, p.calls);
    CHECK_MSG(p.target_state == (overwrite ? 1 : 0),
              "%s: before linking the target was %s", label,
              p.target_state == 0 ? "absent" : p.target_state == 1 ? "the old file" : "new data");
    if (wr == gh_io_write_all_named_temp)
        CHECK_MSG(p.temp_whole == 1, "%s: the temporary file did not hold the data", label);
    if (fail) {
        CHECK_MSG(st == GH_ERR_IO, "%s: stopped write gave %s", label, gh_strerror(st));
        CHECK(strstr(gh_error_detail(), "out.png: write stopped before linking") != NULL);
        if (overwrite)
            CHECK_MSG(file_is(path, old, sizeof old), "%s: old file changed", label);
        else
            CHECK_MSG(access(path, F_OK) != 0, "%s: target exists after a failed write", label);
    } else {
        CHECK_OK(st);
        CHECK_MSG(file_is(path, data, size), "%s: target does not hold the data", label);
    }
    int extra = others_in(dir, (overwrite || !fail) ? "out.png" : NULL, names, sizeof names);
    CHECK_MSG(extra == 0, "%s: left behind: %s", label, names);
    unlink(path);
    rmdir(dir);
    free(data);
}

/* The process dies between writing and linking: with O_TMPFILE no name ever
 * existed, so nothing remains; the fallback's hidden file stays (nobody is
 * left to remove it), but the target never appears. */
static void die(write_fn wr, const char *label)
{
    char dir[400], path[500], names[512];
    snprintf(dir, sizeof dir, "%s/die-%s", root, label);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/out.png", dir);
    static const unsigned char data[] = "whole or nothing";
    (void)fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct probe p = {.die = 1, .data = data, .size = sizeof data};
        gh_io_write_set_hook(hook, &p);
        wr(path, data, sizeof data, 0);
        _exit(3); /* the hook never ran */
    }
    int wst = 0;
    waitpid(pid, &wst, 0);
    CHECK_MSG(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "%s: the hook did not stop the writer", label);
    CHECK_MSG(access(path, F_OK) != 0, "%s: target exists after the writer died", label);
    int left = others_in(dir, NULL, names, sizeof names);
    if (wr == gh_io_write_all)
        CHECK_MSG(left == 0, "%s: left behind: %s", label, names);
    else
        CHECK_MSG(left == 1 && names[0] == '.', "%s: expected one hidden temporary file: %s",
                  label, names);
    others_in(dir, NULL, names, sizeof names);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[800];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/ghiblify_test_io_atomic.XXXXXX", tmp && tmp[0] ? tmp : ".");
    if (!mkdtemp(root)) {
        perror(root);
        return 1;
    }
    for (int overwrite = 0; overwrite < 2; overwrite++)
        for (int fail = 0; fail < 2; fail++) {
            run(gh_io_write_all, "tmpfile", overwrite, fail);
            run(gh_io_write_all_named_temp, "named", overwrite, fail);
        }
    die(gh_io_write_all, "tmpfile");
    die(gh_io_write_all_named_temp, "named");
    rmdir(root);
    return check_finish();
}
