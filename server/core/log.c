/* JSON line logging; see log.h. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static al_log_level min_level = AL_LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void al_log_set_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            min_level = (al_log_level)i;
}

size_t al_json_escape(char *buf, size_t len, size_t size, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7];
        size_t n = 1;
        esc[0] = (char)c;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            n = 2;
        } else if (c < 0x20 || c >= 0x7f) {
            /* Every byte outside printable ASCII, valid UTF-8 or not: a line stays ASCII. */
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (len + n >= size)
            break;
        memcpy(buf + len, esc, n);
        len += n;
    }
    buf[len] = '\0';
    return len;
}

static size_t put_time(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
    int w = snprintf(buf + n, size - n, ".%06ldZ\"", ts.tv_nsec / 1000);
    return n + (w > 0 ? (size_t)w : 0);
}

static void emit(char *buf, size_t len, size_t size)
{
    if (len + 2 > size)
        len = size - 2;
    buf[len++] = '}';
    buf[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, buf, len);
    (void)ignored;
}

void al_log(al_log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    char line[2048];
    size_t n = put_time(line, sizeof(line));
    n += (size_t)snprintf(line + n, sizeof(line) - n, ",\"level\":\"%s\",\"msg\":\"",
                          level_names[level]);
    n = al_json_escape(line, n, sizeof(line) - 4, msg);
    line[n++] = '"';
    emit(line, n, sizeof(line));
}

void al_log_request(const char *request_id, const char *method, const char *path, int status,
                    int64_t micros, const char *tenant)
{
    if (AL_LOG_INFO < min_level)
        return;
    char line[2048];
    size_t n = put_time(line, sizeof(line));
    n += (size_t)snprintf(line + n, sizeof(line) - n, ",\"request_id\":\"");
    n = al_json_escape(line, n, sizeof(line) - 200, request_id);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"method\":\"");
    n = al_json_escape(line, n, sizeof(line) - 200, method);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"path\":\"");
    n = al_json_escape(line, n, sizeof(line) - 200, path);
    n += (size_t)snprintf(line + n, sizeof(line) - n,
                          "\",\"status\":%d,\"us\":%lld,\"tenant\":", status, (long long)micros);
    if (tenant == NULL) {
        n += (size_t)snprintf(line + n, sizeof(line) - n, "null");
    } else {
        line[n++] = '"';
        n = al_json_escape(line, n, sizeof(line) - 4, tenant);
        line[n++] = '"';
    }
    emit(line, n, sizeof(line));
}
