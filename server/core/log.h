/*
 * Logging: one JSON object per line on stderr, each line written with a single
 * write(2) so lines from worker threads never interleave.
 */
#ifndef AL_LOG_H
#define AL_LOG_H

#include <stddef.h>
#include <stdint.h>

typedef enum { AL_LOG_DEBUG, AL_LOG_INFO, AL_LOG_WARN, AL_LOG_ERROR } al_log_level;

/* Sets the lowest level written; from "debug", "info", "warn" or "error". */
void al_log_set_level(const char *name);

/* {"time":..,"level":..,"msg":"<formatted>"} */
void al_log(al_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The one line per request. tenant may be NULL. */
void al_log_request(const char *request_id, const char *method, const char *path, int status,
                    int64_t micros, const char *tenant);

/*
 * Appends s to buf as a JSON string body (no quotes), every byte outside
 * printable ASCII as \u00XX; returns the new length.
 */
size_t al_json_escape(char *buf, size_t len, size_t size, const char *s);

#endif
