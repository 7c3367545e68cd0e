/*
 * allianced: the loyalty-alliance server. Reads the configuration, brings the
 * schema up to date, then serves until SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "app/app.h"
#include "core/config.h"
#include "core/log.h"
#include "db/clusters.h"
#include "db/db.h"
#include "db/migrate.h"
#include "plugins/registry.h"

static void usage(FILE *out)
{
    char keys[8192];
    al_config_describe(keys, sizeof(keys));
    fprintf(out,
            "usage: allianced [--config PATH] [--migrate] [--port-file PATH] [--print-config]\n"
            "\n"
            "  --config PATH     JSON configuration file (default: none, built-in defaults)\n"
            "  --migrate         apply the schema migrations and exit\n"
            "  --port-file PATH  write the bound port there once listening (for tests)\n"
            "  --print-config    write the configuration in force (file, environment, defaults;\n"
            "                    secrets left out) as a commented config file, and exit\n"
            "  --help, --version\n"
            "\n"
            "Configuration keys (file key, environment override, meaning):\n%s",
            keys);
}

static const char *env(const char *name)
{
    return getenv(name);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"migrate", no_argument, NULL, 'm'},
                                         {"port-file", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'v'},
                                         {"print-config", no_argument, NULL, 'P'},
                                         {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *port_file = NULL;
    int migrate_only = 0, print_config = 0, c;
    while ((c = getopt_long(argc, argv, "c:mp:hvP", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'm': migrate_only = 1; break;
        case 'p': port_file = optarg; break;
        case 'P': print_config = 1; break;
        case 'h': usage(stdout); return 0;
        case 'v': printf("allianced %s\n", ALLIANCE_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "allianced: unexpected argument %s\n", argv[optind]);
        return 2;
    }

    al_config cfg;
    char err[AL_CONFIG_ERR_MAX];
    int rc = 1;
    if (al_config_defaults(&cfg) != 0 ||
        (config_path != NULL && al_config_load_file(&cfg, config_path, err) != 0) ||
        al_config_load_env(&cfg, env, err) != 0 || al_config_check(&cfg, err) != 0) {
        fprintf(stderr, "allianced: %s\n", err);
        al_config_free(&cfg);
        return 2;
    }
    if (print_config) {
        char *text = al_config_print(&cfg);
        if (text != NULL)
            fputs(text, stdout);
        free(text);
        al_config_free(&cfg);
        return text != NULL ? 0 : 1;
    }
    al_log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    if (mysql_library_init(0, NULL, NULL) != 0) {
        al_log(AL_LOG_ERROR, "cannot initialise the MySQL client library");
        goto done;
    }

    al_clusters clusters;
    char dberr[256];
    if (al_clusters_parse(cfg.db, cfg.db_clusters, &clusters, dberr) != 0) {
        fprintf(stderr, "allianced: ALLIANCE_DB / db: %s\n", dberr);
        rc = 2;
        goto done;
    }
    al_log(AL_LOG_INFO, "allianced %s starting: database %s (%d cluster%s), schema from %s",
           ALLIANCE_VERSION, clusters.urls[0].database, clusters.n, clusters.n > 1 ? "s" : "",
           cfg.schema_dir);
    /* Every cluster holds the whole schema; each is migrated before serving. */
    for (int k = 0; k < clusters.n; k++) {
        al_db db;
        al_db_init(&db, &clusters.urls[k], (unsigned)cfg.db_connect_timeout_s,
                   (unsigned)cfg.report_db_timeout_s);
        int migrated = al_migrate(&db, cfg.schema_dir, dberr);
        al_db_free(&db);
        if (migrated != 0) {
            al_log(AL_LOG_ERROR, "cannot migrate the schema of cluster %s: %s", clusters.names[k],
                   dberr);
            goto done;
        }
    }
    if (migrate_only) {
        rc = 0;
    } else if (al_plugins_init(cfg.plugin_dir) == 0) {
        rc = al_app_run(&cfg, port_file) == 0 ? 0 : 1;
        al_plugins_shutdown();
    }
done:
    mysql_library_end();
    al_config_free(&cfg);
    return rc;
}
