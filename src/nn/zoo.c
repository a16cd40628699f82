/* The built-in generators as data. Files, sha256 and URLs come from
 * models.def (shared with CMake and tools/fetch-models.sh); what each model is,
 * who made it, its license and the contract it was trained with are here. */
#include <pthread.h>
#include <string.h>

#include "nn/nn_internal.h"

struct about {
    const char *name, *style, *source, *license;
    int multiple, bgr, quant_grid, working_size;
};

static const char nc_animegan[] = "non-commercial use only (research, teaching, publications); "
                                  "commercial use needs the author's permission";

/* Contracts: AnimeGANv3 has three stride-2 levels and three 2x upsamples, so
 * H and W must be multiples of 8; AnimeGANv2 and White-box need 4
 * (tools/tflite-quant-reference --info). White-box was trained (and its int8
 * file calibrated) on BGR input: fed RGB it kept the photo's blue skies and
 * lost its flat warm palette (12-18 levels apart, tools/notes-quant.md).
 * Quantized activations run as float (quant_grid 0) for every file: on the
 * int8 grids AnimeGANv2 clips highlights above 230/255, caps its output at
 * 216/255 and turns pink; White-box's grid gave stray pixels; the int8
 * Hayao's softmax underflows to NaN above about 64x64. AnimeGANv2, exported
 * at 256x256, looked best at a working long side of 512 (crude at 256, close
 * to the photo at 1024), so that is its default --size. */
static const struct about about[] = {
    {"hayao", "AnimeGANv3, Hayao Miyazaki (Studio Ghibli) style; the default",
     "Xin Chen (TachibanaYoshino/AnimeGANv3), float16 TFLite export", nc_animegan, 8, 0, 0, 0},
    {"hayao-int8", "the same AnimeGANv3 Hayao network, int8-quantized (uint8 in/out)",
     "Xin Chen (TachibanaYoshino/AnimeGANv3), full-integer TFLite export", nc_animegan, 8, 0, 0, 0},
    {"hayao-v2", "AnimeGANv2, Hayao style: soft outlines, a green-teal cast (shifts hues; best on foliage)",
     "TachibanaYoshino/AnimeGANv2, int8 TFLite by the PINTO model zoo (256x256 export)",
     "non-commercial use only (research, teaching, publications)", 4, 0, 0, 512},
    {"shinkai", "AnimeGANv3, Makoto Shinkai style: crisp, deep contrast, natural colors",
     "Xin Chen (TachibanaYoshino/AnimeGANv3), float16 ONNX export (opset 9)", nc_animegan, 8, 0, 0, 0},
    {"whitebox", "White-box Cartoonization (CVPR 2020): flat pastel cartoon, clean edges (portraits)",
     "Xinrui Wang and Jinze Yu (SystemErrorWang/White-box-Cartoonization), dynamic-range TFLite",
     "CC BY-NC-SA 4.0 (no commercial use, share alike)", 4, 1, 0, 0},
    {"whitebox-int8", "White-box Cartoonization, full-integer int8",
     "Xinrui Wang and Jinze Yu (SystemErrorWang/White-box-Cartoonization), int8 TFLite",
     "CC BY-NC-SA 4.0 (no commercial use, share alike)", 4, 1, 0, 0},
};

static struct gh_nn_builtin table[sizeof about / sizeof *about];
static int table_count;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

struct file {
    const char *name, *file, *sha256, *url;
};

static const struct file files[] = {
#define GH_MODEL_FILE(name, file, sha256, url) {name, file, sha256, url},
#include "nn/models.def"
#undef GH_MODEL_FILE
};

static void table_init(void)
{
    for (size_t i = 0; i < sizeof about / sizeof *about; i++) {
        struct gh_nn_builtin *b = &table[table_count];
        const struct file *f = NULL;
        for (size_t k = 0; k < sizeof files / sizeof *files && !f; k++)
            if (strcmp(files[k].name, about[i].name) == 0)
                f = &files[k];
        if (!f)
            continue; /* a description without a file: models.def is the authority */
        *b = (struct gh_nn_builtin){about[i].name, about[i].style, f->file, f->sha256, f->url,
                                    about[i].source, about[i].license, about[i].multiple,
                                    about[i].bgr, about[i].quant_grid, about[i].working_size,
                                    NULL, 0};
        gh_nn_embedded_find(b->name, &b->data, &b->size);
        table_count++;
    }
}

int gh_nn_builtin_count(void)
{
    pthread_once(&table_once, table_init);
    return table_count;
}

const struct gh_nn_builtin *gh_nn_builtin_at(int i)
{
    return i >= 0 && i < gh_nn_builtin_count() ? &table[i] : NULL;
}

const struct gh_nn_builtin *gh_nn_builtin_find(const char *name)
{
    for (int i = 0; i < gh_nn_builtin_count(); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

enum gh_status gh_nn_builtin_load(const struct gh_nn_builtin *b, struct gh_nn_model **out)
{
    *out = NULL;
    if (!b->data)
        return gh_error(GH_ERR_MODEL,
                        "built-in model '%s' (%s) is not in this build: run tools/fetch-models.sh "
                        "and rebuild, or pass --model FILE",
                        b->name, b->file);
    struct gh_nn_load_options opts = {.quant_grid = b->quant_grid};
    enum gh_status st = gh_nn_load_memory_opts(b->data, b->size, &opts, out);
    if (st != GH_OK)
        return gh_error_prefix(st, b->name);
    gh_nn_set_bgr(*out, b->bgr);
    return GH_OK;
}

void gh_nn_set_bgr(struct gh_nn_model *model, int bgr)
{
    if (model)
        model->bgr = bgr != 0;
}
