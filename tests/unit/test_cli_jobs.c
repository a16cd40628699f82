/* --jobs N (issue 15: a parsed-but-ignored option passed every test): the
 * batch, parsed and planned from argv as main() does, really works on N
 * images at once. The `started` event (called under the batch's lock) holds
 * the first item for 100 ms, so the other worker is waiting for the next item
 * when it returns; items in flight are counted between `started` and
 * `finished`. One job never has two in flight; two jobs have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ghiblify/cli.h"

struct flight {
    int now, most, started, done;
};

static void on_started(void *user, const struct gh_cli_item *item)
{
    struct flight *f = user;
    (void)item;
    if (f->started++ == 0)
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    f->now++;
    f->most = f->now > f->most ? f->now : f->most;
}

static void on_finished(void *user, const struct gh_cli_item *item, enum gh_cli_outcome outcome,
                        const char *message, double seconds, const struct gh_cli_summary *so_far,
                        const struct gh_cli_result *result)
{
    struct flight *f = user;
    (void)item, (void)message, (void)seconds, (void)so_far, (void)result;
    f->now--;
    f->done += outcome == GH_CLI_DONE;
}

/* Most items in flight at once in a run with `jobs` workers, -1 on failure. */
static int most_in_flight(const char *jobs, const char *dir)
{
    static const char *const inputs[] = {"samples/rocket.jpg", "samples/coffee.png", "samples/chelsea.png",
                                         "tests/data/exif6.jpg"};
    char *argv[] = {"ghiblify", "-j", (char *)jobs, "--quiet", "--overwrite", "--stages", "resize,denoise",
                    "--size", "128", "-d", (char *)dir, NULL, NULL, NULL, NULL, NULL};
    int argc = 11 + 4;
    char *owned[4];
    for (int i = 0; i < 4; i++) /* check_source_path has one static buffer */
        argv[11 + i] = owned[i] = strdup(check_source_path(inputs[i]));
    struct gh_cli_args args;
    struct gh_cli_items items = {0};
    struct flight f = {0};
    int most = -1;
    FILE *out = tmpfile(), *err = tmpfile();
    if (!out || !err || gh_cli_parse(argc, argv, out, err, &args) != -1 ||
        gh_cli_plan(&args, argc, argv, err, &items) != -1) {
        CHECK_MSG(0, "-j %s: parse or plan failed", jobs);
        goto done;
    }
    args.config.threads = 1;
    struct gh_cli_events events = {&f, on_started, on_finished, NULL};
    struct gh_cli_summary summary;
    CHECK_OK(gh_cli_run(&args.config, &items, &events, &summary));
    CHECK_MSG(summary.done == 4 && f.done == 4, "-j %s: %zu done", jobs, summary.done);
    most = f.most;
    printf("-j %s: at most %d images in flight\n", jobs, most);
done:
    gh_cli_items_free(&items);
    for (int i = 0; i < 4; i++)
        free(owned[i]);
    if (out)
        (void)fclose(out); /* scratch tmpfiles */
    if (err)
        (void)fclose(err);
    return most;
}

int main(void)
{
    char dir[] = "/tmp/gh_test_jobs.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    CHECK(most_in_flight("1", dir) == 1);
    CHECK(most_in_flight("2", dir) == 2);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_finish();
}
