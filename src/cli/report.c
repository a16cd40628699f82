/* --report and --dry-run: what became (or would become) of each input, in a
 * form scripts consume. JSON through cJSON (libcjson), never by hand: inputs
 * are file names, which may hold any byte but '\0' and '/'. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "ghiblify/cli.h"

static const char *outcome_name(enum gh_cli_outcome outcome)
{
    switch (outcome) {
    case GH_CLI_DONE:
        return "done";
    case GH_CLI_SKIPPED:
        return "skipped";
    case GH_CLI_STOPPED:
        return "stopped";
    default:
        return "failed";
    }
}

/* A size as [width, height], or null where the item did not get that far. */
static cJSON *size_or_null(int w, int h)
{
    if (w <= 0 || h <= 0)
        return cJSON_CreateNull();
    const int v[2] = {w, h};
    return cJSON_CreateIntArray(v, 2);
}

double gh_cli_peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

char *gh_cli_report_line(const struct gh_cli_item *item, enum gh_cli_outcome outcome, const char *message,
                         double seconds, const struct gh_cli_result *result, double peak_rss_mb)
{
    cJSON *o = cJSON_CreateObject(), *steps = NULL;
    char *text = NULL;
    if (!o)
        return NULL;
    int ok = cJSON_AddStringToObject(o, "input", item->input) != NULL;
    ok &= (item->output ? cJSON_AddStringToObject(o, "output", item->output)
                        : cJSON_AddNullToObject(o, "output")) != NULL;
    ok &= cJSON_AddStringToObject(o, "status", outcome_name(outcome)) != NULL;
    ok &= (outcome == GH_CLI_DONE || !message ? cJSON_AddNullToObject(o, "error")
                                               : cJSON_AddStringToObject(o, "error", message)) != NULL;
    ok &= cJSON_AddItemToObject(o, "input_size", size_or_null(result ? result->in_width : 0,
                                                              result ? result->in_height : 0));
    ok &= cJSON_AddItemToObject(o, "output_size", size_or_null(result ? result->out_width : 0,
                                                               result ? result->out_height : 0));
    ok &= cJSON_AddNumberToObject(o, "output_bytes", result ? (double)result->out_bytes : 0) != NULL;
    ok &= cJSON_AddNumberToObject(o, "seconds", seconds) != NULL;
    ok &= (steps = cJSON_AddObjectToObject(o, "steps")) != NULL;
    for (int i = 0; ok && result && i < result->steps; i++)
        ok &= cJSON_AddNumberToObject(steps, result->step_name[i], result->step_seconds[i]) != NULL;
    ok &= cJSON_AddNumberToObject(o, "peak_rss_mb", peak_rss_mb) != NULL;
    if (ok)
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

enum gh_cli_plan_kind gh_cli_dry_run_kind(const struct gh_cli_config *config, const struct gh_cli_item *item,
                                          const char **why)
{
    struct stat sb;
    if (item->error) {
        *why = item->error;
        return GH_CLI_PLAN_REFUSE;
    }
    if (item->skip) {
        *why = item->skip;
        return GH_CLI_PLAN_SKIP;
    }
    if (strcmp(item->output, "-") != 0 && config->existing != GH_EXISTING_OVERWRITE && lstat(item->output, &sb) == 0) {
        *why = config->existing == GH_EXISTING_SKIP ? "output exists" : "output exists (use --overwrite)";
        return config->existing == GH_EXISTING_SKIP ? GH_CLI_PLAN_SKIP : GH_CLI_PLAN_REFUSE;
    }
    *why = NULL;
    return GH_CLI_PLAN_WRITE;
}
