/*
 * Time zones by IANA name ("Asia/Shanghai", "Europe/Berlin", "UTC"), read
 * from the system's zoneinfo files (TZif, the tzdata package; TZDIR names
 * another folder), kept once read. A tenant's zone decides its days: a
 * promotion's days of the week, a cap's day, week, month or year, and the
 * analytics' days. libc's localtime cannot serve several zones at once in
 * one process; these tables can.
 *
 * Past the file's last transition the last offset holds: tzdata's files
 * list transitions to 2037, so a zone with summer time is right until then.
 */
#ifndef AL_TZ_H
#define AL_TZ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct al_tz al_tz;

#define AL_TZ_NAME_MAX 64

/* Whether name has the shape of a zone name (letters, digits, _ + - and /, no ".."). */
bool al_tz_name_valid(const char *name);

/* The zone called name (kept for the process's life), or NULL when there is none. */
const al_tz *al_tz_get(const char *name);

/* Seconds to add to UTC at instant t (Unix seconds) for the zone's local time; NULL: UTC. */
int32_t al_tz_offset(const al_tz *tz, int64_t t);

/* t as local seconds (t plus the offset at t): the day is local / 86400, floored. */
int64_t al_tz_local(const al_tz *tz, int64_t t);

/* The day (since 1970-01-01, floored) that instant t falls on in the zone. */
int32_t al_tz_day(const al_tz *tz, int64_t t);

/* The UTC instant of local time local_s (the offset in force then; a gap or a repeat: the first).
 */
int64_t al_tz_utc(const al_tz *tz, int64_t local_s);

/* Frees the zones read (at exit, for the leak checker). */
void al_tz_free_all(void);

#endif
