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
     * (GH_ERR_TOO_LARGE) well below the fuzzer's RSS limit. 32 MB, not more:
     * inputs here are at most 4096 values, and a 150 MB output (allowed under
     * 256 MB) took over 10 s under ASan (the 30-minute campaign's timeout,
     * tests/fuzz/regressions/large-output), 0.9 s without. */
    gh_nn_set_memory_limit(m, (size_t)32 << 20);
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

#include "replay.h"
