/* libFuzzer harness for the ONNX loader and executor: load the bytes as a
 * model and, if that works, run it on small inputs of the declared shapes
 * (dynamic dimensions = 3). Anything may fail, nothing may crash or leak.
 *
 * Built two ways (tests/CMakeLists.txt):
 * - always, with GH_FUZZ_REPLAY: a plain program that feeds every file in the
 *   directories given (recursively one level: dir/x or dir/sub/x) through the
 *   harness; ctest runs it over tests/fuzz/regressions (crashers found so far)
 *   and the ONNX node-test models;
 * - with -DGH_FUZZ=ON and clang: the libFuzzer target fuzz_onnx, plus a short
 *   ctest smoke run (fuzz.onnx_smoke). Run longer by hand:
 *     build-fuzz/tests/fuzz_onnx -max_total_time=600 CORPUS_DIR /usr/share/libonnx-testdata/data/node */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gh_nn_model *m = NULL;
    if (gh_nn_load_memory(data, size, &m) != GH_OK)
        return 0;
    /* A valid file can still ask for gigabytes of activations; that is refused
     * (GH_ERR_TOO_LARGE) below the fuzzer's RSS limit. */
    gh_nn_set_memory_limit(m, (size_t)256 << 20);
    int n_in = gh_nn_input_count(m), n_out = gh_nn_output_count(m);
    struct gh_nn_tensor in[8], out[8];
    memset(in, 0, sizeof in);
    if (n_in > 8 || n_out > 8)
        goto out;
    for (int i = 0; i < n_in; i++) {
        if (gh_nn_input_info(m, i, &in[i]) != GH_OK)
            goto out;
        if (in[i].ndim < 0) /* unknown rank: try a small image-like tensor */
            in[i].ndim = 4;
        size_t count = 1;
        for (int d = 0; d < in[i].ndim; d++) {
            if (in[i].shape[d] < 0 || in[i].shape[d] > 64)
                in[i].shape[d] = 3;
            count *= (size_t)in[i].shape[d];
        }
        if (count > 4096)
            goto out;
        in[i].data = calloc(count ? count : 1, 8);
        if (!in[i].data)
            goto out;
        for (size_t k = 0; k < count; k++) {
            if (in[i].dtype == GH_NN_F32)
                ((float *)in[i].data)[k] = (float)(k % 7) * 0.25f - 0.5f;
            else
                ((int64_t *)in[i].data)[k] = (int64_t)(k % 3);
        }
    }
    if (gh_nn_run_multi(m, n_in, in, n_out, out) == GH_OK)
        for (int i = 0; i < n_out; i++)
            gh_nn_tensor_release(&out[i]);
out:
    for (int i = 0; i < 8; i++)
        free(in[i].data);
    gh_nn_free(m);
    return 0;
}

#ifdef GH_FUZZ_REPLAY
#include <dirent.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(n > 0 ? (size_t)n : 1);
    size_t got = d ? fread(d, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    fclose(f);
    if (d)
        LLVMFuzzerTestOneInput(d, got);
    free(d);
    return 1;
}

static int run_path(const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;
    if (!S_ISDIR(sb.st_mode))
        return run_file(path);
    if (depth > 1)
        return 0;
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    int count = 0;
    struct dirent *e;
    char sub[8192];
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.' || strlen(path) + strlen(e->d_name) + 2 > sizeof sub)
            continue;
        strcpy(sub, path);
        strcat(sub, "/");
        strcat(sub, e->d_name);
        count += run_path(sub, depth + 1);
    }
    closedir(dir);
    return count;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++)
        count += run_path(argv[i], 0);
    printf("replayed %d inputs\n", count);
    return count > 0 ? 0 : 1;
}
#endif
