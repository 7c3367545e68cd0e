/* Identifiers and secrets; see ids.h. */
#include "core/ids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static bool id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

bool al_id_valid(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= AL_ID_MAX || !id_char(s[n]))
            return false;
    return n > 0;
}

int al_parse_listen(const char *s, char *host, size_t host_size, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= host_size)
        return -1;
    const char *p = colon + 1;
    if (*p == '\0' || strlen(p) > 5)
        return -1;
    int v = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = v;
    return 0;
}

void al_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int al_random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof(raw) || RAND_bytes(raw, (int)nbytes) != 1)
        return -1;
    al_hex(raw, nbytes, out);
    return 0;
}

void al_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    al_hex(md, 32, out);
}

bool al_secret_equal(const char *a, const char *b)
{
    /* Hash both first so lengths and contents are compared in fixed time. */
    char ha[65], hb[65];
    al_sha256_hex(a, strlen(a), ha);
    al_sha256_hex(b, strlen(b), hb);
    return CRYPTO_memcmp(ha, hb, 64) == 0;
}

/* Reads n digits at s into *v; -1 when they are not digits. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int al_rfc3339_to_sql(const char *in, char out[27])
{
    int y, mo, d, h, mi, sec;
    if (strlen(in) < 20 || digits(in, 4, &y) || in[4] != '-' || digits(in + 5, 2, &mo) ||
        in[7] != '-' || digits(in + 8, 2, &d) || (in[10] != 'T' && in[10] != 't') ||
        digits(in + 11, 2, &h) || in[13] != ':' || digits(in + 14, 2, &mi) || in[16] != ':' ||
        digits(in + 17, 2, &sec))
        return -1;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days[mo - 1] || h > 23 || mi > 59 ||
        sec > 59 || (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return -1;
    const char *p = in + 19;
    char frac[7] = "000000";
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 6)
                frac[n] = *p;
        if (n == 0 || n > 6)
            return -1;
    }
    int offset_min = 0; /* the local time's offset from UTC */
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (offset_min != 0) { /* to UTC: the same instant, minus the offset */
        int64_t minutes = days_from_civil(y, mo, d) * 1440 + (int64_t)h * 60 + mi - offset_min;
        int64_t day = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440;
        int64_t rest = minutes - day * 1440;
        civil_from_days(day, &y, &mo, &d);
        h = (int)(rest / 60);
        mi = (int)(rest % 60);
        if (y < 1970 || y > 9999)
            return -1;
    }
    /* The values are in range (checked above); the casts let the compiler see it fits. */
    snprintf(out, 27, "%04u-%02u-%02u %02u:%02u:%02u.%s", (unsigned)y % 10000u, (unsigned)mo % 100u,
             (unsigned)d % 100u, (unsigned)h % 100u, (unsigned)mi % 100u, (unsigned)sec % 100u,
             frac);
    return 0;
}

void al_sql_to_rfc3339(const char *in, char out[AL_RFC3339_MAX])
{
    size_t n = strlen(in);
    if (n < 19 || in[10] != ' ' || (n > 19 && in[19] != '.') || n > 26) {
        snprintf(out, AL_RFC3339_MAX, "%s", in);
        return;
    }
    char frac[7] = "000000";
    if (n > 20)
        memcpy(frac, in + 20, n - 20);
    snprintf(out, AL_RFC3339_MAX, "%.10sT%.8s.%sZ", in, in + 11, frac);
}

uint32_t al_id_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

bool al_parse_int(const char *text, long long min, long long max, long long *out)
{
    const char *p = text + (*text == '-');
    if (*p < '0' || *p > '9')
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int64_t al_realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int al_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int64_t al_monotonic_ms(void)
{
    return al_monotonic_us() / 1000;
}

int64_t al_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec al_deadline_in_ms(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

int al_write_number_file(const char *path, long long value)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%lld\n", value);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int64_t al_sql_time_to_unix(const char *sql)
{
    struct tm tm = {0};
    if (sscanf(sql, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

void al_sql_now(char out[27])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 27, "%Y-%m-%d %H:%M:%S", &tm);
}

void al_unix_to_rfc3339(int64_t t, char out[AL_RFC3339_MAX])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, AL_RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int al_random_code(char *out, size_t len)
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; /* 31 */
    for (size_t i = 0; i < len; i++) {
        unsigned char byte = 0;
        do { /* 248 = 8 x 31: what is left over would favour the first characters */
            if (RAND_bytes(&byte, 1) != 1)
                return -1;
        } while (byte >= 248);
        out[i] = alphabet[byte % 31];
    }
    out[len] = '\0';
    return 0;
}
