/*
 * Known answers of the primitives credentials rest on: HMAC-SHA256 (RFC 4231),
 * AES-256-GCM (McGrew and Viega's GCM specification, test case 15, the
 * vector NIST's GCM validation also lists), Ed25519 (RFC 8032), and the
 * signature of a partner's request as the README defines it.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "auth/admin_keys.h"
#include "auth/auth.h"
#include "auth/secrets.h"

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

Test(crypto, hmac_sha256_rfc4231)
{
    char out[65], key[20];
    memset(key, 0x0b, sizeof(key));
    al_hmac_sha256_hex(key, sizeof(key), "Hi There", 8, out); /* test case 1 */
    cr_expect_str_eq(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    al_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out); /* test case 2 */
    cr_expect_str_eq(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* GCM test case 15: AES-256, 96-bit IV, 64 bytes of plaintext, no additional data. */
#define TC15_KEY "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define TC15_IV "cafebabefacedbaddecaf888"
#define TC15_P                                                                                     \
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                             \
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define TC15_C                                                                                     \
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"                             \
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
#define TC15_T "b094dac5d93471bdec1a502270e3cc6c"

Test(crypto, aes_256_gcm_known_answer)
{
    uint8_t key[32], plain[64];
    unhex(TC15_KEY, key, 32);
    unhex(TC15_P, plain, 64);
    /* A sealed secret is nonce | ciphertext | tag, as hex. */
    char secret[AL_SECRET_LEN + 1];
    cr_assert_eq(al_secret_open(key, "", TC15_IV TC15_C TC15_T, secret), 0);
    cr_expect_eq(memcmp(secret, plain, 64), 0, "the plaintext of test case 15");
    /* One bit of the tag, the ciphertext or the additional data wrong: nothing opens. */
    cr_expect_neq(
        al_secret_open(key, "", TC15_IV TC15_C "b094dac5d93471bdec1a502270e3cc6d", secret), 0);
    char c[] = TC15_IV TC15_C TC15_T;
    c[30] = c[30] == '0' ? '1' : '0';
    cr_expect_neq(al_secret_open(key, "", c, secret), 0);
    cr_expect_neq(al_secret_open(key, "t/k", TC15_IV TC15_C TC15_T, secret), 0);
}

Test(crypto, sealed_secrets_open_only_with_their_key_and_binding)
{
    uint8_t key[32], other[32];
    cr_assert_eq(al_master_key_parse(TC15_KEY, key), 0);
    memcpy(other, key, 32);
    other[0] ^= 1;
    char secret[AL_SECRET_LEN + 1], sealed[AL_SEALED_HEX_LEN + 1], back[AL_SECRET_LEN + 1];
    memset(secret, 'a', AL_SECRET_LEN);
    secret[AL_SECRET_LEN] = '\0';
    cr_assert_eq(al_secret_seal(key, "acme/pk_1", secret, sealed), 0);
    cr_expect_eq(strlen(sealed), AL_SEALED_HEX_LEN);
    cr_assert_eq(al_secret_open(key, "acme/pk_1", sealed, back), 0);
    cr_expect_str_eq(back, secret);
    cr_expect_neq(al_secret_open(other, "acme/pk_1", sealed, back), 0, "another master key");
    cr_expect_neq(al_secret_open(key, "acme/pk_2", sealed, back), 0, "another key id");
    cr_expect_neq(al_master_key_parse("00", key), 0);
}

Test(crypto, ed25519_rfc8032)
{
    uint8_t seed[32];
    char pub[65], sig[129];
    /* Test 1: the empty message. */
    unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
    cr_assert_eq(al_ed25519_public_hex(seed, pub), 0);
    cr_expect_str_eq(pub, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    cr_assert_eq(al_ed25519_sign_hex(seed, "", 0, sig), 0);
    cr_expect_str_eq(sig, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                          "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    /* Test 2: one byte, 0x72. */
    unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", seed, 32);
    cr_assert_eq(al_ed25519_public_hex(seed, pub), 0);
    cr_expect_str_eq(pub, "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    cr_assert_eq(al_ed25519_sign_hex(seed, "\x72", 1, sig), 0);
    cr_expect_str_eq(sig, "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                          "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

Test(signature, a_request_signs_method_path_time_and_body_hash)
{
    /*
     * HMAC-SHA256("aaa...a" (64), "POST\n/v1/transactions\n1700000000\n" + hex
     * SHA-256("{}")), computed with `openssl dgst -sha256 -hmac`.
     */
    char secret[AL_SECRET_LEN + 1], sig[65];
    memset(secret, 'a', AL_SECRET_LEN);
    secret[AL_SECRET_LEN] = '\0';
    cr_assert_eq(
        al_request_signature(secret, "POST", "/v1/transactions", "1700000000", "{}", 2, sig), 0);
    cr_expect_str_eq(sig, "0063ed4f20707d69527835f59aa9eba29749c6ecc0ef1cc1fcf5bb08bcdec9f3");
    cr_expect(al_signature_matches(
        "0063ed4f20707d69527835f59aa9eba29749c6ecc0ef1cc1fcf5bb08bcdec9f3", sig));
    cr_expect(!al_signature_matches(
        "0063ed4f20707d69527835f59aa9eba29749c6ecc0ef1cc1fcf5bb08bcdec9f4", sig));
    cr_expect(!al_signature_matches("0063ed4f", sig), "a prefix is no signature");
    /* Another path, time or body: another signature. */
    char other[65];
    al_request_signature(secret, "POST", "/v1/transactions?x=1", "1700000000", "{}", 2, other);
    cr_expect_str_neq(other, sig);
    al_request_signature(secret, "POST", "/v1/transactions", "1700000001", "{}", 2, other);
    cr_expect_str_neq(other, sig);
    al_request_signature(secret, "POST", "/v1/transactions", "1700000000", "{ }", 3, other);
    cr_expect_str_neq(other, sig);
}

Test(signature, timestamps_within_300_seconds)
{
    time_t now = 1700000000;
    cr_expect(al_timestamp_fresh("1700000000", now));
    cr_expect(al_timestamp_fresh("1699999700", now), "300 s old");
    cr_expect(al_timestamp_fresh("1700000300", now), "300 s ahead");
    cr_expect(!al_timestamp_fresh("1699999699", now));
    cr_expect(!al_timestamp_fresh("1700000301", now));
    cr_expect(!al_timestamp_fresh("", now));
    cr_expect(!al_timestamp_fresh("17e8", now));
    cr_expect(!al_timestamp_fresh("1700000000 ", now));
}

Test(admin_keys, shape_and_hash)
{
    char key[AL_ADMIN_KEY_LEN + 1], hash[65], again[65];
    cr_assert_eq(al_admin_key_new(key, hash), 0);
    cr_expect(al_admin_key_shaped(key));
    cr_expect_eq(strncmp(key, "ak_", 3), 0);
    al_sha256_hex(key, strlen(key), again);
    cr_expect_str_eq(hash, again, "only the SHA-256 of the key is kept");
    cr_expect(!al_admin_key_shaped("ak_short"));
    cr_expect(!al_admin_key_shaped("test-operator-token"));
}
