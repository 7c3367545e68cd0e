/*
 * Schema migrations: schema/NNN_name.sql applied in order, each once, recorded
 * in schema_migrations with its checksum. A lease (db/lease.h) makes
 * servers starting together on one database (or one cluster) take turns.
 */
#ifndef AL_MIGRATE_H
#define AL_MIGRATE_H

#include "db/db.h"

/* Applies what is new in dir; 0 on success, else err says why. */
int al_migrate(al_db *db, const char *dir, char err[256]);

#endif
