/* The error envelope and the JSON escaping of log lines. */
#include <string.h>

#include <criterion/criterion.h>

#include "core/log.h"
#include "http/exchange.h"

Test(envelope, shape)
{
    json_t *e = al_error_envelope("insufficient_points", "needs 100, has 40");
    cr_assert(json_is_object(e));
    cr_expect_eq(json_object_size(e), 1);
    json_t *err = json_object_get(e, "error");
    cr_expect_eq(json_object_size(err), 2);
    cr_expect_str_eq(json_string_value(json_object_get(err, "code")), "insufficient_points");
    cr_expect_str_eq(json_string_value(json_object_get(err, "message")), "needs 100, has 40");
    char *text = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_expect_str_eq(
        text, "{\"error\":{\"code\":\"insufficient_points\",\"message\":\"needs 100, has 40\"}}");
    free(text);
    json_decref(e);
}

Test(envelope, message_with_quotes_stays_valid_json)
{
    json_t *e = al_error_envelope("invalid_json", "near '\"' and \\ and \n");
    char *text = json_dumps(e, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    cr_expect(back != NULL);
    json_decref(back);
    free(text);
    json_decref(e);
}

Test(log, json_escape)
{
    char buf[64];
    size_t n = al_json_escape(buf, 0, sizeof(buf), "a\"b\\c\n\x01");
    cr_expect_str_eq(buf, "a\\\"b\\\\c\\u000a\\u0001");
    cr_expect_eq(n, strlen(buf));
    /* Bytes outside printable ASCII, UTF-8 or not, are escaped: a log line stays ASCII. */
    al_json_escape(buf, 0, sizeof(buf), "/m/\xc3\xa9\x7f\xff\x1b[2J");
    cr_expect_str_eq(buf, "/m/\\u00c3\\u00a9\\u007f\\u00ff\\u001b[2J");
    /* Never overruns the buffer. */
    char small[8];
    n = al_json_escape(small, 0, sizeof(small), "\"\"\"\"\"\"\"\"");
    cr_expect_lt(n, sizeof(small));
}
