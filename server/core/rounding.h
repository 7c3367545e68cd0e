/*
 * The project's roundings of money and points, in one place, exact (128-bit
 * intermediates, no floating point): per-mille pricing of points into minor
 * units (settlement), and pro-rata shares of points (refunds).
 */
#ifndef AL_ROUNDING_H
#define AL_ROUNDING_H

#include <stdbool.h>
#include <stdint.h>

/* round(num / 1000), half away from zero: a price per 1000 points applied once to a line. */
int64_t al_per_mille(__int128 num);

/* Whether al_per_mille(num) fits in 64 bits (else it must be refused, not cut). */
bool al_per_mille_fits(__int128 num);

/* points x num / den rounded half up, for num, den >= 0, den > 0: a refund's share of points. */
int64_t al_pro_rata(int64_t points, int64_t num, int64_t den);

#endif
