// LD_PRELOAD shim for tests: readdir()/readdir64() on one chosen folder return,
// after its real entries, two names no file system holds: "../escaped" and
// "a/../../x" — what a broken or hostile file system (or FUSE server) could
// return. The folder is the one whose path (as /proc/self/fd shows it) equals
// $STACKBACKUP_SHIM_READDIR_DIR. Built by HostileReaddirTests with
// `cc -shared -fPIC -o hostile_readdir.so hostile_readdir.c -ldl`.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *extra_names[] = {"../escaped", "a/../../x"};
enum { extra_count = 2, max_streams = 64 };

// Per open stream: how many extra names it has returned (reset by rewinddir and closedir).
static struct { DIR *dir; int returned; } streams[max_streams];

static int *returned_for(DIR *dir) {
    for (int i = 0; i < max_streams; i++) if (streams[i].dir == dir) return &streams[i].returned;
    for (int i = 0; i < max_streams; i++) {
        if (streams[i].dir == NULL) {
            streams[i].dir = dir;
            streams[i].returned = 0;
            return &streams[i].returned;
        }
    }
    return NULL;
}

static void forget(DIR *dir) {
    for (int i = 0; i < max_streams; i++) if (streams[i].dir == dir) streams[i].dir = NULL;
}

static int is_chosen(DIR *dir) {
    const char *chosen = getenv("STACKBACKUP_SHIM_READDIR_DIR");
    if (chosen == NULL) return 0;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd(dir));
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return 0;
    path[n] = 0;
    return strcmp(path, chosen) == 0;
}

// The next extra name for `dir`, or NULL once they are all out (or for another folder).
static const char *next_extra(DIR *dir) {
    if (!is_chosen(dir)) return NULL;
    int *returned = returned_for(dir);
    if (returned == NULL || *returned >= extra_count) return NULL;
    return extra_names[(*returned)++];
}

struct dirent *readdir(DIR *dir) {
    static struct dirent *(*real)(DIR *);
    static struct dirent fake;
    if (real == NULL) real = (struct dirent *(*)(DIR *))dlsym(RTLD_NEXT, "readdir");
    struct dirent *entry = real(dir);
    if (entry != NULL) return entry;
    const char *name = next_extra(dir);
    if (name == NULL) return NULL;
    memset(&fake, 0, sizeof fake);
    fake.d_ino = 4242;
    fake.d_type = DT_REG;
    strncpy(fake.d_name, name, sizeof fake.d_name - 1);
    return &fake;
}

struct dirent64 *readdir64(DIR *dir) {
    static struct dirent64 *(*real)(DIR *);
    static struct dirent64 fake;
    if (real == NULL) real = (struct dirent64 *(*)(DIR *))dlsym(RTLD_NEXT, "readdir64");
    struct dirent64 *entry = real(dir);
    if (entry != NULL) return entry;
    const char *name = next_extra(dir);
    if (name == NULL) return NULL;
    memset(&fake, 0, sizeof fake);
    fake.d_ino = 4242;
    fake.d_type = DT_REG;
    strncpy(fake.d_name, name, sizeof fake.d_name - 1);
    return &fake;
}

void rewinddir(DIR *dir) {
    static void (*real)(DIR *);
    if (real == NULL) real = (void (*)(DIR *))dlsym(RTLD_NEXT, "rewinddir");
    int *returned = returned_for(dir);
    if (returned != NULL) *returned = 0;
    real(dir);
}

int closedir(DIR *dir) {
    static int (*real)(DIR *);
    if (real == NULL) real = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
    forget(dir);
    return real(dir);
}
