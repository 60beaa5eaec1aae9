/* Address classification and allow lists; see address_policy.h. The ranges
 * come from the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and successors). Where a special-purpose range is partly
 * globally reachable (192.0.0.0/24, 2001::/23) the whole range is refused: a
 * video URL never legitimately points there. */
#include "server/address_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address reduced to what matters here: the family and its bytes in
 * network order (4 used for AF_INET). */
typedef struct ip_addr {
    int family;
    uint8_t b[16];
} ip_addr;

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Reads a sockaddr; an IPv4-mapped IPv6 address becomes the IPv4 address,
 * since connecting to it reaches that IPv4 host (Linux dual-stack sockets).
 * Returns -1 for anything else than a full sockaddr_in / sockaddr_in6. */
static int to_ip(const struct sockaddr *sa, size_t len, ip_addr *ip)
{
    memset(ip, 0, sizeof *ip);
    if (!sa || len < sizeof(sa_family_t))
        return -1;
    if (sa->sa_family == AF_INET) {
        if (len < sizeof(struct sockaddr_in))
            return -1;
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        ip->family = AF_INET;
        memcpy(ip->b, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        if (len < sizeof(struct sockaddr_in6))
            return -1;
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *b = in6->sin6_addr.s6_addr;
        if (!memcmp(b, v4_mapped_prefix, sizeof v4_mapped_prefix)) {
            ip->family = AF_INET;
            memcpy(ip->b, b + 12, 4);
        } else {
            ip->family = AF_INET6;
            memcpy(ip->b, b, 16);
        }
        return 0;
    }
    return -1;
}

/* 1 if the first prefix bits of a and net agree. */
static int prefix_match(const uint8_t *a, const uint8_t *net, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, (size_t)full))
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

typedef struct range {
    uint8_t net[16];
    int prefix;
    vsr_addr_class cls;
} range;

/* Order matters where ranges nest: the first match wins. */
static const range v4_ranges[] = {
    {{0, 0, 0, 0}, 8, VSR_ADDR_UNSPECIFIED}, /* "this network"; Linux connects 0.x to us */
    {{10, 0, 0, 0}, 8, VSR_ADDR_PRIVATE},    /* RFC 1918 */
    {{100, 64, 0, 0}, 10, VSR_ADDR_SHARED},  /* RFC 6598 carrier-grade NAT */
    {{127, 0, 0, 0}, 8, VSR_ADDR_LOOPBACK},
    {{169, 254, 0, 0}, 16, VSR_ADDR_LINK_LOCAL}, /* incl. 169.254.169.254 metadata */
    {{172, 16, 0, 0}, 12, VSR_ADDR_PRIVATE},     /* RFC 1918 */
    {{192, 0, 0, 0}, 24, VSR_ADDR_RESERVED},     /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24, VSR_ADDR_RESERVED},     /* TEST-NET-1 */
    {{192, 88, 99, 0}, 24, VSR_ADDR_RESERVED},   /* 6to4 relay anycast (deprecated) */
    {{192, 168, 0, 0}, 16, VSR_ADDR_PRIVATE},    /* RFC 1918 */
    {{198, 18, 0, 0}, 15, VSR_ADDR_RESERVED},    /* benchmarking; used as internal space */
    {{198, 51, 100, 0}, 24, VSR_ADDR_RESERVED},  /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24, VSR_ADDR_RESERVED},   /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4, VSR_ADDR_MULTICAST},
    {{255, 255, 255, 255}, 32, VSR_ADDR_BROADCAST}, /* before 240/4, which holds it */
    {{240, 0, 0, 0}, 4, VSR_ADDR_RESERVED},         /* future use */
};

static vsr_addr_class classify_v4(const uint8_t *b)
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++)
        if (prefix_match(b, v4_ranges[i].net, v4_ranges[i].prefix))
            return v4_ranges[i].cls;
    return VSR_ADDR_PUBLIC;
}

static const range v6_ranges[] = {
    {{0}, 128, VSR_ADDR_UNSPECIFIED},                                           /* :: */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, VSR_ADDR_LOOPBACK}, /* ::1 */
    {{0x00, 0x64, 0xff, 0x9b, 0, 1}, 48, VSR_ADDR_PRIVATE}, /* local-use NAT64 */
    {{0xff}, 8, VSR_ADDR_MULTICAST},
    {{0xfe, 0x80}, 10, VSR_ADDR_LINK_LOCAL},
    {{0xfe, 0xc0}, 10, VSR_ADDR_PRIVATE},              /* site-local (deprecated) */
    {{0xfc}, 7, VSR_ADDR_PRIVATE},                     /* unique local */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, VSR_ADDR_RESERVED}, /* documentation */
    {{0x20, 0x01}, 23, VSR_ADDR_RESERVED},             /* IETF, Teredo, ORCHID */
    {{0x3f, 0xff}, 20, VSR_ADDR_RESERVED},             /* documentation */
};

static const uint8_t nat64_wkp[12] = {0x00, 0x64, 0xff, 0x9b}; /* 64:ff9b::/96 */
static const uint8_t sixto4[2] = {0x20, 0x02};                 /* 2002::/16 */
static const uint8_t global_unicast[1] = {0x20};               /* 2000::/3 */

static vsr_addr_class classify_v6(const uint8_t *b)
{
    for (size_t i = 0; i < sizeof v6_ranges / sizeof v6_ranges[0]; i++)
        if (prefix_match(b, v6_ranges[i].net, v6_ranges[i].prefix))
            return v6_ranges[i].cls;
    /* A translated IPv4 address is judged as that address: a NAT64 or 6to4
     * gateway would carry the connection to it. */
    if (prefix_match(b, nat64_wkp, 96))
        return classify_v4(b + 12);
    if (prefix_match(b, sixto4, 16))
        return classify_v4(b + 2);
    /* IANA allocates global unicast only from 2000::/3; the rest (incl. the
     * deprecated IPv4-compatible ::/96 and discard-only 100::/64) is
     * reserved. */
    if (!prefix_match(b, global_unicast, 3))
        return VSR_ADDR_RESERVED;
    return VSR_ADDR_PUBLIC;
}

const char *vsr_addr_class_name(vsr_addr_class c)
{
    switch (c) {
    case VSR_ADDR_PUBLIC: return "public";
    case VSR_ADDR_LOOPBACK: return "loopback";
    case VSR_ADDR_PRIVATE: return "private";
    case VSR_ADDR_SHARED: return "shared (carrier-grade NAT)";
    case VSR_ADDR_LINK_LOCAL: return "link-local";
    case VSR_ADDR_MULTICAST: return "multicast";
    case VSR_ADDR_UNSPECIFIED: return "unspecified";
    case VSR_ADDR_BROADCAST: return "broadcast";
    case VSR_ADDR_RESERVED: return "reserved";
    case VSR_ADDR_UNSUPPORTED: return "unsupported address family";
    }
    return "unknown";
}

vsr_addr_class vsr_addr_classify(const struct sockaddr *sa, size_t len)
{
    ip_addr ip;
    if (to_ip(sa, len, &ip))
        return VSR_ADDR_UNSUPPORTED;
    return ip.family == AF_INET ? classify_v4(ip.b) : classify_v6(ip.b);
}

/* Parses one "addr[/prefix]" entry (already trimmed, NUL-terminated). */
static int parse_cidr(const char *entry, vsr_cidr *c, vsr_error *err)
{
    char addr[64];
    const char *slash = strchr(entry, '/');
    size_t alen = slash ? (size_t)(slash - entry) : strlen(entry);
    if (alen == 0 || alen >= sizeof addr)
        return vsr_error_set(err, VSR_ERR_INVALID, "'%s': expected an IP address", entry);
    memcpy(addr, entry, alen);
    addr[alen] = '\0';

    memset(c, 0, sizeof *c);
    if (inet_pton(AF_INET, addr, c->addr) == 1) {
        c->family = AF_INET;
    } else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
        c->family = AF_INET6;
    } else {
        return vsr_error_set(err, VSR_ERR_INVALID, "'%s': '%s' is not an IPv4 or IPv6 address",
                             entry, addr);
    }
    int max = c->family == AF_INET ? 32 : 128;

    c->prefix = max;
    if (slash) {
        const char *p = slash + 1;
        /* Digits only: strtol would take "+8", " 8" or "0x8". */
        if (*p == '\0' || strlen(p) > 3)
            return vsr_error_set(err, VSR_ERR_INVALID, "'%s': bad prefix length", entry);
        for (const char *q = p; *q; q++)
            if (!isdigit((unsigned char)*q))
                return vsr_error_set(err, VSR_ERR_INVALID, "'%s': bad prefix length", entry);
        c->prefix = atoi(p);
        if (c->prefix > max)
            return vsr_error_set(err, VSR_ERR_INVALID, "'%s': prefix length %d is over %d", entry,
                                 c->prefix, max);
    }

    /* Host bits set: 10.1.2.3/16 most likely meant 10.1.0.0/16 or /32. */
    for (int bit = c->prefix; bit < max; bit++)
        if (c->addr[bit / 8] & (0x80 >> (bit % 8)))
            return vsr_error_set(err, VSR_ERR_INVALID,
                                 "'%s': address has bits set beyond the /%d prefix", entry,
                                 c->prefix);

    /* An IPv4-mapped network is kept as the IPv4 network it maps, so that
     * matching (which unmaps addresses) sees one form. */
    if (c->family == AF_INET6 && c->prefix >= 96 &&
        !memcmp(c->addr, v4_mapped_prefix, sizeof v4_mapped_prefix)) {
        uint8_t v4[4];
        memcpy(v4, c->addr + 12, 4);
        memset(c->addr, 0, sizeof c->addr);
        memcpy(c->addr, v4, 4);
        c->family = AF_INET;
        c->prefix -= 96;
    }
    return 0;
}

int vsr_cidr_list_parse(const char *text, vsr_cidr_list *out, vsr_error *err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return 0;
    const char *p = text;
    /* All blank: an empty list (an unset option written as ""). */
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return 0;

    p = text;
    for (int index = 1;; index++) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (s == e)
            return vsr_error_set(err, VSR_ERR_INVALID, "allowed networks '%s': entry %d is empty",
                                 text, index);
        if (out->count == VSR_CIDR_LIST_MAX)
            return vsr_error_set(err, VSR_ERR_INVALID, "allowed networks: more than %d entries",
                                 VSR_CIDR_LIST_MAX);
        char entry[128];
        if ((size_t)(e - s) >= sizeof entry)
            return vsr_error_set(err, VSR_ERR_INVALID, "allowed networks: entry %d is too long",
                                 index);
        memcpy(entry, s, (size_t)(e - s));
        entry[e - s] = '\0';
        if (parse_cidr(entry, &out->items[out->count], err)) {
            vsr_error_prefix(err, "allowed networks, entry %d", index);
            return err ? err->code : VSR_ERR_INVALID;
        }
        out->count++;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

int vsr_cidr_list_contains(const vsr_cidr_list *l, const struct sockaddr *sa, size_t len)
{
    ip_addr ip;
    if (!l || to_ip(sa, len, &ip))
        return 0;
    for (int i = 0; i < l->count; i++)
        if (l->items[i].family == ip.family &&
            prefix_match(ip.b, l->items[i].addr, l->items[i].prefix))
            return 1;
    return 0;
}

int vsr_addr_allowed(const struct sockaddr *sa, size_t len, int allow_private,
                     const vsr_cidr_list *allow, vsr_addr_class *cls)
{
    vsr_addr_class c = vsr_addr_classify(sa, len);
    if (cls)
        *cls = c;
    /* Even the escape hatches do not let through what is not IP. */
    if (c == VSR_ADDR_UNSUPPORTED)
        return 0;
    if (c == VSR_ADDR_PUBLIC || allow_private)
        return 1;
    return vsr_cidr_list_contains(allow, sa, len);
}

const char *vsr_addr_format(const struct sockaddr *sa, size_t len, char *buf, size_t size)
{
    const void *src = NULL;
    if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
        src = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
        src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!src || !inet_ntop(sa->sa_family, src, buf, (socklen_t)size))
        snprintf(buf, size, "?");
    return buf;
}

int vsr_addr_parse(const char *text, struct sockaddr_storage *ss, size_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        *len = sizeof *in;
        return 0;
    }
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        *len = sizeof *in6;
        return 0;
    }
    return -1;
}
