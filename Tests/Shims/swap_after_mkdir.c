// LD_PRELOAD shim for tests: plays an attacker who races a restore. Right
// after the process creates a folder named $STACKBACKUP_SHIM_SWAP_NAME (with
// mkdir or mkdirat), the folder is renamed to NAME.moved and a symlink NAME ->
// $STACKBACKUP_SHIM_SWAP_TO takes its place, once. A restore that reaches the
// folder's contents through a path string then writes through the symlink;
// one that opens it by descriptor with O_NOFOLLOW does not. Built by
// RestoreTargetSymlinkTests with `cc -shared -fPIC ... -ldl`.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int swapped;

static int matches(const char *path) {
    const char *name = getenv("STACKBACKUP_SHIM_SWAP_NAME");
    if (name == NULL || getenv("STACKBACKUP_SHIM_SWAP_TO") == NULL || swapped) return 0;
    const char *slash = strrchr(path, '/');
    return strcmp(slash ? slash + 1 : path, name) == 0;
}

static void swap_at(int dirfd, const char *path) {
    char moved[PATH_MAX];
    snprintf(moved, sizeof moved, "%s.moved", path);
    if (renameat(dirfd, path, dirfd, moved) == 0 && symlinkat(getenv("STACKBACKUP_SHIM_SWAP_TO"), dirfd, path) == 0) swapped = 1;
}

int mkdir(const char *path, mode_t mode) {
    static int (*real)(const char *, mode_t);
    if (real == NULL) real = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
    int rc = real(path, mode);
    if (rc == 0 && matches(path)) swap_at(AT_FDCWD, path);
    return rc;
}

int mkdirat(int dirfd, const char *path, mode_t mode) {
    static int (*real)(int, const char *, mode_t);
    if (real == NULL) real = (int (*)(int, const char *, mode_t))dlsym(RTLD_NEXT, "mkdirat");
    int rc = real(dirfd, path, mode);
    if (rc == 0 && matches(path)) swap_at(dirfd, path);
    return rc;
}
