/* The `vsr` commands. Each takes its own argv (argv[0] is the command's
 * name), parses it with the helpers of options.h and returns the process
 * exit status (VSR_EXIT_*). A new command is one function here and one
 * line in main.c's table. */
#ifndef VSR_CLI_COMMANDS_H
#define VSR_CLI_COMMANDS_H

int vsr_cmd_image(int argc, char **argv);
int vsr_cmd_models(int argc, char **argv);
int vsr_cmd_upscale(int argc, char **argv);
int vsr_cmd_check(int argc, char **argv);
int vsr_cmd_serve(int argc, char **argv);
int vsr_cmd_quality(int argc, char **argv);
int vsr_cmd_compress(int argc, char **argv);

#endif
