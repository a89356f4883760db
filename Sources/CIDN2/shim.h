#ifndef DNSAUDIT_CIDN2_SHIM_H
#define DNSAUDIT_CIDN2_SHIM_H
// libidn2: IDNA2008 (RFC 5890-5893) with the UTS #46 mapping, for turning the U-labels people
// type (bücher.example) into the A-labels DNS carries (xn--bcher-kva.example).
#include <stdlib.h>
#include <idn2.h>
#endif
