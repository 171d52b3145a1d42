// The allocator's policy for a whole run.
#include "whyslow_core.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void wsl_keep_freed_memory(void) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: bigger blocks are still mapped
  mallopt(M_TRIM_THRESHOLD, INT32_MAX);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}
