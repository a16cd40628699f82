/* Build step: writes ghiblify's man page and shell completions into DIR from
 * the option, stage, look and model tables (src/cli/docs.c), so they never
 * drift from --help.
 *   gen_docs DIR   ->  DIR/ghiblify.1 DIR/ghiblify.bash DIR/_ghiblify DIR/ghiblify.fish */
#include <stdio.h>

#include "ghiblify/cli.h"

int main(int argc, char **argv)
{
    static const char *const files[][2] = {
        {"man", "ghiblify.1"}, {"bash", "ghiblify.bash"}, {"zsh", "_ghiblify"}, {"fish", "ghiblify.fish"}};
    if (argc != 2) {
        fprintf(stderr, "usage: gen_docs DIR\n");
        return 2;
    }
    for (int i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], files[i][1]);
        FILE *f = fopen(path, "w");
        if (!f || gh_cli_write_docs(f, files[i][0]) || fclose(f)) {
            perror(path);
            return 1;
        }
    }
    return 0;
}
