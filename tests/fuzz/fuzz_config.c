/* libFuzzer driver: the configuration file parser. */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    al_config cfg;
    char err[AL_CONFIG_ERR_MAX];
    if (al_config_defaults(&cfg) != 0)
        return 0;
    if (al_config_load_json(&cfg, (const char *)data, size, err) == 0)
        (void)al_config_check(&cfg, err);
    al_config_free(&cfg);
    return 0;
}
