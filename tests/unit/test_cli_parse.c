/* gh_cli_parse and gh_cli_plan (src/cli/options.c): the parser main() and the
 * argv fuzzer share. It must parse afresh on every call (getopt keeps state
 * between calls), write only to the streams it is given, and give the
 * documented statuses. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ghiblify/ghiblify.h"
#include "ghiblify/cli.h"
#include "ghiblify/stages.h"

static int parse(FILE *out, FILE *err, struct gh_cli_args *args, int argc, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, argc);
    argv[0] = "ghiblify";
    for (int i = 1; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    return gh_cli_parse(argc, argv, out, err, args);
}

/* Every stage parameter's option sets that parameter, of that stage, to the
 * value given, and nothing else: compared with the parse of the input alone
 * (the default look's settings), each option in turn with a value unlike
 * its default. A flag table pointing at the wrong parameter, or a value
 * lost or rescaled on the way, fails here. */
static void test_param_options(FILE *out, FILE *err)
{
    static struct gh_cli_args base, args;
    CHECK(parse(out, err, &base, 2, "x.jpg") == -1);
    int count, tried = 0;
    const struct gh_stage_def *const *stages = gh_stages_table(&count);
    for (int s = 0; s < count; s++)
        for (int k = 0; k < stages[s]->param_count; k++) {
            const struct gh_param_def *pd = &stages[s]->params[k];
            double was = base.config.pipeline.params[s][k], want;
            char flag[80] = "--", value[64];
            gh_cli_param_flag(stages[s], pd, flag + 2, sizeof flag - 2);
            if (pd->type == GH_PARAM_ENUM) {
                want = was == 0 ? 1 : 0;
                snprintf(value, sizeof value, "%s", pd->choices[(int)want]);
            } else {
                want = pd->min + 0.37 * (pd->max - pd->min);
                if (pd->type == GH_PARAM_INT)
                    want = floor(want);
                if (want == was)
                    want = pd->type == GH_PARAM_INT ? want + 1 : pd->min + 0.61 * (pd->max - pd->min);
                snprintf(value, sizeof value, "%.17g", want);
            }
            CHECK_MSG(parse(out, err, &args, 4, flag, value, "x.jpg") == -1, "%s %s", flag, value);
            for (int s2 = 0; s2 < count; s2++)
                for (int k2 = 0; k2 < stages[s2]->param_count; k2++) {
                    double got = args.config.pipeline.params[s2][k2];
                    double expect = s2 == s && k2 == k ? want : base.config.pipeline.params[s2][k2];
                    CHECK_MSG(got == expect, "%s %s: %s %s is %.17g, expected %.17g", flag, value,
                              stages[s2]->name, stages[s2]->params[k2].name, got, expect);
                }
            tried++;
        }
    CHECK(tried > 50);
    printf("%d stage parameter options checked\n", tried);
}

/* Options that feed the run rather than a stage parameter. */
static void test_run_options(FILE *out, FILE *err)
{
    static struct gh_cli_args args;
    CHECK(parse(out, err, &args, 4, "--seed", "12345", "x.jpg") == -1);
    CHECK(args.config.seed == 12345);
    CHECK(parse(out, err, &args, 4, "-j", "3", "x.jpg") == -1);
    CHECK(args.config.jobs == 3);
    CHECK(parse(out, err, &args, 2, "x.jpg") == -1);
    CHECK(args.config.seed == 1);
    /* --reference pulls the transfer to 0.5 (a user's still is meant to
     * show), unless --transfer-amount comes after it. */
    const struct gh_stage_def *transfer = gh_stages_find("transfer");
    int si = -1, ki = -1, count;
    const struct gh_stage_def *const *stages = gh_stages_table(&count);
    for (int s = 0; s < count; s++)
        if (stages[s] == transfer)
            si = s;
    for (int k = 0; transfer && k < transfer->param_count; k++)
        if (!strcmp(transfer->params[k].name, "amount"))
            ki = k;
    CHECK(si >= 0 && ki >= 0);
    if (si < 0 || ki < 0)
        return;
    CHECK(parse(out, err, &args, 4, "--reference", "r.png", "x.jpg") == -1);
    CHECK_MSG(args.config.pipeline.params[si][ki] == 0.5, "transfer amount %g", args.config.pipeline.params[si][ki]);
    CHECK(parse(out, err, &args, 6, "--reference", "r.png", "--transfer-amount", "0.25", "x.jpg") == -1);
    CHECK(args.config.pipeline.params[si][ki] == 0.25);
}

static long stream_size(FILE *f)
{
    (void)fflush(f);
    return ftell(f);
}

int main(void)
{
    FILE *out = tmpfile(), *err = tmpfile();
    struct gh_cli_args args;
    if (!out || !err)
        return 1;

    CHECK(parse(out, err, &args, 5, "-q", "80", "--chroma", "444") == 2); /* no input */
    CHECK(stream_size(out) == 0);
    CHECK(stream_size(err) > 0);

    /* The same words twice in one process give the same result: the second
     * call must not resume the first one's getopt scan. */
    for (int round = 0; round < 2; round++) {
        memset(&args, 0, sizeof args);
        CHECK(parse(out, err, &args, 7, "-q", "80", "x.jpg", "--chroma", "444", "y.png") == -1);
        CHECK(args.config.quality == 80);
        CHECK(args.config.chroma == GH_CHROMA_444);
        CHECK(args.first_input == 5); /* inputs permuted to the end */
    }
    long err_before = stream_size(err);
    CHECK(parse(out, err, &args, 4, "--quality", "0", "x.jpg") == 2);
    CHECK(stream_size(err) > err_before);
    CHECK(stream_size(out) == 0);

    /* --background takes exactly six hex digits: sscanf's %6x also took a sign,
     * leading blanks and a 0x prefix (found by clang-tidy's cert-err34-c). */
    const char *bad_colors[] = {"#-12345", "#+12345", "# 12345", " 12345", "0x1234", "#0x1234",
                                "#12345", "#1234567", "#12345g", "teal", ""};
    for (size_t i = 0; i < sizeof bad_colors / sizeof bad_colors[0]; i++)
        CHECK_MSG(parse(out, err, &args, 4, "--background", bad_colors[i], "x.jpg") == 2, "--background '%s'",
                  bad_colors[i]);
    const char *good_colors[] = {"#00ff80", "00FF80"};
    for (size_t i = 0; i < sizeof good_colors / sizeof good_colors[0]; i++) {
        memset(&args, 0, sizeof args);
        CHECK_MSG(parse(out, err, &args, 4, "--background", good_colors[i], "x.jpg") == -1, "--background %s",
                  good_colors[i]);
        CHECK(args.config.background[0] == 0.0f && args.config.background[1] == 1.0f &&
              args.config.background[2] == 128.0f / 255.0f);
    }
    CHECK(parse(out, err, &args, 4, "--background", "black", "x.jpg") == -1);
    CHECK(args.config.background[0] == 0.0f && args.config.background[2] == 0.0f);

    CHECK(parse(out, err, &args, 2, "--version") == 0);
    CHECK(stream_size(out) > 0);

    /* Planning: -o with two inputs is a usage error; one input gets -o as its output. */
    char *two[] = {"ghiblify", "-o", "out.png", "a.jpg", "b.jpg", NULL};
    CHECK(gh_cli_parse(5, two, out, err, &args) == -1);
    struct gh_cli_items items = {0};
    CHECK(gh_cli_plan(&args, 5, two, err, &items) == 2);
    gh_cli_items_free(&items);
    char *one[] = {"ghiblify", "-o", "out.png", "-", NULL};
    CHECK(gh_cli_parse(4, one, out, err, &args) == -1);
    memset(&items, 0, sizeof items);
    CHECK(gh_cli_plan(&args, 4, one, err, &items) == -1);
    CHECK(items.count == 1 && items.item[0].output && strcmp(items.item[0].output, "out.png") == 0);
    gh_cli_items_free(&items);

    test_param_options(out, err);
    test_run_options(out, err);

    (void)fclose(out); /* scratch tmpfiles */
    (void)fclose(err);
    return check_finish();
}
