/*
 * Exactly once: the first answer to a partner's request id, claimed and
 * stored inside the transaction that books it. A replay of the same body gets
 * that answer byte for byte (status 200); the same id with another body is a
 * conflict. A replay racing the original waits on the claim's row lock and
 * then sees the stored answer, so it never books twice.
 */
#ifndef AL_IDEMPOTENCY_H
#define AL_IDEMPOTENCY_H

#include "db/db.h"

typedef enum { AL_IDEM_NEW, AL_IDEM_REPLAY, AL_IDEM_CONFLICT } al_idem_state;

typedef struct al_idem_key {
    const char *tenant, *partner, *kind, *id;
    char hash[65]; /* SHA-256 of the canonical request */
} al_idem_key;

/* Claims key; on a replay *response is the stored answer (caller frees). */
al_db_status al_idem_claim(al_db *db, const al_idem_key *key, al_idem_state *state,
                           char **response);

/* Stores the answer of a claimed key (same transaction). */
al_db_status al_idem_store(al_db *db, const al_idem_key *key, int status, const char *response);

#endif
