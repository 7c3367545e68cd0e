/* Time zones from TZif files; see tz.h. */
#include "core/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZIF_MAX (1 << 20) /* no zone file comes near */

struct al_tz {
    char name[AL_TZ_NAME_MAX + 1];
    int64_t *at;     /* transition times, ascending */
    int32_t *offset; /* the offset from each transition on */
    size_t n;
    int32_t before; /* the offset before the first transition */
    struct al_tz *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static al_tz *zones;

bool al_tz_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > AL_TZ_NAME_MAX || name[0] == '/' || name[0] == '.' || strstr(name, ".."))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '+' || *c == '-' || *c == '/'))
            return false;
    return true;
}

static int64_t be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    if (bytes == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* The counts of a TZif header at p: isut, isstd, leap, time, type, char. */
static void counts(const unsigned char *p, int64_t c[6])
{
    for (int i = 0; i < 6; i++)
        c[i] = be(p + 20 + (size_t)4 * (size_t)i, 4);
}

static size_t block_len(const int64_t c[6], int tbytes)
{
    return (size_t)(c[3] * tbytes + c[3] + c[4] * 6 + c[5] + c[2] * (tbytes + 4) + c[1] + c[0]);
}

/* Parses a TZif file's 64-bit data (version 2 and later) into z; 0 or -1. */
static int parse(const unsigned char *d, size_t len, al_tz *z)
{
    int64_t c[6];
    if (len < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
        return -1;
    counts(d, c);
    for (int i = 0; i < 6; i++)
        if (c[i] < 0 || c[i] > 100000)
            return -1;
    size_t v2 = 44 + block_len(c, 4);
    if (v2 + 44 > len || memcmp(d + v2, "TZif", 4) != 0)
        return -1;
    counts(d + v2, c);
    for (int i = 0; i < 6; i++)
        if (c[i] < 0 || c[i] > 100000)
            return -1;
    const unsigned char *p = d + v2 + 44;
    if (v2 + 44 + block_len(c, 8) > len || c[4] < 1)
        return -1;
    const unsigned char *times = p, *idx = p + c[3] * 8, *types = idx + c[3];
    z->n = (size_t)c[3];
    z->at = calloc(z->n ? z->n : 1, sizeof(*z->at));
    z->offset = calloc(z->n ? z->n : 1, sizeof(*z->offset));
    if (z->at == NULL || z->offset == NULL)
        return -1;
    for (size_t i = 0; i < z->n; i++) {
        if (idx[i] >= c[4])
            return -1;
        z->at[i] = be(times + 8 * i, 8);
        z->offset[i] = (int32_t)be(types + (size_t)6 * idx[i], 4);
    }
    /* Before the first transition: the first standard-time type (RFC 8536 3.2). */
    z->before = (int32_t)be(types, 4);
    for (int64_t t = 0; t < c[4]; t++)
        if (types[6 * t + 4] == 0) {
            z->before = (int32_t)be(types + 6 * t, 4);
            break;
        }
    return 0;
}

static al_tz *load(const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *d = malloc(TZIF_MAX);
    size_t len = d ? fread(d, 1, TZIF_MAX, f) : 0;
    fclose(f);
    al_tz *z = calloc(1, sizeof(*z));
    if (d == NULL || z == NULL || parse(d, len, z) != 0) {
        if (z != NULL) {
            free(z->at);
            free(z->offset);
        }
        free(z);
        free(d);
        return NULL;
    }
    free(d);
    snprintf(z->name, sizeof(z->name), "%s", name);
    return z;
}

const al_tz *al_tz_get(const char *name)
{
    if (name == NULL || !al_tz_name_valid(name))
        return NULL;
    pthread_mutex_lock(&lock);
    al_tz *z = zones;
    while (z != NULL && strcmp(z->name, name) != 0)
        z = z->next;
    if (z == NULL && (z = load(name)) != NULL) {
        z->next = zones;
        zones = z;
    }
    pthread_mutex_unlock(&lock);
    return z;
}

int32_t al_tz_offset(const al_tz *tz, int64_t t)
{
    if (tz == NULL || tz->n == 0 || t < tz->at[0])
        return tz ? tz->before : 0;
    size_t lo = 0, hi = tz->n; /* the last transition at or before t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offset[lo];
}

int64_t al_tz_local(const al_tz *tz, int64_t t)
{
    return t + al_tz_offset(tz, t);
}

int32_t al_tz_day(const al_tz *tz, int64_t t)
{
    int64_t local = al_tz_local(tz, t);
    return (int32_t)((local - (local < 0 ? 86399 : 0)) / 86400);
}

int64_t al_tz_utc(const al_tz *tz, int64_t local_s)
{
    int64_t t = local_s - al_tz_offset(tz, local_s);
    return local_s - al_tz_offset(tz, t);
}

void al_tz_free_all(void)
{
    pthread_mutex_lock(&lock);
    while (zones != NULL) {
        al_tz *z = zones;
        zones = z->next;
        free(z->at);
        free(z->offset);
        free(z);
    }
    pthread_mutex_unlock(&lock);
}
