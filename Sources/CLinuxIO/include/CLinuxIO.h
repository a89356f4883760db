#ifndef DNSAUDIT_CLINUXIO_H
#define DNSAUDIT_CLINUXIO_H
/* The Linux calls behind DNSLDNS's UDP I/O thread (UDPChannel): Swift's Glibc module leaves
   these headers out. Only DNSLDNS imports this module. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/* The layout of the kernel's struct mmsghdr, which glibc declares only under _GNU_SOURCE (the
   Glibc module is not built with it). shim.c checks the layout at compile time. */
struct dnsaudit_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/* sendmmsg(2). */
int dnsaudit_sendmmsg(int fd, struct dnsaudit_mmsghdr *messages, unsigned int count, int flags);

/* recvmmsg(2), without a timeout. */
int dnsaudit_recvmmsg(int fd, struct dnsaudit_mmsghdr *messages, unsigned int count, int flags);
#endif
