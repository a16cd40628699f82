/* Per-op conformance: the ONNX project's own node tests (Debian package
 * libonnx-testdata) for every op and attribute we support. The list of tests
 * that run is tests/nn/conformance.txt; each must match its reference outputs
 * within |ours - ref| <= 1e-4 + 1e-4 * |ref| (integers: exactly).
 *
 * Usage: test_nn_conformance [test_name ...] runs the named tests instead of
 * the list and prints one PASS/FAIL line each (used to curate the list). */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"

#define TOL 1e-4

static const char *data_dir(void)
{
    const char *d = getenv("GH_ONNX_TESTDATA");
    return d ? d : "/usr/share/libonnx-testdata/data/node";
}

static int read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        (void)fclose(f);
        return 0;
    }
    *data = malloc(n > 0 ? (size_t)n : 1);
    *size = (size_t)n;
    int ok = *data && fread(*data, 1, *size, f) == *size;
    (void)fclose(f);
    if (!ok) {
        free(*data);
        *data = NULL;
    }
    return ok;
}

static int read_tensor(const char *path, struct gh_nn_tensor *t)
{
    unsigned char *data;
    size_t size;
    if (!read_file(path, &data, &size))
        return 0;
    enum gh_status st = gh_nn_tensor_read(data, size, t);
    free(data);
    if (st)
        fprintf(stderr, "%s: %s\n", path, gh_error_detail());
    return st == GH_OK;
}

/* Returns 1 if every data set of the test passes; prints why not. */
static int run_test(const char *name)
{
    char path[4096];
    struct gh_nn_model *m = NULL;
    int ok = 1, sets = 0;
    snprintf(path, sizeof path, "%s/%s/model.onnx", data_dir(), name);
    enum gh_status st = gh_nn_load_file(path, &m);
    if (st) {
        fprintf(stderr, "%s: load: %s: %s\n", name, gh_strerror(st), gh_error_detail());
        return 0;
    }
    int n_in = gh_nn_input_count(m), n_out = gh_nn_output_count(m);
    for (int set = 0; ok; set++) {
        struct gh_nn_tensor in[16], ref[16], out[16];
        memset(in, 0, sizeof in);
        memset(ref, 0, sizeof ref);
        memset(out, 0, sizeof out);
        snprintf(path, sizeof path, "%s/%s/test_data_set_%d/output_0.pb", data_dir(), name, set);
        FILE *probe = fopen(path, "rb");
        if (!probe)
            break;
        (void)fclose(probe);
        sets++;
        if (n_in > 16 || n_out > 16) {
            ok = 0;
            break;
        }
        for (int i = 0; i < n_in && ok; i++) {
            snprintf(path, sizeof path, "%s/%s/test_data_set_%d/input_%d.pb", data_dir(), name, set, i);
            ok = read_tensor(path, &in[i]);
        }
        for (int i = 0; i < n_out && ok; i++) {
            snprintf(path, sizeof path, "%s/%s/test_data_set_%d/output_%d.pb", data_dir(), name, set, i);
            ok = read_tensor(path, &ref[i]);
        }
        if (ok) {
            st = gh_nn_run_multi(m, n_in, in, n_out, out);
            if (st) {
                fprintf(stderr, "%s: run: %s: %s\n", name, gh_strerror(st), gh_error_detail());
                ok = 0;
            }
        }
        for (int i = 0; i < n_out && ok; i++) {
            if (out[i].ndim != ref[i].ndim || gh_nn_tensor_count(&out[i]) != gh_nn_tensor_count(&ref[i]) ||
                out[i].dtype != ref[i].dtype) {
                fprintf(stderr, "%s: output %d: shape or type differs (rank %d vs %d)\n", name, i, out[i].ndim,
                        ref[i].ndim);
                ok = 0;
                break;
            }
            for (int d = 0; d < out[i].ndim; d++)
                if (out[i].shape[d] != ref[i].shape[d]) {
                    fprintf(stderr, "%s: output %d: dim %d is %lld, expected %lld\n", name, i, d,
                            (long long)out[i].shape[d], (long long)ref[i].shape[d]);
                    ok = 0;
                }
            size_t n = gh_nn_tensor_count(&ref[i]);
            double worst = 0;
            for (size_t k = 0; k < n && ok; k++) {
                if (ref[i].dtype == GH_NN_I64) {
                    if (((int64_t *)out[i].data)[k] != ((int64_t *)ref[i].data)[k]) {
                        fprintf(stderr, "%s: output %d[%zu] = %lld, expected %lld\n", name, i, k,
                                (long long)((int64_t *)out[i].data)[k], (long long)((int64_t *)ref[i].data)[k]);
                        ok = 0;
                    }
                    continue;
                }
                double a = ((float *)out[i].data)[k], b = ((float *)ref[i].data)[k];
                if (isnan(a) && isnan(b))
                    continue;
                double err = fabs(a - b);
                if (isinf(b) && a == b)
                    err = 0;
                if (!(err <= TOL + TOL * fabs(b))) {
                    fprintf(stderr, "%s: output %d[%zu] = %.9g, expected %.9g\n", name, i, k, a, b);
                    ok = 0;
                }
                worst = err > worst ? err : worst;
            }
        }
        for (int i = 0; i < 16; i++) {
            gh_nn_tensor_release(&in[i]);
            gh_nn_tensor_release(&ref[i]);
            gh_nn_tensor_release(&out[i]);
        }
    }
    gh_nn_free(m);
    if (ok && sets == 0) {
        fprintf(stderr, "%s: no test data sets\n", name);
        ok = 0;
    }
    return ok;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int fails = 0;
        for (int i = 1; i < argc; i++) {
            int ok = run_test(argv[i]);
            printf("%s %s\n", ok ? "PASS" : "FAIL", argv[i]);
            fails += !ok;
        }
        return fails ? 1 : 0;
    }
    FILE *list = fopen(check_source_path("tests/nn/conformance.txt"), "r");
    CHECK_MSG(list != NULL, "cannot open tests/nn/conformance.txt");
    if (!list)
        return check_finish();
    char line[512];
    int count = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\r\n# ")] = 0;
        if (!line[0])
            continue;
        count++;
        CHECK_MSG(run_test(line), "node test %s", line);
    }
    (void)fclose(list);
    CHECK_MSG(count >= 150, "only %d node tests listed", count);
    printf("%d ONNX node tests\n", count);
    return check_finish();
}
