/*
 * A plugin's self-description (describe(), ABI 1.1): each field of "config"
 * and "data" is a spec {"type", "required", "min", "max", "default",
 * "description"}, type one of string, integer, number, boolean, currency (an
 * ISO 4217 code), object, array. The loader checks the specs; the host checks
 * a partner's config against them before the plugin sees it, so a config the
 * host would refuse later (a currency "cny") is refused at once, naming the
 * field.
 */
#ifndef AL_PLUGIN_SCHEMA_H
#define AL_PLUGIN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Whether description's field specs are well formed; else why, naming the field. */
bool al_schema_valid(const json_t *description, char *why, size_t why_size);

/*
 * Checks config against description's "config" specs: 0, or -1 with a stable
 * code (missing_field, invalid_field) and a message naming the field as
 * config.<name>.
 */
int al_schema_check_config(const json_t *description, const json_t *config, char code[64],
                           char *message, size_t message_size);

#endif
