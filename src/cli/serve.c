/* serve.c: `relais serve [--config FILE] [--port N] [--print-config]`. */
#include "cli/cli.h"

#include "base/str.h"
#include "server/server.h"

#include <stdio.h>
#include <string.h>

int cli_serve(int argc, char **argv)
{
    struct config cfg;
    if (cli_load_config(argc, argv, &cfg))
        return 1;
    char err[256];
    const char *port = cli_option(argc, argv, "--port");
    if (port && config_set(&cfg, "http", "port", port, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        config_fini(&cfg);
        return 2;
    }
    int status;
    if (cli_flag(argc, argv, "--print-config")) {
        config_write(&cfg, stdout, false);
        status = 0;
    } else {
        status = server_run(&cfg);
    }
    config_fini(&cfg);
    return status;
}
