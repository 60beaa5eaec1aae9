/* address_policy: every refused range in IPv4 and IPv6 (its edges and a
 * neighbour outside), IPv4 forms carried in IPv6 (mapped, NAT64, 6to4),
 * allow lists (matching and parse errors) and the policy decision. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "server/address_policy.h"
#include "test_util.h"

static vsr_addr_class cls_of(const char *text)
{
    struct sockaddr_storage ss;
    size_t len;
    if (vsr_addr_parse(text, &ss, &len)) {
        fprintf(stderr, "bad test address %s\n", text);
        return (vsr_addr_class)-1;
    }
    return vsr_addr_classify((const struct sockaddr *)&ss, len);
}

#define CLASS(text, want)                                                                 \
    do {                                                                                  \
        vsr_addr_class got_ = cls_of(text);                                               \
        CHECK_MSG(got_ == (want), "%s: got %s, want %s", text, vsr_addr_class_name(got_), \
                  vsr_addr_class_name(want));                                             \
    } while (0)

static void test_v4(void)
{
    CLASS("0.0.0.0", VSR_ADDR_UNSPECIFIED);
    CLASS("0.255.255.255", VSR_ADDR_UNSPECIFIED);
    CLASS("1.0.0.0", VSR_ADDR_PUBLIC);
    CLASS("8.8.8.8", VSR_ADDR_PUBLIC);
    CLASS("9.255.255.255", VSR_ADDR_PUBLIC);
    CLASS("10.0.0.0", VSR_ADDR_PRIVATE);
    CLASS("10.255.255.255", VSR_ADDR_PRIVATE);
    CLASS("11.0.0.0", VSR_ADDR_PUBLIC);
    CLASS("100.63.255.255", VSR_ADDR_PUBLIC);
    CLASS("100.64.0.0", VSR_ADDR_SHARED);
    CLASS("100.127.255.255", VSR_ADDR_SHARED);
    CLASS("100.128.0.0", VSR_ADDR_PUBLIC);
    CLASS("126.255.255.255", VSR_ADDR_PUBLIC);
    CLASS("127.0.0.1", VSR_ADDR_LOOPBACK);
    CLASS("127.0.0.2", VSR_ADDR_LOOPBACK);
    CLASS("127.255.255.255", VSR_ADDR_LOOPBACK);
    CLASS("128.0.0.0", VSR_ADDR_PUBLIC);
    CLASS("169.253.255.255", VSR_ADDR_PUBLIC);
    CLASS("169.254.0.0", VSR_ADDR_LINK_LOCAL);
    CLASS("169.254.169.254", VSR_ADDR_LINK_LOCAL);
    CLASS("169.254.255.255", VSR_ADDR_LINK_LOCAL);
    CLASS("169.255.0.0", VSR_ADDR_PUBLIC);
    CLASS("172.15.255.255", VSR_ADDR_PUBLIC);
    CLASS("172.16.0.0", VSR_ADDR_PRIVATE);
    CLASS("172.31.255.255", VSR_ADDR_PRIVATE);
    CLASS("172.32.0.0", VSR_ADDR_PUBLIC);
    CLASS("192.0.0.1", VSR_ADDR_RESERVED);
    CLASS("192.0.1.1", VSR_ADDR_PUBLIC);
    CLASS("192.0.2.1", VSR_ADDR_RESERVED);
    CLASS("192.88.99.1", VSR_ADDR_RESERVED);
    CLASS("192.167.255.255", VSR_ADDR_PUBLIC);
    CLASS("192.168.0.0", VSR_ADDR_PRIVATE);
    CLASS("192.168.255.255", VSR_ADDR_PRIVATE);
    CLASS("192.169.0.0", VSR_ADDR_PUBLIC);
    CLASS("198.17.255.255", VSR_ADDR_PUBLIC);
    CLASS("198.18.0.0", VSR_ADDR_RESERVED);
    CLASS("198.19.255.255", VSR_ADDR_RESERVED);
    CLASS("198.20.0.0", VSR_ADDR_PUBLIC);
    CLASS("198.51.100.7", VSR_ADDR_RESERVED);
    CLASS("203.0.113.7", VSR_ADDR_RESERVED);
    CLASS("203.0.114.7", VSR_ADDR_PUBLIC);
    CLASS("223.255.255.255", VSR_ADDR_PUBLIC);
    CLASS("224.0.0.0", VSR_ADDR_MULTICAST);
    CLASS("239.255.255.255", VSR_ADDR_MULTICAST);
    CLASS("240.0.0.0", VSR_ADDR_RESERVED);
    CLASS("255.255.255.254", VSR_ADDR_RESERVED);
    CLASS("255.255.255.255", VSR_ADDR_BROADCAST);
}

static void test_v6(void)
{
    CLASS("::", VSR_ADDR_UNSPECIFIED);
    CLASS("::1", VSR_ADDR_LOOPBACK);
    CLASS("::2", VSR_ADDR_RESERVED);
    CLASS("::127.0.0.1", VSR_ADDR_RESERVED); /* IPv4-compatible, deprecated */
    CLASS("::8.8.8.8", VSR_ADDR_RESERVED);
    CLASS("100::1", VSR_ADDR_RESERVED); /* discard-only */
    CLASS("fc00::", VSR_ADDR_PRIVATE);
    CLASS("fd12:3456::1", VSR_ADDR_PRIVATE);
    CLASS("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", VSR_ADDR_PRIVATE);
    CLASS("fe80::1", VSR_ADDR_LINK_LOCAL);
    CLASS("febf:ffff::1", VSR_ADDR_LINK_LOCAL);
    CLASS("fec0::1", VSR_ADDR_PRIVATE);
    CLASS("ff02::1", VSR_ADDR_MULTICAST);
    CLASS("ff0e::1", VSR_ADDR_MULTICAST);
    CLASS("2001:db8::1", VSR_ADDR_RESERVED);
    CLASS("2001::1", VSR_ADDR_RESERVED);          /* Teredo */
    CLASS("2001:1ff:ffff::1", VSR_ADDR_RESERVED); /* end of 2001::/23 */
    CLASS("2001:200::1", VSR_ADDR_PUBLIC);        /* just past it */
    CLASS("3fff::1", VSR_ADDR_RESERVED);          /* documentation (2024) */
    CLASS("3ffe:ffff::1", VSR_ADDR_PUBLIC);
    CLASS("2606:4700:4700::1111", VSR_ADDR_PUBLIC);
    CLASS("2a00:1450:4001:81b::200e", VSR_ADDR_PUBLIC);
    CLASS("4000::1", VSR_ADDR_RESERVED); /* outside 2000::/3 */
    CLASS("1fff::1", VSR_ADDR_RESERVED);
    CLASS("5f00::1", VSR_ADDR_RESERVED);

    /* IPv4 carried in IPv6 is judged as IPv4. */
    CLASS("::ffff:127.0.0.1", VSR_ADDR_LOOPBACK);
    CLASS("::ffff:10.1.2.3", VSR_ADDR_PRIVATE);
    CLASS("::ffff:169.254.169.254", VSR_ADDR_LINK_LOCAL);
    CLASS("::ffff:0.0.0.0", VSR_ADDR_UNSPECIFIED);
    CLASS("::ffff:255.255.255.255", VSR_ADDR_BROADCAST);
    CLASS("::ffff:224.0.0.1", VSR_ADDR_MULTICAST);
    CLASS("::ffff:8.8.8.8", VSR_ADDR_PUBLIC);
    CLASS("64:ff9b::127.0.0.1", VSR_ADDR_LOOPBACK);
    CLASS("64:ff9b::169.254.169.254", VSR_ADDR_LINK_LOCAL);
    CLASS("64:ff9b::8.8.8.8", VSR_ADDR_PUBLIC);
    CLASS("64:ff9b:1::1", VSR_ADDR_PRIVATE);
    CLASS("2002:7f00:1::1", VSR_ADDR_LOOPBACK); /* 6to4 of 127.0.0.1 */
    CLASS("2002:a9fe:a9fe::1", VSR_ADDR_LINK_LOCAL);
    CLASS("2002:808:808::1", VSR_ADDR_PUBLIC);
    /* ::ffff:0:a.b.c.d (SIIT) is not the mapped form: reserved. */
    CLASS("::ffff:0:808:808", VSR_ADDR_RESERVED);
}

static void test_sockaddr_edges(void)
{
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(0x08080808);
    CHECK(vsr_addr_classify((struct sockaddr *)&in, sizeof in) == VSR_ADDR_PUBLIC);
    /* Truncated: refused, not read past the end. */
    CHECK(vsr_addr_classify((struct sockaddr *)&in, sizeof in - 1) == VSR_ADDR_UNSUPPORTED);
    CHECK(vsr_addr_classify(NULL, 0) == VSR_ADDR_UNSUPPORTED);
    struct sockaddr_in6 in6;
    memset(&in6, 0, sizeof in6);
    in6.sin6_family = AF_INET6;
    in6.sin6_addr.s6_addr[0] = 0x26;
    CHECK(vsr_addr_classify((struct sockaddr *)&in6, sizeof in6) == VSR_ADDR_PUBLIC);
    CHECK(vsr_addr_classify((struct sockaddr *)&in6, sizeof in) == VSR_ADDR_UNSUPPORTED);
    struct sockaddr un = {.sa_family = AF_UNIX};
    CHECK(vsr_addr_classify(&un, sizeof un) == VSR_ADDR_UNSUPPORTED);
    /* Not even allow_private lets a non-IP address through. */
    CHECK(!vsr_addr_allowed(&un, sizeof un, 1, NULL, NULL));

    char buf[64];
    CHECK(!strcmp(vsr_addr_format((struct sockaddr *)&in, sizeof in, buf, sizeof buf), "8.8.8.8"));
    CHECK(!strcmp(vsr_addr_format(&un, sizeof un, buf, sizeof buf), "?"));
    struct sockaddr_storage ss;
    size_t len;
    CHECK(vsr_addr_parse("not-an-ip", &ss, &len) == -1);
    CHECK(vsr_addr_parse("[::1]", &ss, &len) == -1);
    CHECK(vsr_addr_parse("::1", &ss, &len) == 0 && len == sizeof(struct sockaddr_in6));
}

static int allowed(const char *addr, int allow_private, const vsr_cidr_list *l, vsr_addr_class *cls)
{
    struct sockaddr_storage ss;
    size_t len;
    if (vsr_addr_parse(addr, &ss, &len))
        return -1;
    return vsr_addr_allowed((struct sockaddr *)&ss, len, allow_private, l, cls);
}

static void test_cidr_lists(void)
{
    vsr_cidr_list l;
    vsr_error err;

    CHECK(vsr_cidr_list_parse(NULL, &l, &err) == 0 && l.count == 0);
    CHECK(vsr_cidr_list_parse("", &l, &err) == 0 && l.count == 0);
    CHECK(vsr_cidr_list_parse("  ", &l, &err) == 0 && l.count == 0);

    int rc = vsr_cidr_list_parse("127.0.0.1/32, 10.1.0.0/16 ,fd00::/8,192.168.5.5,::1", &l, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(l.count == 5);
    CHECK(l.items[1].family == AF_INET && l.items[1].prefix == 16);
    CHECK(l.items[2].family == AF_INET6 && l.items[2].prefix == 8);
    CHECK(l.items[3].prefix == 32 && l.items[4].prefix == 128);

    vsr_addr_class cls;
    CHECK(allowed("127.0.0.1", 0, &l, &cls) == 1);
    CHECK(allowed("127.0.0.2", 0, &l, &cls) == 0 && cls == VSR_ADDR_LOOPBACK);
    CHECK(allowed("10.1.255.255", 0, &l, &cls) == 1);
    CHECK(allowed("10.2.0.0", 0, &l, &cls) == 0 && cls == VSR_ADDR_PRIVATE);
    CHECK(allowed("fdab::1", 0, &l, &cls) == 1);
    CHECK(allowed("fe80::1", 0, &l, &cls) == 0 && cls == VSR_ADDR_LINK_LOCAL);
    CHECK(allowed("192.168.5.5", 0, &l, &cls) == 1);
    CHECK(allowed("192.168.5.6", 0, &l, &cls) == 0);
    CHECK(allowed("::1", 0, &l, &cls) == 1);
    /* A mapped address matches its IPv4 network: same host. */
    CHECK(allowed("::ffff:127.0.0.1", 0, &l, &cls) == 1);
    CHECK(allowed("::ffff:127.0.0.2", 0, &l, &cls) == 0 && cls == VSR_ADDR_LOOPBACK);
    /* Public needs no allowance; allow_private needs no list. */
    CHECK(allowed("8.8.8.8", 0, NULL, &cls) == 1 && cls == VSR_ADDR_PUBLIC);
    CHECK(allowed("127.0.0.1", 0, NULL, &cls) == 0);
    CHECK(allowed("169.254.169.254", 1, NULL, &cls) == 1);
    CHECK(allowed("::1", 1, NULL, &cls) == 1);

    /* A mapped network is kept as IPv4. */
    CHECK(vsr_cidr_list_parse("::ffff:10.0.0.0/104", &l, &err) == 0);
    CHECK(l.count == 1 && l.items[0].family == AF_INET && l.items[0].prefix == 8);
    CHECK(allowed("10.9.9.9", 0, &l, &cls) == 1);
    /* /0 allows a whole family, only that family. */
    CHECK(vsr_cidr_list_parse("0.0.0.0/0", &l, &err) == 0);
    CHECK(allowed("127.0.0.1", 0, &l, &cls) == 1);
    CHECK(allowed("::1", 0, &l, &cls) == 0);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"127.0.0.1/33", "prefix length 33 is over 32"},
        {"::1/129", "prefix length 129 is over 128"},
        {"10.0.0.0/", "bad prefix length"},
        {"10.0.0.0/+8", "bad prefix length"},
        {"10.0.0.0/ 8", "bad prefix length"},
        {"10.0.0.0/0x8", "bad prefix length"},
        {"10.0.0.0/-1", "bad prefix length"},
        {"10.0.0.0/0008", "bad prefix length"},
        {"10.1.2.3/16", "bits set beyond the /16"},
        {"fd00::1/8", "bits set beyond the /8"},
        {"10.0.0", "not an IPv4 or IPv6 address"},
        {"256.0.0.1", "not an IPv4 or IPv6 address"},
        {"localhost", "not an IPv4 or IPv6 address"},
        {"[::1]/128", "not an IPv4 or IPv6 address"},
        {"/8", "expected an IP address"},
        {"127.0.0.1,,10.0.0.0/8", "entry 2 is empty"},
        {"127.0.0.1,", "entry 2 is empty"},
        {",127.0.0.1", "entry 1 is empty"},
        {"127.0.0.1 10.0.0.1", "not an IPv4 or IPv6 address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vsr_error_clear(&err);
        rc = vsr_cidr_list_parse(bad[i].text, &l, &err);
        CHECK_MSG(rc == VSR_ERR_INVALID, "'%s' parsed", bad[i].text);
        CHECK_MSG(strstr(err.msg, bad[i].want) != NULL, "'%s': want '%s' in: %s", bad[i].text,
                  bad[i].want, err.msg);
    }
    /* The entry number is in the message. */
    rc = vsr_cidr_list_parse("127.0.0.1/32,10.0.0.0/99", &l, &err);
    CHECK_MSG(strstr(err.msg, "entry 2") != NULL, "%s", err.msg);

    /* Too many entries. */
    char many[2048] = "";
    for (int i = 0; i <= VSR_CIDR_LIST_MAX; i++) {
        char e[32];
        snprintf(e, sizeof e, "%s10.0.%d.0/24", i ? "," : "", i);
        strcat(many, e);
    }
    rc = vsr_cidr_list_parse(many, &l, &err);
    CHECK_MSG(rc == VSR_ERR_INVALID && strstr(err.msg, "more than"), "%s", err.msg);
}

int main(void)
{
    test_v4();
    test_v6();
    test_sockaddr_edges();
    test_cidr_lists();
    return test_report("test_address_policy");
}
