/*
 * Partner secrets: made fresh, stored sealed with AES-256-GCM under the
 * server's master key (so a database dump alone does not reveal them), and
 * used as HMAC-SHA256 keys to check signed requests.
 */
#ifndef AL_SECRETS_H
#define AL_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#define AL_MASTER_KEY_BYTES 32
#define AL_SECRET_LEN 64 /* a secret is 64 lowercase hex digits */
/* nonce (12) + ciphertext (64) + tag (16), as hex */
#define AL_SEALED_HEX_LEN (2 * (12 + AL_SECRET_LEN + 16))

/* Parses 64 hex digits into key; -1 when it is not that. */
int al_master_key_parse(const char *hex, uint8_t key[AL_MASTER_KEY_BYTES]);

/* Seals secret (AL_SECRET_LEN chars) bound to aad; writes hex to out. */
int al_secret_seal(const uint8_t key[AL_MASTER_KEY_BYTES], const char *aad, const char *secret,
                   char out[AL_SEALED_HEX_LEN + 1]);

/* Opens what al_secret_seal made; -1 when the key, aad or data are wrong. */
int al_secret_open(const uint8_t key[AL_MASTER_KEY_BYTES], const char *aad, const char *sealed_hex,
                   char secret[AL_SECRET_LEN + 1]);

/* Lowercase hex HMAC-SHA256(key, msg). */
void al_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                        char out[65]);

/*
 * Ed25519 signatures of closed statements: the seed is the server's
 * settlement_key; the public key (hex) lets a partner verify.
 */
int al_ed25519_sign_hex(const uint8_t seed[32], const char *data, size_t len, char sig[129]);
int al_ed25519_public_hex(const uint8_t seed[32], char pub[65]);

#endif
