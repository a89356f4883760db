#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include "CLinuxIO.h"

_Static_assert(sizeof(struct dnsaudit_mmsghdr) == sizeof(struct mmsghdr),
               "struct dnsaudit_mmsghdr must have the size of struct mmsghdr");
_Static_assert(offsetof(struct dnsaudit_mmsghdr, msg_hdr) == offsetof(struct mmsghdr, msg_hdr),
               "msg_hdr must sit where struct mmsghdr has it");
_Static_assert(offsetof(struct dnsaudit_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
               "msg_len must sit where struct mmsghdr has it");

int dnsaudit_sendmmsg(int fd, struct dnsaudit_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int dnsaudit_recvmmsg(int fd, struct dnsaudit_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}
