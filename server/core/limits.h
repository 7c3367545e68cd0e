/*
 * The largest figures a request may carry. With them, every sum the server
 * keeps (balances, statements, analytics) fits in 64 bits for any real
 * alliance; sums are still checked, and a figure that does not fit is refused,
 * never clamped.
 */
#ifndef AL_LIMITS_H
#define AL_LIMITS_H

/* Money a transaction, a refund or an imported line: 10^12 minor units (10 billion yuan). */
#define AL_MAX_AMOUNT_MINOR 1000000000000LL

/* Points a plugin's line, a transaction's translation, an imported line or a redemption: 10^12. */
#define AL_MAX_POINTS 1000000000000LL

#endif
