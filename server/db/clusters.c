/* The database clusters; see clusters.h. */
#include "db/clusters.h"

#include <stdio.h>
#include <string.h>

static bool name_valid(const char *s, size_t n)
{
    if (n == 0 || n >= AL_CLUSTER_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

int al_clusters_parse(const char *main_url, const char *extra, al_clusters *out, char err[256])
{
    memset(out, 0, sizeof(*out));
    snprintf(out->names[0], AL_CLUSTER_NAME_MAX, AL_MAIN_CLUSTER);
    char why[256];
    if (al_db_url_parse(main_url, &out->urls[0], why) != 0) {
        snprintf(err, 256, "db: %.240s", why);
        return -1;
    }
    out->n = 1;
    for (const char *p = extra ? extra : ""; *p != '\0';) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (len == 0)
            break;
        const char *eq = memchr(p, '=', len);
        if (eq == NULL || !name_valid(p, (size_t)(eq - p))) {
            snprintf(err, 256, "db_clusters: \"%.*s\" is not name=URL (a name of [a-z0-9_-]{1,32})",
                     (int)(len > 80 ? 80 : len), p);
            return -1;
        }
        if (out->n == AL_MAX_CLUSTERS) {
            snprintf(err, 256, "db_clusters: at most %d clusters", AL_MAX_CLUSTERS);
            return -1;
        }
        char name[AL_CLUSTER_NAME_MAX], url[1024];
        snprintf(name, sizeof(name), "%.*s", (int)(eq - p), p);
        if (len - (size_t)(eq - p) - 1 >= sizeof(url)) {
            snprintf(err, 256, "db_clusters: the URL of %s is too long", name);
            return -1;
        }
        snprintf(url, sizeof(url), "%.*s", (int)(len - (size_t)(eq - p) - 1), eq + 1);
        if (al_cluster_find(out, name) >= 0) {
            snprintf(err, 256, "db_clusters: %s is named twice", name);
            return -1;
        }
        if (al_db_url_parse(url, &out->urls[out->n], why) != 0) {
            snprintf(err, 256, "db_clusters: %s: %.200s", name, why);
            return -1;
        }
        snprintf(out->names[out->n], AL_CLUSTER_NAME_MAX, "%s", name);
        out->n++;
        p += len;
    }
    return 0;
}

int al_cluster_find(const al_clusters *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0)
            return i;
    return -1;
}

void al_db_set_init(al_db_set *set, const al_clusters *c, unsigned timeout_s, unsigned io_timeout_s,
                    int lane)
{
    set->n = c->n;
    for (int i = 0; i < c->n; i++) {
        al_db_init(&set->db[i], &c->urls[i], timeout_s, io_timeout_s);
        set->db[i].lane = lane;
    }
}

void al_db_set_close(al_db_set *set)
{
    for (int i = 0; i < set->n; i++)
        al_db_close(&set->db[i]);
}

void al_db_set_interrupt(al_db_set *set)
{
    for (int i = 0; i < set->n; i++)
        al_db_interrupt(&set->db[i]);
}

void al_db_set_free(al_db_set *set)
{
    for (int i = 0; i < set->n; i++)
        al_db_free(&set->db[i]);
    set->n = 0;
}
