#include "util/cores.h"

#include <unistd.h>

int vsr_cores_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? (n > 1 << 20 ? 1 << 20 : (int)n) : 1;
}
