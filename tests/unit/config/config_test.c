/* config_test.c: the option table: defaults, file parsing, bounds, paths,
 * and that the written sample config reads back to the same values. */
#include "harness.h"

#include "base/err.h"
#include "config/config.h"

#include <stdlib.h>
#include <unistd.h>

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/relais-config-XXXXXX");
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    ASSERT_TRUE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return path;
}

TEST_CASE(config, defaults)
{
    struct config cfg;
    config_init_defaults(&cfg);
    ASSERT_STR_EQ(cfg.server_name, "localhost");
    ASSERT_INT_EQ(cfg.port, 8008);
    ASSERT_INT_EQ(cfg.registration, REGISTRATION_TOKEN);
    ASSERT_INT_EQ(cfg.max_body_bytes, 1048576);
    config_fini(&cfg);
}

TEST_CASE(config, file_values_and_relative_paths)
{
    char *path = write_temp("[server]\nserver_name = example.org\n"
                            "[http]\nport = 9000\n"
                            "[registration]\nmode = open\n"
                            "[database]\npath = sub/x.db\n");
    struct config cfg;
    config_init_defaults(&cfg);
    char err[256] = "";
    ASSERT_INT_EQ(config_load(&cfg, path, err, sizeof err), 0);
    ASSERT_STR_EQ(cfg.server_name, "example.org");
    ASSERT_INT_EQ(cfg.port, 9000);
    ASSERT_INT_EQ(cfg.registration, REGISTRATION_OPEN);
    /* data_dir defaults to the file's folder and relative paths resolve against it */
    ASSERT_STR_EQ(cfg.data_dir, "/tmp");
    ASSERT_STR_EQ(cfg.database_path, "/tmp/sub/x.db");
    ASSERT_STR_EQ(cfg.signing_key_path, "/tmp/signing.key");
    config_fini(&cfg);
    unlink(path);
}

TEST_CASE(config, errors_name_the_option)
{
    static const struct {
        const char *text, *needle;
    } rows[] = {
        {"[http]\nport = 70000\n", "port"},         /* above the bound */
        {"[http]\nport = eighty\n", "port"},        /* not a number */
        {"[registration]\nmode = maybe\n", "mode"}, /* not one of the choices */
        {"[http]\nnot_an_option = 1\n", "not_an_option"},
        {"[nowhere]\nport = 1\n", "nowhere"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *path = write_temp(rows[i].text);
        struct config cfg;
        config_init_defaults(&cfg);
        char err[256] = "";
        ASSERT_INT_EQ(config_load(&cfg, path, err, sizeof err), ERR_INVALID);
        if (!strstr(err, rows[i].needle))
            harness_fail(__FILE__, __LINE__, "error '%s' does not name '%s'", err, rows[i].needle);
        config_fini(&cfg);
        unlink(path);
    }
}

TEST_CASE(config, written_file_reads_back)
{
    struct config cfg;
    config_init_defaults(&cfg);
    char err[256];
    ASSERT_INT_EQ(config_set(&cfg, "server", "server_name", "gouv.example", err, sizeof err), 0);
    ASSERT_INT_EQ(config_set(&cfg, "http", "port", "8448", err, sizeof err), 0);
    ASSERT_INT_EQ(
        config_set(&cfg, "http", "trusted_proxies", "127.0.0.1, 10.0.0.0/8", err, sizeof err), 0);
    char path[] = "/tmp/relais-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    config_write(&cfg, f, true);
    fclose(f);
    config_fini(&cfg);
    struct config back;
    config_init_defaults(&back);
    ASSERT_INT_EQ(config_load(&back, path, err, sizeof err), 0);
    ASSERT_STR_EQ(back.server_name, "gouv.example");
    ASSERT_INT_EQ(back.port, 8448);
    ASSERT_INT_EQ(back.registration, REGISTRATION_TOKEN);
    ASSERT_STR_EQ(back.trusted_proxies, "127.0.0.1, 10.0.0.0/8");
    config_fini(&back);
    /* libinih splits lines past 200 bytes into pieces it parses as settings. */
    f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    char line[4096];
    while (fgets(line, sizeof line, f))
        ASSERT_TRUE(strlen(line) <= 101);
    fclose(f);
    unlink(path);
}
