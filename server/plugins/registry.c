/* Plugin loading, reload and unloading; see registry.h. */
#include "plugins/registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "plugins/host.h"
#include "plugins/schema.h"

#define MAX_PLUGINS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards current and reloads */
static al_plugin_set *current;
static atomic_uint_fast64_t current_generation;
static char plugin_dir[1024];
static char copy_dir[256]; /* private copies, so a rebuilt file loads afresh */

static void refuse(json_t *refused, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(json_t *refused, const char *file, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    al_log(AL_LOG_ERROR, "plugin %s refused: %s", file, reason);
    json_array_append_new(refused, json_pack("{s:s,s:s}", "file", file, "reason", reason));
}

/* Copies src to a fresh file in copy_dir; dlopen of the copy cannot hit a cached handle. */
static int private_copy(const char *src, char *dst, size_t size)
{
    static atomic_uint counter;
    snprintf(dst, size, "%s/%u.so", copy_dir, atomic_fetch_add(&counter, 1));
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    if (n < 0)
        rc = -1;
    close(in);
    if (close(out) != 0)
        rc = -1;
    return rc;
}

/* Loads one file into p; on refusal logs, records and leaves nothing open. */
static int load_one(const char *file, al_plugin *p, const al_plugin_set *set, json_t *refused)
{
    char path[2048], copy[512];
    snprintf(path, sizeof(path), "%s/%s", plugin_dir, file);
    memset(p, 0, sizeof(*p));
    snprintf(p->file, sizeof(p->file), "%s", file);
    if (private_copy(path, copy, sizeof(copy)) != 0) {
        refuse(refused, file, "cannot read it: %s", strerror(errno));
        unlink(copy);
        return -1;
    }
    p->dl = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    unlink(copy); /* the mapping stays; the file is not needed any more */
    if (p->dl == NULL) {
        /* dlerror names the private copy; name the file the operator knows. */
        const char *why = dlerror();
        size_t cl = strlen(copy);
        if (why != NULL && strncmp(why, copy, cl) == 0 && why[cl] == ':')
            why += cl + 2;
        refuse(refused, file, "not a loadable shared object: %s", why ? why : "?");
        return -1;
    }
    alliance_plugin_entry_fn entry;
    *(void **)&entry = dlsym(p->dl, ALLIANCE_PLUGIN_ENTRY);
    const alliance_plugin *abi = entry ? entry() : NULL;
    if (abi == NULL) {
        refuse(refused, file, "not a plugin: no %s() or it returned NULL", ALLIANCE_PLUGIN_ENTRY);
        goto fail;
    }
    /* Version first: nothing else of the descriptor is read until it matches. */
    if (abi->abi_major != ALLIANCE_PLUGIN_ABI_MAJOR) {
        refuse(refused, file, "ABI major %u, this server speaks %u", abi->abi_major,
               ALLIANCE_PLUGIN_ABI_MAJOR);
        goto fail;
    }
    if (abi->abi_minor > ALLIANCE_PLUGIN_ABI_MINOR) {
        refuse(refused, file, "ABI %u.%u is newer than this server's %u.%u", abi->abi_major,
               abi->abi_minor, ALLIANCE_PLUGIN_ABI_MAJOR, ALLIANCE_PLUGIN_ABI_MINOR);
        goto fail;
    }
    if (abi->name == NULL || !al_plugin_word_valid(abi->name, ALLIANCE_NAME_MAX - 1)) {
        refuse(refused, file, "its name must match [a-z0-9_]{1,31}");
        goto fail;
    }
    const char *missing = abi->config_load == NULL   ? "config_load"
                          : abi->translate == NULL   ? "translate"
                          : abi->describe == NULL    ? "describe"
                          : abi->config_free == NULL ? "config_free"
                          : abi->version == NULL     ? "version"
                                                     : NULL;
    if (missing != NULL) {
        refuse(refused, file, "plugin %s has no %s", abi->name, missing);
        goto fail;
    }
    if (al_plugins_find(set, abi->name) != NULL) {
        refuse(refused, file, "a plugin named %s is already loaded", abi->name);
        goto fail;
    }
    const char *text = abi->describe();
    p->description = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(p->description)) {
        refuse(refused, file, "plugin %s: describe() is not a JSON object", abi->name);
        goto fail;
    }
    char why[200];
    /* From ABI 1.1 the fields are specs the host checks configs against. */
    if (abi->abi_minor >= 1 && !al_schema_valid(p->description, why, sizeof(why))) {
        refuse(refused, file, "plugin %s: describe(): %s", abi->name, why);
        goto fail;
    }
    p->abi = abi;
    return 0;
fail:
    if (p->description != NULL)
        json_decref(p->description);
    dlclose(p->dl);
    memset(p, 0, sizeof(*p));
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static al_plugin_set *load_dir(uint64_t generation)
{
    al_plugin_set *set = calloc(1, sizeof(*set));
    if (set == NULL)
        return NULL;
    set->generation = generation;
    atomic_init(&set->refs, 1);
    set->refused = json_array();
    set->plugins = calloc(MAX_PLUGINS, sizeof(al_plugin));
    if (set->refused == NULL || set->plugins == NULL) {
        json_decref(set->refused);
        free(set->plugins);
        free(set);
        return NULL;
    }
    DIR *d = opendir(plugin_dir);
    if (d == NULL) {
        al_log(AL_LOG_WARN, "plugin folder %s: %s; no plugins loaded", plugin_dir, strerror(errno));
        return set;
    }
    char *files[MAX_PLUGINS] = {0};
    size_t nfiles = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nfiles < MAX_PLUGINS) {
        size_t len = strlen(e->d_name);
        if (len > 3 && strcmp(e->d_name + len - 3, ".so") == 0 && e->d_name[0] != '.' &&
            (files[nfiles] = strdup(e->d_name)) != NULL)
            nfiles++;
    }
    closedir(d);
    qsort(files, nfiles, sizeof(files[0]), by_name); /* a fixed order: first name wins */
    for (size_t i = 0; i < nfiles; i++) {
        if (load_one(files[i], &set->plugins[set->n], set, set->refused) == 0)
            set->n++;
        free(files[i]);
    }
    return set;
}

static void free_set(al_plugin_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        json_decref(set->plugins[i].description);
        dlclose(set->plugins[i].dl);
    }
    if (set->generation > 0)
        al_log(AL_LOG_INFO, "plugin generation %llu unloaded (%zu plugins)",
               (unsigned long long)set->generation, set->n);
    json_decref(set->refused);
    free(set->plugins);
    free(set);
}

void al_plugins_release(al_plugin_set *set)
{
    if (set != NULL && atomic_fetch_sub(&set->refs, 1) == 1)
        free_set(set);
}

static void log_loaded(const al_plugin_set *set)
{
    char names[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < set->n && len < sizeof(names); i++) {
        const alliance_plugin *abi = set->plugins[i].abi; /* plugins[0..n) are loaded */
        if (abi != NULL)
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s %s", i ? ", " : "",
                                    abi->name, abi->version);
    }
    al_log(AL_LOG_INFO, "plugin generation %llu from %s: %zu loaded (%s), %zu refused",
           (unsigned long long)set->generation, plugin_dir, set->n, set->n ? names : "none",
           json_array_size(set->refused));
}

int al_plugins_init(const char *dir)
{
    snprintf(plugin_dir, sizeof(plugin_dir), "%s", dir);
    const char *tmp = getenv("TMPDIR");
    snprintf(copy_dir, sizeof(copy_dir), "%s/allianced-plugins-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(copy_dir) == NULL) {
        al_log(AL_LOG_ERROR, "cannot make a folder for plugin copies: %s", strerror(errno));
        return -1;
    }
    al_plugin_set *set = load_dir(1);
    if (set == NULL)
        return -1;
    log_loaded(set);
    pthread_mutex_lock(&lock);
    current = set;
    atomic_store(&current_generation, 1);
    pthread_mutex_unlock(&lock);
    return 0;
}

int al_plugins_reload(json_t **report)
{
    pthread_mutex_lock(&lock);
    al_plugin_set *set = current ? load_dir(current->generation + 1) : NULL;
    if (set == NULL) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    al_plugin_set *old = current;
    current = set;
    atomic_store(&current_generation, set->generation);
    if (report != NULL)
        *report = al_plugins_report(set);
    pthread_mutex_unlock(&lock);
    log_loaded(set);
    al_plugins_release(old); /* unloaded now, or when its last request ends */
    return 0;
}

al_plugin_set *al_plugins_acquire(al_plugin_set **cache)
{
    al_plugin_set *mine = *cache;
    if (mine == NULL || mine->generation != atomic_load(&current_generation)) {
        pthread_mutex_lock(&lock);
        al_plugin_set *fresh = current;
        if (fresh != NULL)
            atomic_fetch_add(&fresh->refs, 1);
        pthread_mutex_unlock(&lock);
        al_plugins_release(mine);
        *cache = mine = fresh;
        if (mine == NULL)
            return NULL;
    }
    atomic_fetch_add(&mine->refs, 1);
    return mine;
}

const al_plugin *al_plugins_find(const al_plugin_set *set, const char *name)
{
    for (size_t i = 0; set != NULL && i < set->n; i++)
        if (set->plugins[i].abi != NULL && strcmp(set->plugins[i].abi->name, name) == 0)
            return &set->plugins[i];
    return NULL;
}

json_t *al_plugins_report(const al_plugin_set *set)
{
    json_t *list = json_array();
    for (size_t i = 0; i < set->n; i++) {
        const al_plugin *p = &set->plugins[i];
        if (p->abi == NULL) /* never: plugins[0..n) are loaded */
            continue;
        char abi[32];
        snprintf(abi, sizeof(abi), "%u.%u", p->abi->abi_major, p->abi->abi_minor);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:O}", "name", p->abi->name,
                                              "version", p->abi->version, "abi", abi, "file",
                                              p->file, "description", p->description));
    }
    return json_pack("{s:I,s:o,s:O}", "generation", (json_int_t)set->generation, "plugins", list,
                     "refused", set->refused);
}

void al_plugins_shutdown(void)
{
    pthread_mutex_lock(&lock);
    al_plugin_set *set = current;
    current = NULL;
    pthread_mutex_unlock(&lock);
    al_plugins_release(set);
    if (copy_dir[0] != '\0')
        rmdir(copy_dir);
}
