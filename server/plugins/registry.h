/*
 * Loaded plugins. A plugin set is one generation: every plugin loaded from the
 * plugin folder at start or at a reload, immutable once published. A request
 * holds a reference on the set it started with, so a reload never pulls a
 * plugin from under it; the old set is unloaded (dlclose) when its last user
 * lets go.
 *
 * Loading follows one order and undoes itself on any failure: check the file
 * -> dlopen(RTLD_NOW|RTLD_LOCAL) -> dlsym -> check the version, then the rest
 * -> describe -> publish. A refused file gets one log line and a dlclose.
 */
#ifndef AL_PLUGIN_REGISTRY_H
#define AL_PLUGIN_REGISTRY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alliance/plugin.h"

typedef struct al_plugin {
    char file[256];             /* its file name in the plugin folder */
    void *dl;                   /* dlopen handle */
    const alliance_plugin *abi; /* the plugin's descriptor */
    json_t *description;        /* describe(), parsed */
} al_plugin;

typedef struct al_plugin_set {
    uint64_t generation;
    atomic_int refs;
    size_t n;
    al_plugin *plugins;
    json_t *refused; /* [{"file","reason"}] */
} al_plugin_set;

/* Loads the folder as generation 1. Bad plugins are refused, never fatal. */
int al_plugins_init(const char *dir);

/* Loads the folder again and publishes it; *report (may be NULL) says what happened. */
int al_plugins_reload(json_t **report);

/*
 * The current set with a reference for the caller. cache is a per-thread slot
 * (a worker's): the shared lock is taken only when a reload has published a
 * newer set, never on the ordinary request path.
 */
al_plugin_set *al_plugins_acquire(al_plugin_set **cache);

/* Drops a reference; the last one unloads the set. NULL is fine. */
void al_plugins_release(al_plugin_set *set);

/* The plugin called name in set, or NULL. */
const al_plugin *al_plugins_find(const al_plugin_set *set, const char *name);

/* A JSON report of a set: {"generation","plugins":[...],"refused":[...]}. */
json_t *al_plugins_report(const al_plugin_set *set);

/* Releases the current set (at exit). */
void al_plugins_shutdown(void);

#endif
