#ifndef DNSAUDIT_CLIBCRYPTO_SHIM_H
#define DNSAUDIT_CLIBCRYPTO_SHIM_H
// The RSA-specific decoders below are deprecated in OpenSSL 3 in favour of the generic decoder
// framework, which takes ~80 us per SubjectPublicKeyInfo against ~1 us for d2i_RSA_PUBKEY.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

// Function-like macros Swift cannot import, as inline functions.

/// BIO_get_mem_data: the bytes written to a memory BIO (borrowed; valid until the BIO is freed).
static inline long dnsaudit_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_ctrl(bio, BIO_CTRL_INFO, 0, (void *)data);
}

/// EVP_PKEY_CTX_set_rsa_keygen_bits through the generic control call (stable across 1.1 and 3.x).
static inline int dnsaudit_set_rsa_keygen_bits(EVP_PKEY_CTX *ctx, int bits) {
    return EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits);
}

/// EVP_PKEY_CTX_set_rsa_padding for PKCS#1 v1.5 (the DKIM rsa-sha256 scheme, RFC 6376 §3.3.1).
static inline int dnsaudit_set_pkcs1_padding(EVP_PKEY_CTX *ctx) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
}

/// An RSA public key from DER: SubjectPublicKeyInfo (pkcs1 == 0) or a bare PKCS#1 RSAPublicKey
/// (pkcs1 != 0). NULL unless the whole input is exactly one such structure. Caller frees.
static inline EVP_PKEY *dnsaudit_rsa_public_key(const unsigned char *der, long length, int pkcs1) {
    const unsigned char *cursor = der;
    RSA *rsa = pkcs1 ? d2i_RSAPublicKey(NULL, &cursor, length) : d2i_RSA_PUBKEY(NULL, &cursor, length);
    if (rsa == NULL) return NULL;
    if (cursor != der + length) {
        RSA_free(rsa);
        return NULL;
    }
    EVP_PKEY *key = EVP_PKEY_new();
    if (key == NULL || EVP_PKEY_assign_RSA(key, rsa) != 1) {
        RSA_free(rsa);
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}
#endif
