/*
 * Small pure helpers for identifiers and secrets: the client id rule, host:port
 * parsing, random tokens, hashes and constant-time comparison.
 */
#ifndef AL_IDS_H
#define AL_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AL_ID_MAX 64

/* True when s matches [A-Za-z0-9._:-]{1,64} (the contract's client id). */
bool al_id_valid(const char *s);

/* Splits "host:port" ("[::1]:80" too); port 0..65535. */
int al_parse_listen(const char *s, char *host, size_t host_size, int *port);

/* Writes 2*nbytes lowercase hex characters of fresh randomness plus a NUL. */
int al_random_hex(char *out, size_t nbytes);

/* Lowercase hex SHA-256 of data (65 bytes with the NUL). */
void al_sha256_hex(const void *data, size_t len, char out[65]);

/* "2026-11-01T00:00:00.000000Z" and its NUL. */
#define AL_RFC3339_MAX 28

/*
 * An RFC 3339 time ("2026-11-23T18:50:00Z" or with an offset, "...+08:00";
 * optional fraction of up to 6 digits) as a database DATETIME in UTC
 * ("2026-11-23 10:50:00.000000"); -1 if not one, or before 1970 in UTC.
 */
int al_rfc3339_to_sql(const char *in, char out[27]);

/*
 * The other way: a DATETIME as the database writes it ("2026-11-01 00:00:00",
 * optional fraction) as RFC 3339 UTC with microseconds, like every time in an
 * answer ("2026-11-01T00:00:00.000000Z"); text that is not one is copied.
 */
void al_sql_to_rfc3339(const char *in, char out[AL_RFC3339_MAX]);

/*
 * len random characters a person reads and types without confusing them
 * (digits 2-9 and capitals without I, L, O), and a NUL: voucher and referral
 * codes. 0, or -1 without randomness.
 */
int al_random_code(char *out, size_t len);

/* Unix seconds as RFC 3339 UTC ("2026-11-01T00:00:00Z"). */
void al_unix_to_rfc3339(int64_t t, char out[AL_RFC3339_MAX]);

/* Writes 2*n lowercase hex digits of in, and a NUL, to out. */
void al_hex(const unsigned char *in, size_t n, char *out);

/* A 32-bit hash of a string (FNV-1a): committer affinity, cache slots, balance shards. */
uint32_t al_id_hash(const char *s);

/* Milliseconds of the monotonic clock. */
/* The value of a hexadecimal digit (either case), or -1. */
int al_hex_digit(char c);

int64_t al_monotonic_ms(void);

/* The same clock in microseconds. */
int64_t al_monotonic_us(void);

/*
 * A whole decimal number in [min, max], all of text ("12", "-3"; not "1x", "",
 * " 5", "+5" or one out of range): true with *out, else false.
 */
bool al_parse_int(const char *text, long long min, long long max, long long *out);

/* The wall clock in microseconds since 1970 (UTC). */
int64_t al_realtime_us(void);

/* The real-time clock ms from now: a deadline for pthread_cond_timedwait. */
struct timespec al_deadline_in_ms(int64_t ms);

/* Writes value and a newline to path whole (a temporary file renamed into place); 0 or -1. */
int al_write_number_file(const char *path, long long value);

/* Now as a database DATETIME ("YYYY-MM-DD HH:MM:SS", UTC). */
void al_sql_now(char out[27]);

/* A database DATETIME ("YYYY-MM-DD HH:MM:SS[.ffffff]", UTC) as Unix seconds; -1 if not one. */
int64_t al_sql_time_to_unix(const char *sql);

/* Compares two strings in time independent of where they differ. */
bool al_secret_equal(const char *a, const char *b);

#endif
