/* gh_cli_parse and gh_cli_plan (src/cli/options.c): the parser main() and the
 * argv fuzzer share. It must parse afresh on every call (getopt keeps state
 * between calls), write only to the streams it is given, and give the
 * documented statuses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ghiblify/ghiblify.h"
#include "ghiblify/cli.h"

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

    (void)fclose(out); /* scratch tmpfiles */
    (void)fclose(err);
    return check_finish();
}
