/* libFuzzer harness for the command line: the bytes, split at NUL bytes, are
 * the arguments after "ghiblify"; they go through the real option parser
 * (gh_cli_parse, src/cli/options.c) and, when it accepts them, the input
 * planning (gh_cli_plan: directory expansion, -o/--depth-out checks, sharding,
 * output names and collisions). No model runs and nothing is written: the
 * parser writes only to the streams it gets (/dev/null here), planning only
 * reads, and the output folders (-d, --dump-stages) are never created.
 *
 * Inputs are confined to tests/data (GH_FUZZ_ARGV_ROOT, set by CMake): each
 * INPUT is looked up below it, and one with ".." or a leading '/' is left out,
 * so that -r cannot walk the whole machine and the run is the same anywhere.
 *
 * Built like fuzz_onnx.c (see there): fuzz_argv_replay always, replayed by
 * ctest over tests/fuzz/argv (seeds from the README and tests/cli, made by
 * tests/fuzz/make-argv-seeds.py); with -DGH_FUZZ=ON the libFuzzer target
 * fuzz_argv and its smoke run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/cli.h"

#ifndef GH_FUZZ_ARGV_ROOT
#define GH_FUZZ_ARGV_ROOT "tests/data"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Real command lines have a few dozen words; more only slows the fuzzer. */
#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        return 0;
    /* One copy of the bytes with a NUL after the last argument too. */
    char *text = malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    char *planned_argv[MAX_ARGS + 2];
    char *owned[MAX_ARGS + 2];
    int argc = 0, owned_count = 0;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    argv[argc++] = "ghiblify";
    for (size_t at = 0; at < size && argc <= MAX_ARGS;) {
        argv[argc++] = text + at;
        at += strlen(text + at) + 1;
    }
    argv[argc] = NULL;

    struct gh_cli_args args;
    int rc = gh_cli_parse(argc, argv, sink, sink, &args);
    if (rc != -1) {
        if (rc != 0 && rc != 2)
            abort(); /* the documented exit statuses */
        goto out;
    }
    if (args.first_input < 1 || args.first_input > argc)
        abort();
    /* getopt_long moved the inputs to the end of argv. */
    int n = 0;
    planned_argv[n++] = argv[0];
    for (int i = args.first_input; i < argc; i++) {
        const char *in = argv[i];
        if (strcmp(in, "-") == 0) {
            planned_argv[n++] = argv[i];
            continue;
        }
        if (in[0] == '/' || strstr(in, ".."))
            continue;
        size_t len = strlen(GH_FUZZ_ARGV_ROOT) + strlen(in) + 2;
        char *path = malloc(len);
        if (!path)
            goto out;
        snprintf(path, len, "%s/%s", GH_FUZZ_ARGV_ROOT, in);
        owned[owned_count++] = path;
        planned_argv[n++] = path;
    }
    planned_argv[n] = NULL;
    args.first_input = 1;
    struct gh_cli_items items = {0};
    rc = gh_cli_plan(&args, n, planned_argv, sink, &items);
    if (rc != -1 && rc != 2)
        abort();
    for (size_t i = 0; i < items.count; i++)
        if (rc == -1 && !items.item[i].error && !items.item[i].skip && !items.item[i].output)
            abort(); /* every runnable item has somewhere to go */
    gh_cli_items_free(&items);
out:
    for (int i = 0; i < owned_count; i++)
        free(owned[i]);
    free(text);
    return 0;
}

#include "replay.h"
