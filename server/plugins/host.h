/*
 * The host side of the plugin ABI: the service table handed to every plugin,
 * and the checks of what a plugin hands back.
 */
#ifndef AL_PLUGIN_HOST_H
#define AL_PLUGIN_HOST_H

#include <stdbool.h>

#include <jansson.h>

#include "alliance/plugin.h"

/* The one service table; lives for the whole process. */
const alliance_host *al_plugin_host(void);

/* JSON values cross the boundary as alliance_json pointers. */
static inline const alliance_json *al_json_in(const json_t *v)
{
    return (const alliance_json *)v;
}

/* True when s is [a-z0-9_]{1,max_len}: plugin names and error codes. */
bool al_plugin_word_valid(const char *s, size_t max_len);

/*
 * Makes err safe to show: a NUL-terminated snake_case code (else
 * "plugin_error") and a NUL-terminated message.
 */
void al_plugin_error_sanitize(alliance_error *err);

#endif
