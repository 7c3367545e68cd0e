/*
 * GET /v1/openapi.json (anyone): the API's contract, docs/openapi.json,
 * built into the binary (cmake/embed.cmake) so what a server answers is the
 * document of its own version.
 */
#include <stddef.h>

#include "api/routes.h"

extern const char al_openapi_json[];
extern const size_t al_openapi_json_len;

void al_api_openapi(al_exchange *x)
{
    al_reply_text(x, 200, "application/json", al_openapi_json, al_openapi_json_len);
}
