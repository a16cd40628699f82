/* Allocation-failure sweep (issue 15; needs a GH_ALLOC_FAIL build).
 *
 * Runs ghiblify's default pipeline in-process, the way src/cli/main.c does
 * (gh_cli_parse, gh_cli_plan, gh_cli_run; one job, one thread so the order of
 * allocations is reproducible) on two small photos (a JPEG with EXIF and an
 * ICC profile, a PNG with alpha) into a fresh folder, once to count the
 * library's allocations, then once for each N with the Nth allocation failing.
 * Each run is a forked child, so a crash names its N. Every run must end in
 * success or in clear errors (each failed item or the run itself with a
 * one-line message that is not empty), never a crash; leave in the folder only
 * complete images (each decodes) and no temporary file; and leak nothing
 * (under LeakSanitizer, checked in the child after the run).
 *
 *   alloc_sweep DATA_DIR WORK_DIR [--all | --runs R] [--offset K] [--from N] [--only N]
 *               [--threads T]
 *
 * --all tries every N; otherwise (the default, R = 150; ctest passes 120) N is sampled: every
 * N up to 40 (options, planning and model loading come first), then every
 * stride-th N after, the stride chosen so about R runs cover all of them,
 * starting at 40 + K; --only N runs just that N (GH_ALLOC_FAIL_TRACE=1 prints,
 * in an ASan build, where it fails); --threads T (default 1) runs the stages
 * on T threads, where which allocation is Nth varies from run to run. Prints the count, the runs, how they ended, and each
 * bad N; exits 1 if there was any. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/alloc_fail.h"
#include "ghiblify/cli.h"
#include "ghiblify/ghiblify.h"

#if defined(__SANITIZE_ADDRESS__)
#define SWEEP_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SWEEP_LSAN 1
#endif
#endif
#ifdef SWEEP_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define HEAD 40

enum verdict {
    V_SUCCESS,   /* everything converted (the failure hit a path that has a fallback) */
    V_ERROR,     /* clear errors */
    V_BAD,       /* crash, leak, partial or temporary file, unclear message */
};

struct run_log {
    int failed_items;
    int bad_messages;
    char first[400];
};

static void on_finished(void *user, const struct gh_cli_item *item, enum gh_cli_outcome outcome,
                        const char *message, double seconds, const struct gh_cli_summary *so_far,
                        const struct gh_cli_result *result)
{
    struct run_log *log = user;
    (void)item;
    (void)seconds;
    (void)so_far;
    (void)result;
    if (outcome != GH_CLI_FAILED)
        return;
    log->failed_items++;
    if (!message || !message[0] || strchr(message, '\n'))
        log->bad_messages++;
    if (!log->first[0])
        snprintf(log->first, sizeof log->first, "%s", message ? message : "(null)");
}

/* The first line written to f (static buffer). */
static const char *first_line(FILE *f)
{
    static char line[300];
    line[0] = 0;
    rewind(f);
    if (!fgets(line, sizeof line, f))
        line[0] = 0;
    line[strcspn(line, "\n")] = 0;
    return line;
}

/* One run in this process: 0 success, 1 clear error(s), 2 unclear; *why says. */
/* --threads for the runs: 1 makes the Nth allocation the same one every run. */
static char threads_arg[16] = "1";

static int pipeline(const char *data, const char *out, char *why, size_t why_size)
{
    char in1[4096], in2[4096];
    snprintf(in1, sizeof in1, "%s/meta.jpg", data);
    snprintf(in2, sizeof in2, "%s/alpha.png", data);
    char *argv[] = {"ghiblify", "--quiet", "-j", "1", "--threads", threads_arg, "-d", (char *)out,
                    in1, in2, NULL};
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    FILE *sink = tmpfile(); /* what parse and plan say, for the report */
    struct gh_cli_args args;
    int rc = gh_cli_parse(argc, argv, sink, sink, &args);
    struct gh_cli_items items = {0};
    int result = 0;
    why[0] = 0;
    if (rc >= 0) {
        /* Parsing allocates nothing of the library's today; a failure there
         * would be reported on err as a usage error. */
        snprintf(why, why_size, "gh_cli_parse returned %d: %s", rc, first_line(sink));
        result = rc == 2 ? 1 : 2;
        goto out;
    }
    args.config.max_memory = gh_cli_default_memory(1);
    args.config.threads = atoi(threads_arg);
    if (gh_cli_make_dirs(out) != GH_OK) {
        snprintf(why, why_size, "%s", gh_error_detail());
        result = gh_error_detail()[0] ? 1 : 2;
        goto out;
    }
    rc = gh_cli_plan(&args, argc, argv, sink, &items);
    if (rc >= 0) {
        snprintf(why, why_size, "gh_cli_plan returned %d: %s", rc, first_line(sink));
        result = rc == 2 ? 1 : 2;
        goto out;
    }
    struct run_log log = {0};
    struct gh_cli_events events = {&log, NULL, on_finished, NULL};
    struct gh_cli_summary summary;
    enum gh_status st = gh_cli_run(&args.config, &items, &events, &summary);
    if (st != GH_OK) {
        const char *d = gh_error_detail();
        snprintf(why, why_size, "run: %s", d);
        result = d[0] && !strchr(d, '\n') ? 1 : 2;
    } else if (summary.done + summary.failed + summary.skipped != 2) {
        snprintf(why, why_size, "%zu done, %zu failed, %zu skipped of 2", summary.done,
                 summary.failed, summary.skipped);
        result = 2;
    } else if (log.bad_messages) {
        snprintf(why, why_size, "an empty or multi-line message: %s", log.first);
        result = 2;
    } else if (summary.failed) {
        snprintf(why, why_size, "%s", log.first);
        result = 1;
    }
out:
    gh_cli_items_free(&items);
    fclose(sink);
    return result;
}

/* Every file in dir is a complete image, none is hidden (a temporary file);
 * returns 0 or writes why. */
static int outputs_whole(const char *dir, char *why, size_t why_size)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* never created: nothing partial */
    struct dirent *e;
    int bad = 0;
    while (!bad && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct gh_picture *pic = NULL;
        if (e->d_name[0] == '.') {
            snprintf(why, why_size, "temporary file left: %s", e->d_name);
            bad = 1;
        } else if (gh_io_read_picture(path, 0, &pic) != GH_OK) {
            snprintf(why, why_size, "partial output: %s", gh_error_detail());
            bad = 1;
        }
        gh_picture_free(pic);
    }
    closedir(d);
    return bad;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Runs the pipeline in a child with allocation nth failing (0: none). Returns
 * the verdict, and the child's allocation count and message. */
static enum verdict run_one(const char *data, const char *out, uint64_t nth, uint64_t *count,
                            char *why, size_t why_size)
{
    remove_tree(out);
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char msg[600];
        gh_alloc_fail_at(nth);
        int r = pipeline(data, out, msg, sizeof msg);
        uint64_t n = gh_alloc_count();
        int injected = gh_alloc_failed();
        gh_alloc_fail_at(0);
        char whole[600] = "";
        if (outputs_whole(out, whole, sizeof whole))
            r = 2;
        int leaked = 0;
#ifdef SWEEP_LSAN
        leaked = __lsan_do_recoverable_leak_check();
#endif
        if (leaked)
            r = 2;
        if (!injected && nth && r != 0)
            r = 2; /* no failure injected, yet an error */
        char line[1400];
        int len = snprintf(line, sizeof line, "%d %llu %s%s%s", r, (unsigned long long)n,
                           leaked ? "leak (LeakSanitizer report above); " : "", whole, msg);
        if (write(fds[1], line, (size_t)(len < (int)sizeof line ? len : (int)sizeof line - 1)) < 0)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    char line[1400] = {0};
    size_t got = 0;
    ssize_t r;
    while (got < sizeof line - 1 && (r = read(fds[0], line + got, sizeof line - 1 - got)) > 0)
        got += (size_t)r;
    close(fds[0]);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    int verdict = 2, off = 0;
    unsigned long long n = 0;
    if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
        snprintf(why, why_size, "child %s %d", WIFSIGNALED(wst) ? "killed by signal" : "exited",
                 WIFSIGNALED(wst) ? WTERMSIG(wst) : WEXITSTATUS(wst));
        return V_BAD;
    }
    if (sscanf(line, "%d %llu %n", &verdict, &n, &off) < 2) {
        snprintf(why, why_size, "no report from the child");
        return V_BAD;
    }
    *count = n;
    snprintf(why, why_size, "%s", line + off);
    return verdict == 0 ? V_SUCCESS : verdict == 1 ? V_ERROR : V_BAD;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: alloc_sweep DATA_DIR WORK_DIR [--all | --runs R] [--offset K] "
                        "[--from N]\n");
        return 2;
    }
    const char *data = argv[1];
    int all = 0;
    long runs = 150, offset = 0, from = 1, only = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--offset") && i + 1 < argc)
            offset = atol(argv[++i]);
        else if (!strcmp(argv[i], "--from") && i + 1 < argc)
            from = atol(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            int t = atoi(argv[++i]);
            snprintf(threads_arg, sizeof threads_arg, "%d", t > 0 ? t : 1);
        }
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            from = only = atol(argv[++i]);
    }
    mkdir(argv[2], 0777);
    char out[4096];
    snprintf(out, sizeof out, "%s/out", argv[2]);
    char why[1400];
    uint64_t total = 0;
    double t0 = gh_cli_seconds();
    if (run_one(data, out, 0, &total, why, sizeof why) != V_SUCCESS || total == 0) {
        fprintf(stderr, "alloc_sweep: the run without failures did not succeed: %s\n", why);
        return 1;
    }
    double one = gh_cli_seconds() - t0;
    uint64_t stride = 1;
    if (!all && runs > HEAD && total > (uint64_t)runs)
        stride = (total - HEAD + (uint64_t)(runs - HEAD) - 1) / (uint64_t)(runs - HEAD);
    printf("alloc_sweep: %llu library allocations per run (%.2f s); trying %s\n",
           (unsigned long long)total, one,
           stride == 1 ? "every N" : "every N up to 40, then every stride-th");
    if (stride > 1)
        printf("alloc_sweep: stride %llu from N = %ld\n", (unsigned long long)stride,
               from > HEAD ? from : HEAD + 1 + offset);
    fflush(stdout);
    long tried = 0, success = 0, errors = 0, bad = 0;
    for (uint64_t n = (uint64_t)(from > 0 ? from : 1); n <= total + 1;) {
        uint64_t count = 0;
        enum verdict v = run_one(data, out, n, &count, why, sizeof why);
        tried++;
        if (v == V_SUCCESS)
            success++;
        else if (v == V_ERROR)
            errors++;
        else {
            bad++;
            printf("BAD N=%llu: %s\n", (unsigned long long)n, why);
            fflush(stdout);
        }
        if (getenv("GH_ALLOC_SWEEP_VERBOSE"))
            printf("N=%llu %s: %s\n", (unsigned long long)n,
                   v == V_SUCCESS ? "success" : v == V_ERROR ? "error" : "BAD", why);
        if (only)
            break;
        if (stride == 1 || n < HEAD)
            n++;
        else if (n == HEAD)
            n = HEAD + 1 + (uint64_t)offset;
        else
            n += stride;
    }
    remove_tree(out);
    printf("alloc_sweep: %ld runs in %.1f s: %ld succeeded anyway, %ld ended in clear errors, "
           "%ld bad\n",
           tried, gh_cli_seconds() - t0, success, errors, bad);
    return bad ? 1 : 0;
}
