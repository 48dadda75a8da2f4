/*
 * cli_patch_name.c — writes a copy of a GGUF whose general.name string is overwritten in place
 * by NEW bytes of the same length (given as \xNN escapes), for the `mw info` escaping test.
 *   cli_patch_name IN.gguf OUT.gguf 'NEW'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: cli_patch_name IN OUT NEW\n"), 2;
    char name[256];
    size_t n = 0;
    for (const char *p = argv[3]; *p && n < sizeof name; n++)
        if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
            char hex[3] = { p[2], p[3], 0 };
            name[n] = (char)strtol(hex, NULL, 16);
            p += 4;
        } else {
            name[n] = *p++;
        }
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return perror(argv[1]), 1;
    /* on the heap, sized from the file: a 16 MiB static array passes the Emscripten build's
     * initial memory (wasm-ld: "initial memory too small"), and this also runs under node */
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *buf = size > 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)size) : NULL;
    size_t len = buf ? fread(buf, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!buf || len != (size_t)size) {
        free(buf);
        return fprintf(stderr, "cannot read %s\n", argv[1]), 1;
    }
    static const char key[] = "general.name";
    int status = 1;
    size_t i = 0;
    for (; i + sizeof key + 12 + n <= len; i++)
        if (memcmp(buf + i, key, sizeof key - 1) == 0 && buf[i + sizeof key - 1] == 8)
            break;
    if (i + sizeof key + 12 + n > len) {
        fprintf(stderr, "no general.name in %s\n", argv[1]);
    } else {
        unsigned char *len_at = buf + i + sizeof key - 1 + 4;   /* after the type (string) */
        if ((size_t)len_at[0] != n) {
            fprintf(stderr, "general.name is %u bytes, NEW is %zu\n", len_at[0], n);
        } else {
            memcpy(len_at + 8, name, n);
            FILE *o = fopen(argv[2], "wb");
            if (!o || fwrite(buf, 1, len, o) != len || fclose(o))
                perror(argv[2]);
            else
                status = 0;
        }
    }
    free(buf);   /* every exit frees it: the ASan stage runs this with leak detection */
    return status;
}
