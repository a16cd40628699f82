/* ghiblify command line: src/cli/options.c parses the options and plans the
 * inputs (gh_cli_parse, gh_cli_plan); this runs the batch, with progress on
 * stderr and SIGINT/SIGTERM handling. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ghiblify/ghiblify.h"
#include "ghiblify/cli.h"

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("ghiblify: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'ghiblify --help' for more information.\n", stderr);
    return 2;
}

/* Set by SIGINT/SIGTERM to the signal's number; the batch stops taking items. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int signo)
{
    stop_signal = signo;
}

/* --- progress and reporting on stderr --- */

struct reporter {
    const struct gh_cli_config *config;
    size_t total;
    double t0;
    int line_shown;
    size_t existed; /* skipped because their output exists */
    FILE *report;   /* --report, or NULL */
    int report_failed;
};

static void clear_progress(struct reporter *r)
{
    if (r->line_shown) {
        fputs("\r\033[K", stderr);
        r->line_shown = 0;
    }
}

static void show_progress(struct reporter *r, const struct gh_cli_item *current,
                          const struct gh_cli_summary *s)
{
    size_t finished = s->done + s->skipped + s->failed;
    double elapsed = gh_cli_seconds() - r->t0;
    char eta[32] = "--:--";
    if (finished > 0 && finished < r->total) {
        double left = elapsed / (double)finished * (double)(r->total - finished);
        snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
    }
    const char *name = current ? current->input : "";
    fprintf(stderr, "\r\033[K[%zu/%zu] %3d%%  %d:%02d elapsed, ETA %s  %.60s", finished, r->total,
            (int)(100.0 * (double)finished / (double)(r->total ? r->total : 1)), (int)elapsed / 60,
            (int)elapsed % 60, eta, name);
    (void)fflush(stderr); /* a progress line: nothing to do if it fails */
    r->line_shown = 1;
}

static struct gh_cli_summary last_summary;

static void on_started(void *user, const struct gh_cli_item *item)
{
    struct reporter *r = user;
    if (r->config->progress)
        show_progress(r, item, &last_summary);
}

static void on_finished(void *user, const struct gh_cli_item *item, enum gh_cli_outcome outcome,
                        const char *message, double seconds, const struct gh_cli_summary *so_far,
                        const struct gh_cli_result *result)
{
    struct reporter *r = user;
    last_summary = *so_far;
    if (r->report && !r->report_failed) {
        /* Flushed per line: a consumer tailing the file sees each input as it
         * finishes, and a killed run leaves only whole lines. */
        char *line = gh_cli_report_line(item, outcome, message, seconds, result, gh_cli_peak_rss_mb());
        if (!line || fputs(line, r->report) == EOF || fputc('\n', r->report) == EOF || fflush(r->report) != 0) {
            clear_progress(r);
            fprintf(stderr, "ghiblify: --report %s: %s\n", r->config->report_path,
                    line ? strerror(errno) : "out of memory");
            r->report_failed = 1;
        }
        free(line);
    }
    clear_progress(r);
    if (outcome == GH_CLI_SKIPPED && !item->earlier_output)
        r->existed++;
    if (outcome == GH_CLI_FAILED || (outcome == GH_CLI_SKIPPED && r->config->verbose))
        fprintf(stderr, "ghiblify: %s\n", message);
    else if (outcome == GH_CLI_DONE && r->config->verbose)
        fprintf(stderr, "ghiblify: [%zu/%zu] %s -> %s (%.2f s: %s)\n",
                so_far->done + so_far->skipped + so_far->failed, r->total, item->input,
                strcmp(item->output, "-") ? item->output : "standard output", seconds, message);
    if (r->config->progress && so_far->done + so_far->skipped + so_far->failed < r->total)
        show_progress(r, NULL, so_far);
}

static void on_note(void *user, const struct gh_cli_item *item, const char *message)
{
    struct reporter *r = user;
    (void)item;
    if (r->config->quiet)
        return;
    clear_progress(r);
    fprintf(stderr, "ghiblify: note: %s\n", message);
}

int main(int argc, char **argv)
{
    struct gh_cli_items items = {0};
    struct gh_cli_args args;
    FILE *reporter_file = NULL;
    int rc = 2;

    /* Every stage allocates and frees whole images. Keeping freed memory in the
     * heap (instead of returning each large block to the kernel) avoids paying
     * the page faults again for every image and stage: on our VMs that costs
     * more than many of the filters themselves (tools/BENCHMARKS.md). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);

    rc = gh_cli_parse(argc, argv, stdout, stderr, &args);
    if (rc >= 0)
        return rc;
    rc = 2;
    struct gh_cli_config config = args.config;
    config.stop = &stop_signal;
    int threads = args.threads;
    int jobs = config.jobs;
    if (!args.max_memory_set)
        config.max_memory = gh_cli_default_memory(jobs);
    /* Output folders exist before any input is looked at, so that a directory
     * scan can recognize (and never descend into) them. A dry run only says
     * it would make them. */
    const char *dirs[2] = {config.out_dir, config.dump_dir};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i])
            continue;
        if (config.dry_run) {
            struct stat sb;
            if (stat(dirs[i], &sb) != 0)
                printf("mkdir\t%s\n", dirs[i]);
            continue;
        }
        if (gh_cli_make_dirs(dirs[i]) != GH_OK) {
            fprintf(stderr, "ghiblify: %s\n", gh_error_detail());
            goto out;
        }
        if (access(dirs[i], W_OK) != 0) {
            fprintf(stderr, "ghiblify: %s: directory is not writable: %s\n", dirs[i], strerror(errno));
            goto out;
        }
    }
    {
        args.config = config;
        int planned = gh_cli_plan(&args, argc, argv, stderr, &items);
        if (planned >= 0) {
            rc = planned;
            goto out;
        }
    }
    if (config.dry_run) {
        /* Tab-separated, one line per input: what a run would do with it. */
        size_t refused = 0;
        for (size_t i = 0; i < items.count; i++) {
            const char *why;
            const struct gh_cli_item *it = &items.item[i];
            enum gh_cli_plan_kind kind = gh_cli_dry_run_kind(&config, it, &why);
            if (kind == GH_CLI_PLAN_WRITE)
                printf("write\t%s\t%s\n", it->input, it->output);
            else
                printf("%s\t%s\t%s\n", kind == GH_CLI_PLAN_SKIP ? "skip" : "refuse", it->input, why);
            refused += kind == GH_CLI_PLAN_REFUSE;
        }
        rc = fflush(stdout) == 0 && !ferror(stdout) ? (refused ? 1 : 0) : 2;
        goto out;
    }
    size_t earlier = 0;
    for (size_t i = 0; i < items.count; i++) {
        earlier += items.item[i].earlier_output;
        if (items.item[i].output && strcmp(items.item[i].output, "-") == 0 && !items.item[i].skip &&
            isatty(STDOUT_FILENO)) {
            rc = usage_error("refusing to write image data to a terminal: redirect standard output "
                             "(> out.%s) or use -o FILE",
                             config.format ? gh_io_format_extension(config.format) : "jpg");
            goto out;
        }
    }

    int cpus = gh_cpu_count();
    config.threads = threads ? threads : (cpus / config.jobs > 0 ? cpus / config.jobs : 1);
    /* Redrawing a line with \r only makes sense on a terminal; a log file gets
     * one plain line per image with -v instead. */
    config.progress = !config.quiet && isatty(STDERR_FILENO);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* A second signal kills at once (outputs are renamed into place only when
     * complete, so even that loses nothing). */
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct reporter reporter = {&config, items.count, gh_cli_seconds(), 0, 0, NULL, 0};
    struct stat report_st;
    if (config.report_path && strcmp(config.report_path, "-") && stat(config.report_path, &report_st) == 0)
        for (size_t i = 0; i < items.count; i++) {
            /* Truncating the report must never cost an input. */
            struct stat in_st;
            if (items.item[i].input && stat(items.item[i].input, &in_st) == 0 && in_st.st_dev == report_st.st_dev &&
                in_st.st_ino == report_st.st_ino) {
                rc = usage_error("--report %s is one of the inputs; name another file", config.report_path);
                goto out;
            }
        }
    if (config.report_path) {
        reporter.report = reporter_file = strcmp(config.report_path, "-") ? fopen(config.report_path, "w") : stderr;
        if (!reporter.report) {
            fprintf(stderr, "ghiblify: --report %s: %s\n", config.report_path, strerror(errno));
            goto out;
        }
    }
    struct gh_cli_events events = {&reporter, on_started, on_finished, on_note};
    struct gh_cli_summary summary;
    if (!config.quiet && earlier > 0 && !config.verbose)
        fprintf(stderr, "ghiblify: note: left out %zu input%s whose name ends in '%s' (outputs of an "
                        "earlier run; -v lists them, another --suffix processes them)\n",
                earlier, earlier == 1 ? "" : "s", config.suffix);
    if (gh_cli_run(&config, &items, &events, &summary) != GH_OK) {
        clear_progress(&reporter);
        fprintf(stderr, "ghiblify: %s\n", gh_error_detail());
        goto out;
    }
    clear_progress(&reporter);
    size_t finished = summary.done + summary.skipped + summary.failed;
    if (stop_signal) {
        /* Always said, also with --quiet: the user must know the run is incomplete. */
        fprintf(stderr, "ghiblify: interrupted: %zu of %zu done, %zu skipped, %zu failed, %zu not finished "
                        "(%.1f s); rerun with --skip-existing to do the rest\n",
                summary.done, items.count, summary.skipped, summary.failed, items.count - finished,
                gh_cli_seconds() - reporter.t0);
        rc = 128 + stop_signal;
        goto out;
    }
    if (!config.quiet && reporter.existed > 0 && !config.verbose)
        fprintf(stderr, "ghiblify: note: %zu output%s existed and %s left alone (--overwrite replaces)\n",
                reporter.existed, reporter.existed == 1 ? "" : "s", reporter.existed == 1 ? "was" : "were");
    if (!config.quiet)
        fprintf(stderr, "ghiblify: %zu done, %zu skipped, %zu failed (%.1f s)\n", summary.done,
                summary.skipped, summary.failed, gh_cli_seconds() - reporter.t0);
    rc = summary.failed ? 1 : 0;
out:
    if (reporter_file && reporter_file != stderr && fclose(reporter_file) != 0 && rc == 0) {
        fprintf(stderr, "ghiblify: --report %s: %s\n", args.config.report_path, strerror(errno));
        rc = 1;
    }
    gh_cli_items_free(&items);
    return rc;
}
