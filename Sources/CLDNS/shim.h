#ifndef DNSAUDIT_CLDNS_SHIM_H
#define DNSAUDIT_CLDNS_SHIM_H
/* ldns uses C99 bool; without stdbool.h first every ldns bool imports as Int8 (shared/NOTES.md). */
#include <stdbool.h>
#include <stdio.h>
#include <ldns/ldns.h>
/* ldns redefines dprintf; keep glibc's meaning out of Swift's way. */
#undef dprintf
/* DNSLDNS's UDP I/O thread (UDPChannel): Swift's Glibc module leaves these headers out. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
