/*
 * fuzz_replay.h — the standalone replay main for a fuzz target: runs LLVMFuzzerTestOneInput
 * on every file of fuzz/corpus/<name>/ (seeds, the minimized corpus and crash reproducers),
 * so ctest replays the corpus on every build without libFuzzer. Include after the target.
 */
#include <dirent.h>

#include "harness.h"

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s", dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        void *buf = test_read_file(path, &size);
        if (!buf)
            continue;   /* a subdirectory */
        LLVMFuzzerTestOneInput(buf, size);   /* a violated property traps */
        test_passed++;
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static int replay_main(const char *name, int min_files)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", MW_SOURCE_DIR, name);
    int n = replay_dir(dir);
    printf("replayed %d inputs from %s\n", n, dir);
    CHECK_MSG(n >= min_files, "only %d inputs in %s", n, dir);
    return TEST_REPORT();
}
