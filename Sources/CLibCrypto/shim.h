#ifndef DNSAUDIT_CLIBCRYPTO_SHIM_H
#define DNSAUDIT_CLIBCRYPTO_SHIM_H
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
#endif
