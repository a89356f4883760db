#ifndef DNSAUDIT_CLDNS_SHIM_H
#define DNSAUDIT_CLDNS_SHIM_H
/* ldns uses C99 bool; without stdbool.h first every ldns bool imports as Int8. */
#include <stdbool.h>
#include <stdio.h>
#include <ldns/ldns.h>
/* ldns redefines dprintf; keep glibc's meaning out of Swift's way. */
#undef dprintf
/* DNSLDNS's UDP I/O thread (UDPChannel): Swift's Glibc module leaves these headers out. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
/* sendmmsg(2) is declared only under _GNU_SOURCE, which the Glibc module is not built with:
   declared here under a name of our own, bound to the libc symbol. The struct has the layout of
   the kernel's struct mmsghdr. */
struct dnsaudit_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int dnsaudit_sendmmsg(int fd, struct dnsaudit_mmsghdr *messages, unsigned int count, int flags)
    __asm__("sendmmsg");
#endif
