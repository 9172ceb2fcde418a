/* The subcommands of the rstcraft binary; responder/main.c dispatches. Each returns the
 * process exit status: 0 success, 1 "ran but the result is negative" (craft: no reply),
 * 2 usage error, 3 runtime error. */
#ifndef RSTCRAFT_CMDS_H
#define RSTCRAFT_CMDS_H
int respond_main(int argc, char **argv);
int craft_main(int argc, char **argv);
int kill_main(int argc, char **argv);
int censor_main(int argc, char **argv);
int explain_main(int argc, char **argv);
#endif
