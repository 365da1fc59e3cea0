/* preview_test.c: the pure parts of URL previews (src/media/iprange.c,
 * opengraph.c, imagesize.c): the default blacklist refuses loopback, private,
 * CGNAT, link-local, multicast, reserved and unique-local addresses in IPv4,
 * IPv6, IPv4-mapped, IPv4-compatible and 6to4 spellings (RFC 4291 2.5.5,
 * RFC 3056) while public ones pass; the whitelist makes exceptions; the HTML
 * scanner finds OpenGraph tags and Synapse's fallbacks, decodes charsets and
 * character references, and survives hostile input. */
#include "harness.h"

#include "base/buf.h"
#include "config/config.h"
#include "media/internal.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>

static bool blocked(const struct media_ipset *block, const struct media_ipset *allow,
                    const char *text)
{
    uint8_t a[16], v4[4];
    if (inet_pton(AF_INET, text, v4) == 1) {
        http_ip_from_v4(v4, a);
    } else if (inet_pton(AF_INET6, text, a) != 1) {
        harness_fail(__FILE__, __LINE__, "bad test address %s", text);
    }
    return media__ip_blocked(block, allow, a);
}

TEST_CASE(media, preview_default_blacklist)
{
    struct config cfg;
    config_init_defaults(&cfg);
    struct media_ipset block = {0}, allow = {0};
    char err[160];
    ASSERT_INT_EQ(media__ipset_parse(&block, "0.0.0.0, ::", true, err, sizeof err), 0);
    ASSERT_STR_EQ(cfg.media_url_preview_ip_range_blacklist, "default");
    ASSERT_INT_EQ(media__ipset_parse(&block, cfg.media_url_preview_ip_range_blacklist, true, err,
                                     sizeof err),
                  0);
    static const struct {
        const char *addr;
        bool blocked;
    } rows[] = {
        {"127.0.0.1", true},          {"127.255.255.254", true},  {"::ffff:127.0.0.1", true},
        {"::127.0.0.1", true},        {"2002:7f00:1::", true},     {"2002:7f00:1:2:3:4:5:6", true},
        {"10.0.0.1", true},           {"10.255.255.255", true},    {"11.0.0.0", false},
        {"172.15.255.255", false},    {"172.16.0.0", true},        {"172.31.255.255", true},
        {"172.32.0.0", false},        {"192.168.1.1", true},       {"::ffff:192.168.1.1", true},
        {"100.64.0.1", true},         {"100.127.255.255", true},   {"100.128.0.0", false},
        {"169.254.169.254", true},    {"::ffff:169.254.169.254", true}, {"224.0.0.1", true},
        {"239.255.255.255", true},    {"255.255.255.255", true},   {"0.0.0.0", true},
        {"0.1.2.3", true},            {"198.18.0.1", true},        {"198.20.0.0", false},
        {"192.0.2.5", true},          {"203.0.113.9", true},       {"192.88.99.1", true},
        {"8.8.8.8", false},           {"::ffff:8.8.8.8", false},   {"1.1.1.1", false},
        {"2002:808:808::", false},    {"::", true},                {"::1", true},
        {"fe80::1", true},            {"febf:ffff::1", true},      {"fec0::1", true},
        {"fc00::1", true},            {"fd12:3456::1", true},      {"2001:db8::1", true},
        {"ff02::1", true},            {"2606:4700:4700::1111", false}, {"2a00:1450::1", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (blocked(&block, &allow, rows[i].addr) != rows[i].blocked)
            harness_fail(__FILE__, __LINE__, "%s: blocked should be %d", rows[i].addr,
                         rows[i].blocked);
    }
    /* The whitelist: one loopback address (in both spellings), nothing else. */
    ASSERT_INT_EQ(media__ipset_parse(&allow, "127.0.0.1", false, err, sizeof err), 0);
    ASSERT_TRUE(!blocked(&block, &allow, "127.0.0.1"));
    ASSERT_TRUE(!blocked(&block, &allow, "::ffff:127.0.0.1"));
    ASSERT_TRUE(blocked(&block, &allow, "127.0.0.2"));
    ASSERT_TRUE(blocked(&block, &allow, "::1"));
    media__ipset_fini(&block);
    media__ipset_fini(&allow);
    config_fini(&cfg);
}

TEST_CASE(media, preview_ip_ranges_parse_and_sockaddr)
{
    static const char *const bad[] = {"10.0.0.0/33", "300.1.1.1", "abc", "::1/129", "10.0.0.0/",
                                      "/8", "10.0.0.0/8x", "1.2.3", "fe80::1%eth0"};
    char err[160];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct media_ipset set = {0};
        if (media__ipset_parse(&set, bad[i], true, err, sizeof err) == 0)
            harness_fail(__FILE__, __LINE__, "'%s' should be refused", bad[i]);
        media__ipset_fini(&set);
    }
    struct media_ipset set = {0};
    ASSERT_INT_EQ(media__ipset_parse(&set, "", true, err, sizeof err), 0);
    ASSERT_INT_EQ(set.set.n, 0);
    /* Host bits beyond the prefix are ignored; separators may be commas or spaces. */
    ASSERT_INT_EQ(media__ipset_parse(&set, " 10.1.2.3/8,,2001:db8::5/32\t", false, err, sizeof err),
                  0);
    ASSERT_INT_EQ(set.set.n, 2);
    struct sockaddr_in in = {.sin_family = AF_INET};
    inet_pton(AF_INET, "10.200.0.1", &in.sin_addr);
    uint8_t a[16];
    ASSERT_TRUE(media__ip_from_sockaddr(&in, sizeof in, a));
    ASSERT_TRUE(media__ipset_has(&set, a));
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:10.9.9.9", &in6.sin6_addr);
    ASSERT_TRUE(media__ip_from_sockaddr(&in6, sizeof in6, a));
    ASSERT_TRUE(media__ipset_has(&set, a));
    inet_pton(AF_INET6, "2001:db9::1", &in6.sin6_addr);
    ASSERT_TRUE(media__ip_from_sockaddr(&in6, sizeof in6, a));
    ASSERT_TRUE(!media__ipset_has(&set, a));
    ASSERT_TRUE(!media__ip_from_sockaddr(&in, 3, a)); /* too short */
    media__ipset_fini(&set);
}

/* og[key] as a string, or NULL. */
static const char *og_str(json_t *og, const char *key)
{
    return json_string_value(json_object_get(og, key));
}

TEST_CASE(media, preview_opengraph_tags_and_fallbacks)
{
    static const char page[] =
        "<!DOCTYPE html><html><head>\n"
        "<meta charset=\"utf-8\">\n"
        "<title>  The   page\n title </title>\n"
        "<meta property=\"og:title\" content=\"Caf&eacute; &amp; cr&#232;me &#x1F600; &copy\">\n"
        "<meta property='og:site_name' content=Example>\n"
        "<meta name=\"twitter:card\" content=\"summary\">\n"
        "<meta name=\"twitter:description\" content=\"From twitter\">\n"
        "<meta property=\"og:image\" content=\"/img/a.png\">\n"
        "<meta property=\"og:image:width\" content=\"48\">\n"
        "<!-- <meta property=\"og:title\" content=\"commented out\"> -->\n"
        "<script>var s = '<meta property=\"og:type\" content=\"fake\">';</script>\n"
        "</head><body><p>Body</p></body></html>";
    json_t *og = media__og_parse(page, sizeof page - 1, "text/html");
    ASSERT_STR_EQ(og_str(og, "og:title"), "Caf\xc3\xa9 & cr\xc3\xa8me \xf0\x9f\x98\x80 \xc2\xa9");
    ASSERT_STR_EQ(og_str(og, "og:site_name"), "Example");
    ASSERT_STR_EQ(og_str(og, "og:description"), "From twitter"); /* twitter: fills og: gaps */
    ASSERT_STR_EQ(og_str(og, "og:image"), "/img/a.png");         /* resolved later */
    ASSERT_STR_EQ(og_str(og, "og:image:width"), "48");
    ASSERT_TRUE(!json_object_get(og, "og:card") && !json_object_get(og, "og:type"));
    json_decref(og);

    /* No og: tags: <title>, the description meta tag, the largest image. */
    static const char plain[] =
        "<html><head><title>Plain &lt;page&gt;</title>"
        "<meta name=\"Description\" content=\"Meta description\">"
        "<link rel=\"shortcut icon\" href=\"/favicon.ico\"></head>"
        "<body><img src=\"small.png\" width=\"8\" height=\"8\">"
        "<img src=\"big.png\" width=\"300\" height=\"200\">"
        "<img src=\"mid.png\" width=\"100\" height=\"100\"></body></html>";
    og = media__og_parse(plain, sizeof plain - 1, NULL);
    ASSERT_STR_EQ(og_str(og, "og:title"), "Plain <page>");
    ASSERT_STR_EQ(og_str(og, "og:description"), "Meta description");
    ASSERT_STR_EQ(og_str(og, "og:image"), "big.png");
    json_decref(og);

    /* Only text: the description is the shown text, not menus, scripts or the head. */
    static const char text[] =
        "<html><head><title>T</title><style>p { color: red }</style></head><body>"
        "<nav><a>Home</a> <a>Menu</a></nav><header>Site header</header>"
        "<h1>Heading <b>bold</b></h1><p>First   paragraph\n of text.</p>"
        "<ul role=\"menu\"><li>Item</li><ul><li>Sub</li></ul><li>Item2</li></ul>"
        "<script>document.write('hidden')</script><p>Second&nbsp;one.</p>"
        "<link rel=icon href=\"/i.png\"></body></html>";
    og = media__og_parse(text, sizeof text - 1, NULL);
    ASSERT_STR_EQ(og_str(og, "og:title"), "T");
    ASSERT_STR_EQ(og_str(og, "og:description"),
                  "Heading\n\nbold\n\nFirst paragraph of text.\n\nSecond one.");
    ASSERT_STR_EQ(og_str(og, "og:image"), "/i.png"); /* the icon, when nothing else */
    json_decref(og);
}

TEST_CASE(media, preview_opengraph_charsets)
{
    /* ISO-8859-1 from the header: 0xe9 is é; windows-1252 from <meta>: 0x93/0x94 are quotes. */
    static const char latin1[] = "<meta property=\"og:title\" content=\"caf\xe9\">";
    json_t *og = media__og_parse(latin1, sizeof latin1 - 1, "text/html; charset=ISO-8859-1");
    ASSERT_STR_EQ(og_str(og, "og:title"), "caf\xc3\xa9");
    json_decref(og);
    static const char cp1252[] = "<meta http-equiv=\"Content-Type\" content=\"text/html; "
                                 "charset=windows-1252\"><title>\x93q\x94</title>";
    og = media__og_parse(cp1252, sizeof cp1252 - 1, "text/html");
    ASSERT_STR_EQ(og_str(og, "og:title"), "\xe2\x80\x9cq\xe2\x80\x9d");
    json_decref(og);
    /* KOI8-R through iconv: 0xc1 0xc2 are а б (U+0430, U+0431). */
    static const char koi8[] = "<meta charset=koi8-r><title>\xc1\xc2</title>";
    og = media__og_parse(koi8, sizeof koi8 - 1, NULL);
    ASSERT_STR_EQ(og_str(og, "og:title"), "\xd0\xb0\xd0\xb1");
    json_decref(og);
    /* A UTF-8 BOM wins over the header; ill-formed UTF-8 becomes U+FFFD. */
    static const char bom[] = "\xef\xbb\xbf<title>\xc3\xa9 \xff \xed\xa0\x80</title>";
    og = media__og_parse(bom, sizeof bom - 1, "text/html; charset=iso-8859-1");
    ASSERT_STR_EQ(og_str(og, "og:title"),
                  "\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(og);
    /* Character references: invalid code points become U+FFFD; unknown names stay. */
    static const char refs[] = "<title>&#0;&#x110000;&#xD800;&#128;&bogus;&amp</title>";
    og = media__og_parse(refs, sizeof refs - 1, NULL);
    ASSERT_STR_EQ(og_str(og, "og:title"),
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac&bogus;&");
    json_decref(og);
}

TEST_CASE(media, preview_opengraph_long_and_hostile)
{
    /* A long text is cut at a word before 500 characters, with an ellipsis. */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_append_str(&b, "<p>");
    for (int i = 0; i < 300; i++)
        buf_append_str(&b, "word ");
    buf_append_str(&b, "</p>");
    json_t *og = media__og_parse(b.data, b.len, NULL);
    const char *d = og_str(og, "og:description");
    ASSERT_TRUE(d != NULL);
    size_t n = strlen(d);
    ASSERT_TRUE(n <= 500 + 3);
    ASSERT_STR_EQ(d + n - 3, "\xe2\x80\xa6");
    ASSERT_TRUE(strncmp(d, "word word ", 10) == 0 && d[n - 4] == 'd');
    json_decref(og);
    buf_fini(&b);

    /* More than 50 og: tags: none are trusted (Synapse). */
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 60; i++)
        buf_printf(&b, "<meta property=\"og:k%d\" content=\"v\">", i);
    buf_append_str(&b, "<title>fallback</title>");
    og = media__og_parse(b.data, b.len, NULL);
    ASSERT_TRUE(!json_object_get(og, "og:k0"));
    ASSERT_STR_EQ(og_str(og, "og:title"), "fallback");
    json_decref(og);
    buf_fini(&b);

    /* Truncated constructs end the scan without reading past the input. */
    static const char *const cut[] = {
        "<!-- never closed <meta property=\"og:title\" content=\"x\">",
        "<meta property=\"og:title\" content=\"unterminated",
        "<script>never closed",
        "<title>never closed",
        "<",
        "</",
        "<meta",
        "&#x",
        "<h1>x</h",
        "<a b=c d='e' f=\"g\" / = =>text",
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        size_t len = strlen(cut[i]);
        char *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        memcpy(copy, cut[i], len);
        og = media__og_parse(copy, len, NULL);
        ASSERT_TRUE(json_is_object(og));
        json_decref(og);
        free(copy);
    }

    /* Deep nesting and random bytes: bounded, always an object of valid strings. */
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 5000; i++)
        buf_append_str(&b, "<nav><div>");
    buf_append_str(&b, "deep");
    og = media__og_parse(b.data, b.len, NULL);
    ASSERT_TRUE(!json_object_get(og, "og:description"));
    json_decref(og);
    buf_fini(&b);
    uint32_t seed = 12345;
    char *junk = malloc(4096);
    static const char alphabet[] = "<>/=\"' !-abmetaproyg:ctn&#x;\xc3\xa9\xff\n";
    for (int round = 0; round < 300; round++) {
        size_t len = 1 + round * 13 % 4096;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            junk[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        og = media__og_parse(junk, len, round % 2 ? "text/html; charset=koi8-r" : NULL);
        ASSERT_TRUE(json_is_object(og));
        char *dump = json_dumps(og, 0);
        ASSERT_TRUE(dump != NULL);
        free(dump);
        json_decref(og);
    }
    free(junk);
}

TEST_CASE(media, preview_image_size)
{
    /* PNG IHDR 48x32; GIF 7x9; a JPEG with an APP0 segment then SOF0 (h=300, w=400). */
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                        'I', 'H', 'D', 'R', 0, 0, 0, 48, 0, 0, 0, 32};
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 7, 0, 9, 0};
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 4, 'J', 'F', 0xff, 0xc0, 0, 11,
                                         8, 0x01, 0x2c, 0x01, 0x90, 3, 1, 0x22, 0};
    int64_t w, h;
    ASSERT_TRUE(media__image_size(png, sizeof png, &w, &h));
    ASSERT_INT_EQ(w, 48);
    ASSERT_INT_EQ(h, 32);
    ASSERT_TRUE(media__image_size(gif, sizeof gif, &w, &h));
    ASSERT_INT_EQ(w, 7);
    ASSERT_INT_EQ(h, 9);
    ASSERT_TRUE(media__image_size(jpeg, sizeof jpeg, &w, &h));
    ASSERT_INT_EQ(w, 400);
    ASSERT_INT_EQ(h, 300);
    for (size_t cut = 0; cut < sizeof jpeg - 4; cut++) /* truncated: no size, no overread */
        ASSERT_TRUE(!media__image_size(jpeg, cut, &w, &h));
    ASSERT_TRUE(!media__image_size((const unsigned char *)"<html>", 6, &w, &h));
}

#define OPENGRAPH_FUZZ_NO_MAIN
#include "fuzz/opengraph_fuzz.c"

/* Replays the checked-in fuzz corpus through the harness (no libFuzzer needed). */
TEST_CASE(media, preview_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/opengraph"),
                                      opengraph_fuzz_one) >= 8);
}
