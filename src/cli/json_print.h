/* Printing a command's JSON answer (--json): one object on stdout. */
#ifndef VSR_CLI_JSON_PRINT_H
#define VSR_CLI_JSON_PRINT_H

#include <jansson.h>

/* Prints root (indented, reals with 9 significant digits) and releases
 * it; root may be NULL (an allocation failed on the way). Returns the
 * command's exit status. */
int vsr_cli_print_json(const char *cmd, json_t *root);

#endif
