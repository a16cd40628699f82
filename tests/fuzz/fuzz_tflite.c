/* libFuzzer harness for the TFLite loader: every input gets the "TFL3" file
 * identifier patched in at offset 4 (so mutations exercise the flatbuffer
 * reader and the operator translation, not the ONNX path), is loaded with
 * gh_nn_load_memory_opts in both quantization modes (identity, then grid if
 * the first load worked) and each model that loads is run on a small NHWC input
 * (dynamic dimensions = 8, other dimensions up to 64). Anything may fail,
 * nothing may crash or leak.
 *
 * Built two ways (tests/CMakeLists.txt), like fuzz_onnx.c:
 * - always, with GH_FUZZ_REPLAY: a plain program replaying every file of the
 *   directories given (ctest fuzz.tflite_replay over tests/fuzz/tflite: seed
 *   models written by `test_nn_tflite_hostile --write-seeds DIR`, plus any
 *   crasher found, which becomes a regression file there);
 * - with -DGH_FUZZ=ON and clang: the libFuzzer target fuzz_tflite and a short
 *   smoke run (fuzz.tflite_smoke). Run longer by hand:
 *     build-fuzz/tests/fuzz_tflite -max_total_time=600 CORPUS_DIR tests/fuzz/tflite */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > (64u << 20))
        return 0;
    uint8_t *d = malloc(size);
    if (!d)
        return 0;
    memcpy(d, data, size);
    memcpy(d + 4, "TFL3", 4);
    for (int grid = 0; grid < 2; grid++) {
        struct gh_nn_model *m = NULL;
        struct gh_nn_load_options opts = {.quant_grid = grid};
        if (gh_nn_load_memory_opts(d, size, &opts, &m) != GH_OK)
            break;
        gh_nn_set_memory_limit(m, (size_t)256 << 20);
        struct gh_nn_tensor info;
        if (gh_nn_input_count(m) == 1 && gh_nn_input_info(m, 0, &info) == GH_OK && info.ndim >= 0 &&
            info.ndim <= 4) {
            size_t count = 1;
            for (int i = 0; i < info.ndim; i++) {
                if (info.shape[i] < 0)
                    info.shape[i] = 8;
                if (info.shape[i] > 64)
                    count = 0;
                count *= (size_t)info.shape[i];
            }
            float *x = count && count <= 16384 ? malloc(count * sizeof *x) : NULL;
            if (x) {
                for (size_t k = 0; k < count; k++)
                    x[k] = (float)(k % 7) * 0.25f - 0.5f;
                info.data = x;
                struct gh_nn_tensor y;
                if (gh_nn_run(m, &info, &y) == GH_OK)
                    gh_nn_tensor_release(&y);
                free(x);
            }
        }
        gh_nn_free(m);
    }
    free(d);
    return 0;
}

#include "replay.h"
