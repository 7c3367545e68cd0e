/* Sealing partner secrets and HMAC; see secrets.h. */
#include "auth/secrets.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/ids.h"

#define NONCE 12
#define TAG 16

static int from_hex(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = al_hex_digit(hex[2 * i]), lo = al_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int al_master_key_parse(const char *hex, uint8_t key[AL_MASTER_KEY_BYTES])
{
    return from_hex(hex, key, AL_MASTER_KEY_BYTES);
}

int al_secret_seal(const uint8_t key[AL_MASTER_KEY_BYTES], const char *aad, const char *secret,
                   char out[AL_SEALED_HEX_LEN + 1])
{
    uint8_t buf[NONCE + AL_SECRET_LEN + TAG];
    int len = 0, rc = -1;
    if (strlen(secret) != AL_SECRET_LEN || RAND_bytes(buf, NONCE) != 1)
        return -1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -1;
    if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
        EVP_EncryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
        EVP_EncryptUpdate(c, buf + NONCE, &len, (const uint8_t *)secret, AL_SECRET_LEN) == 1 &&
        len == AL_SECRET_LEN && EVP_EncryptFinal_ex(c, buf + NONCE + len, &len) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, buf + NONCE + AL_SECRET_LEN) == 1) {
        al_hex(buf, sizeof(buf), out);
        rc = 0;
    }
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int al_secret_open(const uint8_t key[AL_MASTER_KEY_BYTES], const char *aad, const char *sealed_hex,
                   char secret[AL_SECRET_LEN + 1])
{
    uint8_t buf[NONCE + AL_SECRET_LEN + TAG];
    int len = 0, rc = -1;
    if (from_hex(sealed_hex, buf, sizeof(buf)) != 0)
        return -1;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -1;
    if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
        EVP_DecryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
        EVP_DecryptUpdate(c, (uint8_t *)secret, &len, buf + NONCE, AL_SECRET_LEN) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, buf + NONCE + AL_SECRET_LEN) == 1 &&
        EVP_DecryptFinal_ex(c, (uint8_t *)secret + len, &len) == 1) {
        secret[AL_SECRET_LEN] = '\0';
        rc = 0;
    }
    EVP_CIPHER_CTX_free(c);
    if (rc != 0)
        memset(secret, 0, AL_SECRET_LEN + 1);
    return rc;
}

void al_hmac_sha256_hex(const char *key, size_t key_len, const char *msg, size_t msg_len,
                        char out[65])
{
    uint8_t mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key, (int)key_len, (const uint8_t *)msg, msg_len, mac, &mac_len);
    al_hex(mac, 32, out);
}

int al_ed25519_sign_hex(const uint8_t seed[32], const char *data, size_t len, char sig[129])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t raw[64];
    size_t raw_len = sizeof(raw);
    int rc = -1;
    if (key != NULL && md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
        EVP_DigestSign(md, raw, &raw_len, (const uint8_t *)data, len) == 1 && raw_len == 64) {
        al_hex(raw, 64, sig);
        rc = 0;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc;
}

int al_ed25519_public_hex(const uint8_t seed[32], char pub[65])
{
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    uint8_t raw[32];
    size_t raw_len = sizeof(raw);
    int rc = -1;
    if (key != NULL && EVP_PKEY_get_raw_public_key(key, raw, &raw_len) == 1 && raw_len == 32) {
        al_hex(raw, 32, pub);
        rc = 0;
    }
    EVP_PKEY_free(key);
    return rc;
}
