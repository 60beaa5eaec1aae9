/* Address policy for outgoing connections (SSRF protection): which peer
 * addresses the server may connect to when it fetches a URL a client gave
 * it. Pure functions, no I/O: download.c calls them on the address libcurl
 * is about to connect to.
 *
 * By default only globally routable unicast addresses pass. Refused:
 * loopback, private (RFC 1918, ULA, CGNAT), link-local (cloud metadata
 * endpoints live there), multicast, unspecified ("this network", which
 * Linux connects to the local host), broadcast, and the other special-purpose
 * ranges of the IANA registries (documentation, benchmarking, reserved,
 * IPv6 outside 2000::/3). IPv6 forms that carry an IPv4 address (mapped,
 * NAT64, 6to4) are judged by the IPv4 address they carry. */
#ifndef VSR_SERVER_ADDRESS_POLICY_H
#define VSR_SERVER_ADDRESS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/error.h"

typedef enum vsr_addr_class {
    VSR_ADDR_PUBLIC = 0,  /* globally routable unicast: allowed */
    VSR_ADDR_LOOPBACK,    /* 127/8, ::1 */
    VSR_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48 */
    VSR_ADDR_SHARED,      /* 100.64/10: carrier-grade NAT */
    VSR_ADDR_LINK_LOCAL,  /* 169.254/16 (cloud metadata), fe80::/10 */
    VSR_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    VSR_ADDR_UNSPECIFIED, /* 0/8, :: */
    VSR_ADDR_BROADCAST,   /* 255.255.255.255 */
    VSR_ADDR_RESERVED,    /* documentation, benchmarking, 240/4, IETF, non-2000::/3 IPv6 */
    VSR_ADDR_UNSUPPORTED, /* not AF_INET / AF_INET6, or a truncated sockaddr */
} vsr_addr_class;

/* "loopback", "private", ...: for error messages. */
const char *vsr_addr_class_name(vsr_addr_class c);

/* Classifies a peer address. len is the sockaddr's length (shorter than the
 * family's sockaddr: VSR_ADDR_UNSUPPORTED). */
vsr_addr_class vsr_addr_classify(const struct sockaddr *sa, size_t len);

/* One network of an allow list: family AF_INET (addr[0..3]) or AF_INET6. */
typedef struct vsr_cidr {
    int family;
    uint8_t addr[16];
    int prefix;
} vsr_cidr;

#define VSR_CIDR_LIST_MAX 32

typedef struct vsr_cidr_list {
    int count;
    vsr_cidr items[VSR_CIDR_LIST_MAX];
} vsr_cidr_list;

/* Parses "127.0.0.1/32,10.1.0.0/16, fd00::/8" (spaces around entries are
 * ignored; an entry without "/n" is one host). NULL or "" gives an empty
 * list. Refuses empty entries, bad addresses, prefixes out of range, host
 * bits set below the prefix (10.1.2.3/16 is most likely a typo) and more than
 * VSR_CIDR_LIST_MAX entries, saying which entry. */
int vsr_cidr_list_parse(const char *text, vsr_cidr_list *out, vsr_error *err);

/* 1 if the address lies in one of the list's networks. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) matches as the IPv4 address: it reaches the same
 * host. */
int vsr_cidr_list_contains(const vsr_cidr_list *l, const struct sockaddr *sa, size_t len);

/* The policy decision: 1 if a connection to sa is allowed: allow_private
 * set, or the address is in allow (may be NULL), or it is public. Otherwise
 * 0, with *cls (may be NULL) saying why. */
int vsr_addr_allowed(const struct sockaddr *sa, size_t len, int allow_private,
                     const vsr_cidr_list *allow, vsr_addr_class *cls);

/* Formats the address (no port) as text, "?" for an unsupported one.
 * buf should hold at least 46 bytes (INET6_ADDRSTRLEN). */
const char *vsr_addr_format(const struct sockaddr *sa, size_t len, char *buf, size_t size);

/* Parses an IPv4 or IPv6 literal (no brackets, no port) into *ss.
 * Returns 0, or -1 for text that is neither. */
int vsr_addr_parse(const char *text, struct sockaddr_storage *ss, size_t *len);

#endif
