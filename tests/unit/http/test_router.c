/* Route matching: parameters, 404 and 405 with Allow. */
#include <string.h>

#include <criterion/criterion.h>

#include "http/router.h"

static void h(al_exchange *x)
{
    (void)x;
}

static const al_route routes[] = {
    {"GET", "/healthz", 0, h},          {"POST", "/v1/tenants", 1, h},
    {"GET", "/v1/tenants/{id}", 1, h},  {"PATCH", "/v1/partners/{id}", 2, h},
    {"GET", "/v1/partners/{id}", 2, h}, {"POST", "/v1/redemptions/{id}/capture", 2, h},
};
#define N (sizeof(routes) / sizeof(routes[0]))

static const al_route *find(const char *method, const char *path, al_exchange *x, int *status,
                            char *allow)
{
    memset(x, 0, sizeof(*x));
    x->method = method;
    strcpy(x->path, path);
    return al_route_find(routes, N, x, status, allow, 64);
}

Test(router, exact_and_parameters)
{
    al_exchange x;
    int status = 0;
    char allow[64];
    cr_expect_eq(find("GET", "/healthz", &x, &status, allow), &routes[0]);
    cr_expect_eq(find("GET", "/v1/tenants/acme", &x, &status, allow), &routes[2]);
    cr_expect_eq(x.nparams, 1);
    cr_expect_str_eq(x.params[0], "acme");
    cr_expect_eq(find("POST", "/v1/redemptions/r-1/capture", &x, &status, allow), &routes[5]);
    cr_expect_str_eq(x.params[0], "r-1");
}

Test(router, not_found)
{
    al_exchange x;
    int status = 0;
    char allow[64];
    static const char *const paths[] = {"/",
                                        "/healthz/",
                                        "/v1/tenants/",
                                        "/v1/tenants/a/b",
                                        "/v1/tenant",
                                        "/v1/redemptions/r/void",
                                        "//healthz",
                                        "/v1//capture"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        cr_expect_null(find("GET", paths[i], &x, &status, allow), "%s matched", paths[i]);
        cr_expect_eq(status, 404, "%s", paths[i]);
    }
}

Test(router, method_not_allowed_lists_allowed)
{
    al_exchange x;
    int status = 0;
    char allow[64];
    cr_expect_null(find("DELETE", "/v1/partners/p1", &x, &status, allow));
    cr_expect_eq(status, 405);
    cr_expect_str_eq(allow, "PATCH, GET");
    cr_expect_null(find("GET", "/v1/tenants", &x, &status, allow));
    cr_expect_eq(status, 405);
    cr_expect_str_eq(allow, "POST");
}
