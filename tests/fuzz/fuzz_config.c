/* libFuzzer harness for --config's reader (gh_cli_config_parse, src/cli/config.c):
 * the bytes are a config file's text. Whatever they hold, the reader returns
 * GH_OK or a one-line error, and the pipeline it fills stays within every
 * parameter's range (checked here: a value the command line would refuse must
 * never come in through a file).
 *
 * Built like fuzz_onnx.c: fuzz_config_replay always, replayed by ctest over
 * tests/fuzz/config (a --print-config output and hand-made bad files); with
 * -DGH_FUZZ=ON the libFuzzer target fuzz_config and its smoke run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gh_cli_config config;
    memset(&config, 0, sizeof config);
    gh_pipeline_init(&config.pipeline);
    if (gh_cli_config_parse("fuzz.json", (const char *)data, size, &config) == GH_OK) {
        int count;
        const struct gh_stage_def *const *stages = gh_stages_table(&count);
        for (int s = 0; s < count; s++)
            for (int k = 0; k < stages[s]->param_count; k++) {
                const struct gh_param_def *p = &stages[s]->params[k];
                double v = gh_pipeline_get(&config.pipeline, stages[s]->name, p->name);
                int ok = p->type == GH_PARAM_ENUM ? v >= 0 && p->choices[(int)v] : v >= p->min && v <= p->max;
                if (!ok) {
                    fprintf(stderr, "%s.%s out of range after a successful read: %g\n", stages[s]->name,
                            p->name, v);
                    abort();
                }
            }
        if (config.seed > 2147483647ul)
            abort();
    } else if (!strchr(gh_error_detail(), ':') || strchr(gh_error_detail(), '\n')) {
        fprintf(stderr, "error detail is not one line naming the file: %s\n", gh_error_detail());
        abort();
    }
    return 0;
}

#include "replay.h"
