#include "cli/json_print.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/options.h"

int vsr_cli_print_json(const char *cmd, json_t *root)
{
    char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(root);
    if (!text)
        return vsr_cli_fail(cmd, "out of memory");
    puts(text);
    free(text);
    return VSR_EXIT_OK;
}
