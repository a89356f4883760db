#ifndef DNSAUDIT_CLIBSSL_SHIM_H
#define DNSAUDIT_CLIBSSL_SHIM_H
// OpenSSL 3 libssl for the TLS module: client connections over a non-blocking socket.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/bio.h>
#include <openssl/asn1.h>

// Function-like macros Swift cannot import, as inline functions.

/// SSL_set_tlsext_host_name: the SNI server name (RFC 6066 §3).
static inline long dnsaudit_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/// SSL_get_negotiated_group: the NID (or TLS group id) of the key-exchange group.
static inline long dnsaudit_SSL_get_negotiated_group(SSL *ssl) {
    return SSL_get_negotiated_group(ssl);
}

/// BIO_get_mem_data: the bytes written to a memory BIO (borrowed; valid until the BIO is freed).
static inline long dnsaudit_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_ctrl(bio, BIO_CTRL_INFO, 0, (void *)data);
}

static inline int dnsaudit_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline X509 *dnsaudit_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}

/// The subjectAltName extension's entries (RFC 5280 §4.2.1.6), or NULL. Free with
/// dnsaudit_GENERAL_NAMES_free.
static inline GENERAL_NAMES *dnsaudit_subject_alt_names(X509 *cert) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}
static inline int dnsaudit_GENERAL_NAMES_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline void dnsaudit_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

/// Entry `index` of a GENERAL_NAMES: returns its type (GEN_DNS, GEN_IPADD, …) and points `data`
/// and `length` at a dNSName's or iPAddress's bytes (borrowed), else sets length to 0.
static inline int dnsaudit_general_name(const GENERAL_NAMES *names, int index, const unsigned char **data, int *length) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
    *data = NULL;
    *length = 0;
    if (name == NULL) return -1;
    if (name->type == GEN_DNS) {
        *data = ASN1_STRING_get0_data(name->d.dNSName);
        *length = ASN1_STRING_length(name->d.dNSName);
    } else if (name->type == GEN_IPADD) {
        *data = ASN1_STRING_get0_data(name->d.iPAddress);
        *length = ASN1_STRING_length(name->d.iPAddress);
    }
    return name->type;
}

/// The flags for printing a distinguished name on one line in certificate order, without spaces
/// around `=` and with UTF-8 kept: `C=US, O=Example, CN=mail.example.test`.
static inline unsigned long dnsaudit_name_print_flags(void) {
    return (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
}
#endif
