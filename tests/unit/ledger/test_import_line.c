/* One line of a history import (ledger/import_line.c): what is taken, what is refused. */
#include <string.h>

#include <criterion/criterion.h>

#include "ledger/import_line.h"

static int parse(const char *text, al_import_line *l, const char **code)
{
    char message[160];
    return al_import_parse_line(text, strlen(text), l, code, message, sizeof(message));
}

Test(import_line, a_whole_line)
{
    al_import_line l;
    const char *code = NULL;
    cr_assert_eq(parse("{\"id\":\"t1\",\"partner\":\"bank\",\"member\":\"alice\","
                       "\"occurred_at\":\"2026-03-01T10:00:00Z\",\"amount_minor\":12345,"
                       "\"points\":123,\"currency\":\"EUR\"}",
                       &l, &code),
                 0);
    cr_expect_str_eq(l.id, "t1");
    cr_expect_str_eq(l.partner, "bank");
    cr_expect_str_eq(l.member, "alice");
    cr_expect_str_eq(l.occurred_at, "2026-03-01 10:00:00.000000");
    cr_expect_eq(l.amount_minor, 12345);
    cr_expect_eq(l.points, 123);
    cr_expect_str_eq(l.currency, "EUR");
    cr_assert_eq(parse("{\"id\":\"t2\",\"partner\":\"bank\",\"member\":\"bob\","
                       "\"occurred_at\":\"2026-03-01T10:00:00Z\",\"amount_minor\":0,"
                       "\"points\":0}",
                       &l, &code),
                 0);
    cr_expect_str_eq(l.currency, "", "the partner's currency, filled in later");
}

Test(import_line, refusals_have_stable_codes)
{
    static const struct {
        const char *text, *code;
    } cases[] = {
        {"not json", "invalid_json"},
        {"[1]", "invalid_json"},
        {"{\"id\":\"t\",\"id\":\"u\"}", "invalid_json"},
        {"{\"extra\":1}", "unknown_field"},
        {"{\"partner\":\"p\",\"member\":\"m\",\"occurred_at\":\"2026-03-01T10:00:00Z\","
         "\"amount_minor\":1,\"points\":1}",
         "missing_field"},
        {"{\"id\":\"a "
         "b\",\"partner\":\"p\",\"member\":\"m\",\"occurred_at\":\"2026-03-01T10:00:00Z\","
         "\"amount_minor\":1,\"points\":1}",
         "invalid_field"},
        {"{\"id\":\"t\",\"partner\":\"p\",\"member\":\"m\",\"occurred_at\":\"yesterday\","
         "\"amount_minor\":1,\"points\":1}",
         "invalid_field"},
        {"{\"id\":\"t\",\"partner\":\"p\",\"member\":\"m\",\"occurred_at\":\"2026-03-01T10:00:"
         "00Z\","
         "\"amount_minor\":-1,\"points\":1}",
         "invalid_field"},
        {"{\"id\":\"t\",\"partner\":\"p\",\"member\":\"m\",\"occurred_at\":\"2026-03-01T10:00:"
         "00Z\","
         "\"amount_minor\":1,\"points\":1.5}",
         "invalid_field"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        al_import_line l;
        const char *code = NULL;
        cr_expect_eq(parse(cases[i].text, &l, &code), -1, "%s", cases[i].text);
        cr_expect_str_eq(code ? code : "(none)", cases[i].code, "%s", cases[i].text);
    }
}
