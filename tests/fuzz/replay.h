/* The replay driver shared by the fuzz targets: without libFuzzer (GH_FUZZ_REPLAY),
 * each target becomes a program that feeds LLVMFuzzerTestOneInput every file
 * named on its command line, and every file of the directories named (one level
 * of subdirectories too), so ctest replays the seeds and the regression inputs.
 * Include it at the end of a fuzz target. */
#ifndef GH_FUZZ_REPLAY_H
#define GH_FUZZ_REPLAY_H
#ifdef GH_FUZZ_REPLAY
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        (void)fclose(f);
        return 0;
    }
    uint8_t *d = malloc(n > 0 ? (size_t)n : 1);
    size_t got = d ? fread(d, 1, (size_t)n, f) : 0;
    (void)fclose(f);
    if (d)
        LLVMFuzzerTestOneInput(d, got);
    free(d);
    return 1;
}

static int replay_path(const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;
    if (!S_ISDIR(sb.st_mode))
        return replay_file(path);
    if (depth > 1)
        return 0;
    DIR *dir = opendir(path);
    if (!dir)
        return 0;
    int count = 0;
    struct dirent *e;
    char sub[8192];
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.' ||
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub)
            continue;
        count += replay_path(sub, depth + 1);
    }
    closedir(dir);
    return count;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++)
        count += replay_path(argv[i], 0);
    printf("replayed %d inputs\n", count);
    return count > 0 ? 0 : 1;
}
#endif
#endif
