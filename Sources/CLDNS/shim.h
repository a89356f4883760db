#ifndef DNSAUDIT_CLDNS_SHIM_H
#define DNSAUDIT_CLDNS_SHIM_H
/* ldns uses C99 bool; without stdbool.h first every ldns bool imports as Int8. */
#include <stdbool.h>
#include <stdio.h>
#include <ldns/ldns.h>
/* ldns redefines dprintf; keep glibc's meaning out of Swift's way. */
#undef dprintf
#endif
